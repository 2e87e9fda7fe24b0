"""Replay: hold a given schedule of target weights (the walk-forward's out-of-sample path)."""

from __future__ import annotations

from pydantic import Field, field_validator

from strategies.base import RotationParams, RotationStrategy
from strategies.registry import register
from strategies.schedule import Schedule


class ReplayParams(RotationParams):
    targets: dict[str, dict[str, float]] = Field(
        {"2005-01-03": {"SPY": 1.0}},
        description=(
            "session (YYYY-MM-DD) -> target weights to trade to at its close; nothing happens in "
            "between"
        ),
    )
    label: dict[str, str] = Field(
        {}, description="session -> why (e.g. which variant's decision it replays)"
    )
    rebalance: Schedule = Field(
        "daily", description="look at every session (trades only on the given ones)"
    )
    tolerance: float = Field(
        0.02,
        ge=0,
        lt=1,
        description="skip trades smaller than this fraction of equity",
        json_schema_extra={"unit": "fraction of equity"},
    )

    @field_validator("targets")
    @classmethod
    def _weights(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        out = {}
        for day, weights in v.items():
            clean = {s.strip().upper(): float(w) for s, w in weights.items() if w}
            if any(w < 0 for w in clean.values()) or sum(clean.values()) > 1 + 1e-9:
                raise ValueError(f"targets on {day} must be >= 0 and sum to at most 1")
            out[str(day)] = clean
        return out


@register
class Replay(RotationStrategy[ReplayParams]):
    """Trade to given target weights on given sessions, and hold in between.

    The walk-forward analysis (``smallcap walkforward``) builds its out-of-sample path with it:
    inside each test window it replays the chosen variant's own decisions (made by that variant
    on data up to each decision), so the path is one real backtest whose switches between variants
    at fold boundaries are traded and paid for. Data: the symbols named in ``targets``.
    """

    name = "replay_targets"
    listed = False
    summary = "trade to a given schedule of target weights (walk-forward out-of-sample path)"
    Params = ReplayParams

    @classmethod
    def needs(cls, params: ReplayParams) -> tuple[list[str], list[str]]:
        return sorted({s for weights in params.targets.values() for s in weights}) or ["SPY"], []

    def targets(self) -> tuple[dict[str, float], str] | None:
        today = self.today
        if today not in self.cfg.targets:
            return None
        return dict(self.cfg.targets[today]), self.cfg.label.get(today, "replayed target")
