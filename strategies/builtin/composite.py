"""Composite: a weighted vote of the rotation signals sets the small-cap weight."""

from __future__ import annotations

from typing import Self

import backtrader as bt
from pydantic import Field, model_validator

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule
from strategies.signals import change_bp, streak_reached_today, trailing_return


class CompositeParams(RotationParams):
    small_cap: Symbol = Field("IWM", description="small-cap asset")
    large_cap: Symbol = Field("SPY", description="large-cap asset holding the rest")
    w_momentum: float = Field(
        1.0, ge=0, description="vote weight: small caps' trailing return beats large caps'"
    )
    w_streak: float = Field(
        1.0, ge=0, description="vote weight: a breadth streak fired within hold_sessions"
    )
    w_rates: float = Field(
        1.0,
        ge=0,
        description="vote weight: the 2-year yield regime (falling 1, rising 0, between 0.5)",
    )
    w_value: float = Field(
        1.0,
        ge=0,
        description="vote weight: the IWM/SPY ratio is below its long mean and above its trend",
    )
    lookback: int = Field(
        126,
        ge=5,
        le=504,
        description="momentum and yield-change window",
        json_schema_extra={"unit": "sessions"},
    )
    streak_sessions: int = Field(
        5, ge=2, le=20, description="streak length", json_schema_extra={"unit": "sessions"}
    )
    streak_min_gain: float = Field(
        0.01, gt=0, le=0.1, description="streak daily gain", json_schema_extra={"unit": "fraction"}
    )
    hold_sessions: int = Field(
        50,
        ge=1,
        le=500,
        description="how long a streak vote lasts",
        json_schema_extra={"unit": "sessions"},
    )
    threshold_bp: float = Field(
        25.0,
        gt=0,
        le=500,
        description="yield move that sets the rates vote",
        json_schema_extra={"unit": "basis points"},
    )
    value_window: int = Field(
        252,
        ge=20,
        le=1260,
        description="long mean of the ratio",
        json_schema_extra={"unit": "sessions"},
    )
    trend: int = Field(
        50,
        ge=5,
        le=252,
        description="trend average of the ratio",
        json_schema_extra={"unit": "sessions"},
    )
    rebalance: Schedule = Field("weekly", description="decide on the last session of each week")
    tolerance: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="skip trades smaller than this fraction of equity",
        json_schema_extra={"unit": "fraction of equity"},
    )


    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.w_momentum + self.w_streak + self.w_rates + self.w_value <= 0:
            raise ValueError("at least one vote weight must be positive")
        return self


@register
class Composite(RotationStrategy[CompositeParams]):
    """Blend the four rotation signals into one small-cap weight between 0 and 1.

    Thesis: each signal is noisy alone; agreement between momentum (IWM beating SPY), a recent
    breadth thrust (RUT streak), falling 2-year yields and a cheap-but-turning IWM/SPY ratio is
    stronger evidence. Small-cap weight = weighted mean of the votes (each 0..1); the rest goes
    to large caps. Data: IWM and SPY prices, RUT (as-of) and DGS2 (as-of).
    """

    name = "composite"
    summary = "weighted vote of momentum, streak, rates and value signals -> IWM weight 0..1"
    Params = CompositeParams

    @classmethod
    def needs(cls, params: CompositeParams) -> tuple[list[str], list[str]]:
        return [params.small_cap, params.large_cap], ["RUT", "DGS2"]

    @classmethod
    def warmup(cls, params: CompositeParams) -> int:
        return max(params.lookback, params.value_window, params.trend, params.streak_sessions + 1)

    def setup(self) -> None:
        p = self.cfg
        self._ratio = self.feed(p.small_cap).close / self.feed(p.large_cap).close
        self._mean = bt.ind.SMA(self._ratio, period=p.value_window)
        self._trend = bt.ind.SMA(self._ratio, period=p.trend)
        self._streak_left = 0
        self._rates_vote = 0.5

    def observe(self) -> None:
        p = self.cfg
        self._streak_left = max(self._streak_left - 1, 0)
        if streak_reached_today(self.feed("RUT").close, p.streak_sessions, p.streak_min_gain):
            self._streak_left = p.hold_sessions

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        small, large = self.feed(p.small_cap).close, self.feed(p.large_cap).close
        move = change_bp(self.feed("DGS2").close, p.lookback)
        if move <= -p.threshold_bp:
            self._rates_vote = 1.0
        elif move >= p.threshold_bp:
            self._rates_vote = 0.0
        votes = {
            "momentum": (
                p.w_momentum,
                float(trailing_return(small, p.lookback) > trailing_return(large, p.lookback)),
            ),
            "streak": (p.w_streak, float(self._streak_left > 0)),
            "rates": (p.w_rates, self._rates_vote),
            "value": (
                p.w_value,
                float(self._ratio[0] < self._mean[0] and self._ratio[0] > self._trend[0]),
            ),
        }
        total = sum(w for w, _ in votes.values())
        weight = sum(w * v for w, v in votes.values()) / total
        reason = " ".join(f"{k}={v:g}" for k, (_, v) in votes.items())
        return {
            p.small_cap: weight,
            p.large_cap: 1.0 - weight,
        }, f"votes {reason} -> {p.small_cap} {weight:.2f}"
