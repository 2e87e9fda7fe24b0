"""Breadth rotation: equal weight leading cap weight says the rally is broadening: own small
caps."""

from __future__ import annotations

import backtrader as bt
from pydantic import Field

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule


class BreadthRotationParams(RotationParams):
    equal_weight: Symbol = Field("RSP", description="equal-weight index fund (the average stock)")
    cap_weight: Symbol = Field("SPY", description="cap-weight index fund (the biggest stocks)")
    trend: int = Field(50, ge=5, le=252, description="moving average of the equal/cap-weight ratio",
                       json_schema_extra={"unit": "sessions"})
    band: float = Field(
        0.0,
        ge=0,
        le=0.1,
        description="the ratio must be this far above (below) its average to switch",
        json_schema_extra={"unit": "fraction"},
    )
    broad_asset: Symbol = Field(
        "IWM", description="held while breadth broadens: small caps (or RSP itself)"
    )
    narrow_asset: Symbol = Field(
        "SPY", description="held while the biggest stocks lead: cap weight (or QQQ/XLK for tech)"
    )
    rebalance: Schedule = Field("weekly", description="decide on the last session of each week")


@register
class BreadthRotation(RotationStrategy[BreadthRotationParams]):
    """Own small caps while equal weight beats cap weight; own cap weight (or tech) otherwise.

    Thesis: in July 2024 the equal-weight S&P 500 beat the cap-weighted index as money left the
    mega-cap tech names for the rest of the market, small caps most of all. When the RSP/SPY ratio
    is above its ``trend``-session moving average by more than ``band``, leadership is broadening:
    hold ``broad_asset``; when it is below by more than ``band``, the biggest stocks lead: hold
    ``narrow_asset``; in between keep the position. Data: both index funds' total-return prices
    (RSP from 2005-01-03) and the two assets held.
    """

    name = "breadth_rotation"
    summary = "IWM while equal weight (RSP) leads cap weight (SPY), else SPY"
    Params = BreadthRotationParams

    @classmethod
    def needs(cls, params: BreadthRotationParams) -> tuple[list[str], list[str]]:
        return [params.broad_asset, params.narrow_asset, params.equal_weight, params.cap_weight], []

    @classmethod
    def warmup(cls, params: BreadthRotationParams) -> int:
        return params.trend

    @classmethod
    def holdings(cls, params: BreadthRotationParams) -> list[str]:
        """The two assets it switches between (RSP and SPY are only read for the signal)."""
        return list(dict.fromkeys([params.broad_asset.upper(), params.narrow_asset.upper()]))

    def setup(self) -> None:
        p = self.cfg
        self._ratio = self.feed(p.equal_weight).close / self.feed(p.cap_weight).close
        self._trend = bt.ind.SMA(self._ratio, period=p.trend)
        self._holding = p.narrow_asset

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        gap = self._ratio[0] / self._trend[0] - 1.0
        text = f"{p.equal_weight}/{p.cap_weight} {gap:+.2%} vs its {p.trend}-session average"
        if gap > p.band:
            self._holding = p.broad_asset
            return {p.broad_asset: 1.0}, f"{text}: broadening"
        if gap < -p.band:
            self._holding = p.narrow_asset
            return {p.narrow_asset: 1.0}, f"{text}: narrow leadership"
        return {self._holding: 1.0}, f"{text}: inside the band, keep {self._holding}"
