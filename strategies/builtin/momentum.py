"""Relative (and dual) momentum between small caps, large caps and tech."""

from __future__ import annotations

from pydantic import Field, model_validator

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.signals import trailing_return


class RelativeMomentumParams(RotationParams):
    assets: list[Symbol] = Field(["IWM", "SPY", "QQQ"], min_length=1, description="risk assets ranked by trailing return")
    lookback: int = Field(126, ge=5, le=756, description="trailing window of the total return",
                          json_schema_extra={"unit": "sessions"})
    top_n: int = Field(1, ge=1, le=10, description="how many of the best assets to hold, equal weight")
    absolute: bool = Field(False, description="dual momentum: hold cash unless the best beats the cash asset (or zero)")

    @model_validator(mode="after")
    def _top_n(self):
        if self.top_n > len(self.assets):
            raise ValueError(f"top_n {self.top_n} exceeds the {len(self.assets)} assets")
        return self


@register
class RelativeMomentum(RotationStrategy):
    """Hold whichever of small caps, large caps and tech has the stronger trailing return.

    Thesis: leadership between size and style segments persists for months (the 2024 rotation
    into small caps, the 2020-21 tech run). Rank ``assets`` by total return over ``lookback``
    sessions and hold the best ``top_n`` equally. With ``absolute``, the best must also beat
    the cash asset's return over the same window (or zero with plain cash), else hold cash:
    Antonacci's dual momentum. Data: the assets' prices (and the cash asset's).
    """

    name = "relative_momentum"
    summary = "hold the top-n of IWM/SPY/QQQ by trailing return; optional absolute filter"
    Params = RelativeMomentumParams

    @classmethod
    def needs(cls, params):
        return list(params.assets), []

    @classmethod
    def warmup(cls, params):
        return params.lookback

    def targets(self):
        p = self.cfg
        scores = {s: trailing_return(self.feed(s).close, p.lookback) for s in p.assets}
        ranked = sorted(p.assets, key=lambda s: (-scores[s], p.assets.index(s)))
        best = ranked[: p.top_n]
        text = ", ".join(f"{s} {scores[s]:+.2%}" for s in ranked)
        if p.absolute:
            hurdle = trailing_return(self.feed(p.cash_asset).close, p.lookback) if p.cash_asset else 0.0
            best = [s for s in best if scores[s] > hurdle]
            if not best:
                return {}, f"{p.lookback}-session returns {text}; none beats cash {hurdle:+.2%}"
        return {s: 1.0 / p.top_n for s in best}, f"{p.lookback}-session returns {text}"
