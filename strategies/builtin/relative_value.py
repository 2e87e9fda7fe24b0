"""Relative value: buy small caps after an extreme lag versus large caps, once the trend turns."""

from __future__ import annotations

import backtrader as bt
from pydantic import Field

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule


class RelativeValueParams(RotationParams):
    window: int = Field(
        252,
        ge=20,
        le=1260,
        description="window of the ratio's mean and standard deviation",
        json_schema_extra={"unit": "sessions"},
    )
    entry_z: float = Field(
        1.5, gt=0, le=5, description="arm when the IWM/SPY ratio's z-score is below minus this"
    )
    exit_z: float = Field(
        1.0, ge=-5, le=5, description="leave small caps when the z-score rises above this"
    )
    trend: int = Field(
        50,
        ge=5,
        le=252,
        description="moving average of the ratio that must be crossed upward",
        json_schema_extra={"unit": "sessions"},
    )
    small_cap: Symbol = Field("IWM", description="small-cap asset (ratio numerator)")
    large_cap: Symbol = Field(
        "SPY", description="large-cap asset (ratio denominator), held otherwise"
    )
    rebalance: Schedule = Field("daily", description="decide every session")
    tolerance: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="skip trades smaller than this fraction of equity",
        json_schema_extra={"unit": "fraction of equity"},
    )



@register
class RelativeValue(RotationStrategy[RelativeValueParams]):
    """Rotate into small caps when they have lagged large caps by a historic margin and turn up.

    Thesis: small caps' relative performance mean-reverts; after years of lagging (2021-24) a
    turn can be violent. The IWM/SPY price ratio's z-score over ``window`` sessions below
    ``-entry_z`` arms the rule; the first close of the ratio back above its ``trend`` moving
    average enters small caps. Leave when the z-score exceeds ``exit_z`` or the ratio falls back
    below its trend. Otherwise hold large caps. Data: both assets' prices. The z-score uses
    backtrader's SMA and (population) StdDev of the ratio.
    """

    name = "relative_value"
    summary = "IWM after IWM/SPY z-score < -entry_z and the ratio turns up through its trend"
    Params = RelativeValueParams

    @classmethod
    def needs(cls, params: RelativeValueParams) -> tuple[list[str], list[str]]:
        return [params.small_cap, params.large_cap], []

    @classmethod
    def warmup(cls, params: RelativeValueParams) -> int:
        return max(params.window, params.trend) + 1

    def setup(self) -> None:
        p = self.cfg
        self._ratio = self.feed(p.small_cap).close / self.feed(p.large_cap).close
        self._mean = bt.ind.SMA(self._ratio, period=p.window)
        self._std = bt.ind.StdDev(self._ratio, period=p.window)
        self._trend = bt.ind.SMA(self._ratio, period=p.trend)
        self._armed = False
        self._in_small = False

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        z = (self._ratio[0] - self._mean[0]) / self._std[0] if self._std[0] > 0 else 0.0
        above = self._ratio[0] > self._trend[0]
        crossed_up = above and self._ratio[-1] <= self._trend[-1]
        text = f"z {z:+.2f}, ratio {'above' if above else 'below'} its {p.trend}-session trend"
        if self._in_small:
            if z > p.exit_z or not above:
                self._in_small = False
                return {p.large_cap: 1.0}, f"{text}: exit small caps"
            return {p.small_cap: 1.0}, f"{text}: hold small caps"
        if z < -p.entry_z:
            self._armed = True
        if self._armed and crossed_up:
            self._armed, self._in_small = False, True
            return {p.small_cap: 1.0}, f"{text}: enter small caps after an extreme lag"
        return {p.large_cap: 1.0}, f"{text}{' (armed)' if self._armed else ''}"
