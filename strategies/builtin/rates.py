"""Rate regime: falling 2-year yields (rate-cut expectations) favour small caps."""

from __future__ import annotations

import backtrader as bt
from pydantic import Field

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule
from strategies.signals import change_bp


class RateRegimeParams(RotationParams):
    lookback: int = Field(
        63,
        ge=5,
        le=504,
        description="window of the yield change",
        json_schema_extra={"unit": "sessions"},
    )
    threshold_bp: float = Field(25.0, gt=0, le=500, description="yield move that flips the regime",
                                json_schema_extra={"unit": "basis points"})
    rate_series: Symbol = Field("DGS2", description="the yield watched (FRED, percent)")
    small_cap: Symbol = Field("IWM", description="held when yields have fallen")
    rising_asset: Symbol = Field(
        "SPY", description="held when yields have risen: large caps (SPY) or cash-like (SHY, BIL)"
    )
    confirm: bool = Field(
        False,
        description=(
            "also require small caps to trend up versus large caps (IWM/SPY above its moving "
            "average)"
        ),
    )
    confirm_window: int = Field(
        50,
        ge=5,
        le=252,
        description="moving average of the IWM/SPY ratio used by confirm",
        json_schema_extra={"unit": "sessions"},
    )
    large_cap: Symbol = Field("SPY", description="the large-cap side of the confirmation ratio")
    rebalance: Schedule = Field("weekly", description="decide on the last session of each week")



@register
class RateRegime(RotationStrategy[RateRegimeParams]):
    """Small caps when the 2-year yield is falling, large caps (or cash) when it is rising.

    Thesis: small companies carry more floating-rate debt and are more sensitive to the economy,
    so expectations of Fed cuts - visible first in a falling 2-year Treasury yield - lift them
    most (July 2024). If DGS2 fell by at least ``threshold_bp`` over ``lookback`` sessions, hold
    ``small_cap``; if it rose that much, hold ``rising_asset``; in between keep the position.
    With ``confirm`` the small-cap move also needs the IWM/SPY ratio above its moving average.
    Data: DGS2 (as-of: a yield dated D is used from the close of the next session, the default
    macro lag of 1; with --macro-lag 0 from the close of D) and the assets' prices.
    """

    name = "rate_regime"
    yield_params = ("rate_series",)
    summary = "IWM when the 2-year yield falls >= threshold over lookback, else SPY/cash"
    Params = RateRegimeParams

    @classmethod
    def needs(cls, params: RateRegimeParams) -> tuple[list[str], list[str]]:
        symbols = [params.small_cap, params.rising_asset] + (
            [params.large_cap] if params.confirm else []
        )
        return symbols, [params.rate_series]

    @classmethod
    def holdings(cls, params: RateRegimeParams) -> list[str]:
        """Small caps or the rising-rate asset (the large-cap confirmation is only read)."""
        return list(dict.fromkeys([params.small_cap.upper(), params.rising_asset.upper()]))

    @classmethod
    def warmup(cls, params: RateRegimeParams) -> int:
        return max(params.lookback, params.confirm_window if params.confirm else 0)

    def setup(self) -> None:
        p = self.cfg
        self._holding = p.rising_asset
        if p.confirm:
            ratio = self.feed(p.small_cap).close / self.feed(p.large_cap).close
            self._ratio, self._ratio_ma = ratio, bt.ind.SMA(ratio, period=p.confirm_window)

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        move = change_bp(self.feed(p.rate_series).close, p.lookback)
        text = f"{p.rate_series} {move:+.0f} bp over {p.lookback} sessions"
        if move <= -p.threshold_bp:
            if p.confirm and not self._ratio[0] > self._ratio_ma[0]:
                return {self._holding: 1.0}, f"{text}; small caps not confirmed by the ratio trend"
            self._holding = p.small_cap
            return {p.small_cap: 1.0}, f"{text}: falling"
        if move >= p.threshold_bp:
            self._holding = p.rising_asset
            return {p.rising_asset: 1.0}, f"{text}: rising"
        return {self._holding: 1.0}, f"{text}: in between, keep {self._holding}"
