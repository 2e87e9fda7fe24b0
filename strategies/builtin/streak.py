"""Breadth streak: after a thrust of consecutive strong up days in small caps, hold small caps."""

from __future__ import annotations

from pydantic import Field

from core.symbols import Symbol
from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule
from strategies.signals import streak_reached_today


class BreadthStreakParams(RotationParams):
    signal: Symbol = Field(
        "RUT", description="series whose daily gains are counted: RUT (Russell 2000 level) or IWM"
    )
    sessions: int = Field(5, ge=2, le=20, description="consecutive up sessions that trigger",
                          json_schema_extra={"unit": "sessions"})
    min_gain: float = Field(
        0.01,
        gt=0,
        le=0.1,
        description="minimum gain of each of those sessions",
        json_schema_extra={"unit": "fraction"},
    )
    hold_sessions: int = Field(
        50,
        ge=1,
        le=500,
        description="how long to hold small caps after a trigger (50 = ~10 weeks)",
        json_schema_extra={"unit": "sessions"},
    )
    trailing_stop: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="leave early if small caps fall this far from their peak since entry",
        json_schema_extra={"unit": "fraction"},
    )
    small_cap: Symbol = Field("IWM", description="what to hold after a trigger")
    default_asset: Symbol = Field("SPY", description="what to hold otherwise")
    rebalance: Schedule = Field(
        "daily", description="decide every session (triggers are daily events)"
    )
    tolerance: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="skip trades smaller than this fraction of equity",
        json_schema_extra={"unit": "fraction of equity"},
    )



@register
class BreadthStreak(RotationStrategy[BreadthStreakParams]):
    """Hold small caps for about ten weeks after a breadth thrust, else large caps.

    Thesis: runs like July 2024's - the Russell 2000 up at least 1% on five sessions in a row -
    are rare thrusts of broad buying that have tended to carry on for weeks. When the ``signal``
    series (default the RUT index level) gains at least ``min_gain`` on each of ``sessions``
    consecutive sessions, hold ``small_cap`` for ``hold_sessions``; a new trigger extends the
    hold; an optional ``trailing_stop`` exits early. Otherwise hold ``default_asset``.
    Data: the signal series (RUT, as-of) and the prices of both assets. The trigger rule is
    ``strategies.signals.streak_reached_today``, shared with ``smallcap streaks``.
    """

    name = "breadth_streak"
    summary = "hold IWM for ~10 weeks after N sessions each up >= X% in the Russell 2000"
    Params = BreadthStreakParams

    @classmethod
    def needs(cls, params: BreadthStreakParams) -> tuple[list[str], list[str]]:
        series = (
            [] if params.signal in (params.small_cap, params.default_asset) else [params.signal]
        )
        return [params.small_cap, params.default_asset], series

    @classmethod
    def static_portfolio(cls, params: BreadthStreakParams) -> dict[str, float]:
        """Its default holding: without a streak it owns ``default_asset`` all the time."""
        return {params.default_asset.upper(): 1.0}

    @classmethod
    def warmup(cls, params: BreadthStreakParams) -> int:
        return params.sessions + 1

    def setup(self) -> None:
        self._hold_left = 0
        self._peak = 0.0
        self.triggers: list[str] = []

    def observe(self) -> None:
        p = self.cfg
        small = self.feed(p.small_cap).close[0]
        if self._hold_left > 0:
            self._hold_left -= 1
            self._peak = max(self._peak, small)
            if p.trailing_stop and small < self._peak * (1 - p.trailing_stop):
                self._hold_left = 0
                self._last_event = (
                    f"trailing stop: {p.small_cap} {small / self._peak - 1:.1%} from peak"
                )
        if streak_reached_today(self.feed(p.signal).close, p.sessions, p.min_gain):
            if self._hold_left == 0:
                self._peak = small
            self._hold_left = p.hold_sessions
            self.triggers.append(self.today)
            self._last_event = (
                f"trigger: {p.signal} up >= {p.min_gain:.2%} on {p.sessions} sessions"
            )

    def targets(self) -> tuple[dict[str, float], str]:
        p = self.cfg
        event, self._last_event = getattr(self, "_last_event", ""), ""
        if self._hold_left > 0:
            return {
                p.small_cap: 1.0
            }, event or f"holding {p.small_cap}, {self._hold_left} sessions left"
        return {p.default_asset: 1.0}, event or "no active streak"
