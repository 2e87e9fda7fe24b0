"""Benchmarks: buy and hold one symbol; a fixed-weight mix rebalanced on a schedule."""

from __future__ import annotations

from pydantic import Field, field_validator

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule


class BuyAndHoldParams(RotationParams):
    symbol: Symbol = Field("SPY", description="the symbol to buy on the first session and hold")
    rebalance: Schedule = Field(
        "once", description="once: buy on the first session, never trade again")



@register
class BuyAndHold(RotationStrategy[BuyAndHoldParams]):
    """Buy one symbol with all the cash on the first session and hold it to the end.

    The yardstick every rotation rule must beat after costs. Data: the symbol's prices.
    """

    name = "buy_and_hold"
    static = True
    summary = "hold one symbol for the whole period (benchmark)"
    Params = BuyAndHoldParams

    @classmethod
    def needs(cls, params: BuyAndHoldParams) -> tuple[list[str], list[str]]:
        return [params.symbol], []

    @classmethod
    def static_portfolio(cls, params: BuyAndHoldParams) -> dict[str, float]:
        """Itself: holding one symbol is the static portfolio."""
        return {params.symbol.upper(): 1.0}

    def targets(self) -> tuple[dict[str, float], str]:
        return {self.cfg.symbol: 1.0}, f"hold {self.cfg.symbol}"


class FixedMixParams(RotationParams):
    weights: dict[str, float] = Field(
        {"IWM": 0.5, "SPY": 0.5},
        description="symbol -> fraction of equity, e.g. IWM:0.5,SPY:0.5",
        json_schema_extra={"unit": "fraction of equity"},
    )

    @field_validator("weights")
    @classmethod
    def _check(cls, v: dict[str, float]) -> dict[str, float]:
        v = {k.strip().upper(): float(w) for k, w in v.items()}
        if not v or any(w < 0 for w in v.values()) or sum(v.values()) > 1 + 1e-9:
            raise ValueError("weights must be >= 0 and sum to at most 1")
        return v


@register
class FixedMix(RotationStrategy[FixedMixParams]):
    """Hold fixed weights (e.g. half small caps, half large caps), rebalanced on a schedule.

    The benchmark for "just own both": rotation is worth it only if it beats the static mix.
    Data: the prices of the symbols in ``weights``.
    """

    name = "fixed_mix"
    static = True
    summary = "fixed weights rebalanced on a schedule (benchmark)"
    Params = FixedMixParams

    @classmethod
    def needs(cls, params: FixedMixParams) -> tuple[list[str], list[str]]:
        return list(params.weights), []

    @classmethod
    def static_portfolio(cls, params: FixedMixParams) -> dict[str, float]:
        """Itself: its fixed weights."""
        return dict(params.weights)

    def targets(self) -> tuple[dict[str, float], str]:
        return dict(self.cfg.weights), "rebalance to fixed weights"
