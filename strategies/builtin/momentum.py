"""Relative (and dual) momentum between small caps, large caps and tech."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.signals import accrued_rate, trailing_return


class RelativeMomentumParams(RotationParams):
    assets: list[Symbol] = Field(
        ["IWM", "SPY", "QQQ"], min_length=1, description="risk assets ranked by trailing return"
    )
    lookback: int = Field(126, ge=5, le=756, description="trailing window of the total return",
                          json_schema_extra={"unit": "sessions"})
    top_n: int = Field(
        1, ge=1, le=10, description="how many of the best assets to hold, equal weight"
    )
    absolute: bool = Field(
        False, description="dual momentum: hold cash unless the best beats the cash asset (or zero)"
    )
    hurdle: Symbol | None = Field(
        None, description="with absolute: a rate series in percent a year (e.g. DTB3, the 3-month "
        "T-bill) whose return over the lookback the best must beat; default: the cash asset's "
        "return (or zero)")

    @model_validator(mode="after")
    def _top_n(self) -> Self:
        if self.top_n > len(self.assets):
            raise ValueError(f"top_n {self.top_n} exceeds the {len(self.assets)} assets")
        if self.hurdle and not self.absolute:
            raise ValueError("hurdle applies to the absolute filter: set absolute=true too")
        return self


@register
class RelativeMomentum(RotationStrategy[RelativeMomentumParams]):
    """Hold whichever of small caps, large caps and tech has the stronger trailing return.

    Thesis: leadership between size and style segments persists for months (the 2024 rotation
    into small caps, the 2020-21 tech run). Rank ``assets`` by total return over ``lookback``
    sessions and hold the best ``top_n`` equally. With ``absolute``, the best must also beat
    the cash asset's return over the same window (or zero with plain cash), else hold cash:
    Antonacci's dual momentum. With ``hurdle`` (a yield series such as DTB3) the bar is instead
    that rate earned over the window, session by session, and the cash asset (e.g. AGG) is
    where the money goes: Antonacci's global equities momentum (``examples/gem.toml``).
    Data: the assets' prices (and the cash asset's; the hurdle series, published as macro
    series are).
    """

    name = "relative_momentum"
    summary = "hold the top-n of IWM/SPY/QQQ by trailing return; optional absolute filter"
    Params = RelativeMomentumParams

    @classmethod
    def needs(cls, params: RelativeMomentumParams) -> tuple[list[str], list[str]]:
        return list(params.assets), ([params.hurdle] if params.hurdle else [])

    @classmethod
    def warmup(cls, params: RelativeMomentumParams) -> int:
        return params.lookback

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        scores = {s: trailing_return(self.feed(s).close, p.lookback) for s in p.assets}
        ranked = sorted(p.assets, key=lambda s: (-scores[s], p.assets.index(s)))
        best = ranked[: p.top_n]
        text = ", ".join(f"{s} {scores[s]:+.2%}" for s in ranked)
        if p.absolute:
            hurdle = self._hurdle()
            best = [s for s in best if scores[s] > hurdle]
            if not best:
                bar = p.hurdle or "cash"
                return {}, f"{p.lookback}-session returns {text}; none beats {bar} {hurdle:+.2%}"
        return {s: 1.0 / p.top_n for s in best}, f"{p.lookback}-session returns {text}"

    def _hurdle(self) -> float:
        """What the best asset must beat over the lookback: the hurdle rate's accrual, else the
        cash asset's return, else zero."""
        p = self.cfg
        if p.hurdle:
            return accrued_rate(self.feed(p.hurdle).close, p.lookback)
        return trailing_return(self.feed(p.cash_asset).close, p.lookback) if p.cash_asset else 0.0
