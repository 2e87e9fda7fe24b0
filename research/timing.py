"""Rebalance-timing luck: the same rule decided a few sessions earlier or later.

Hoffstein, C., Faber, N. & Braun, S. (2020). "Rebalance Timing Luck: The (Dumb) Luck of Smart
Beta." Newfound Research: the spread of outcomes across rebalance dates is luck, not skill, and
tranching (splitting capital into sleeves that rebalance on staggered dates) removes most of it.

:func:`timing_experiment` makes one variant per ``rebalance_offset`` (every offset a period
allows; every third for quarterly schedules) plus the tranched variant; they run as an ordinary
sweep, and :func:`timing_summary` reports the spread of CAGR, Sharpe and max drawdown across the
offsets (min, max, standard deviation) beside the tranched result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import UserError
from engine.metrics import cost_summary
from engine.sweep import Experiment, SweepResult, VariantSpec
from strategies import get_strategy
from strategies.schedule import MAX_OFFSET, PERIOD_SESSIONS

METRICS = ("cagr", "sharpe", "max_drawdown")


def offsets_for(schedule: str) -> list[int]:
    """Every offset a ``schedule`` allows (quarterly: every third session, to keep it to 20
    runs)."""
    if schedule not in MAX_OFFSET:
        raise UserError(
            f"timing luck needs a weekly, monthly or quarterly schedule, not {schedule}",
            "pass -p rebalance=monthly (or weekly, quarterly)",
        )
    step = 3 if schedule == "quarterly" else 1
    return list(range(0, MAX_OFFSET[schedule] + 1, step))


def timing_experiment(
    strategy: str,
    params: dict[str, Any],
    defaults: dict[str, Any],
    tranches: int | None = None,
    strategy_file: str | None = None,
) -> tuple[Experiment, str, int]:
    """(experiment, schedule, tranches): one variant per offset, plus the tranched one.

    ``tranches`` defaults to 4 sleeves (weekly: 5, one per weekday)."""
    base = get_strategy(strategy).validate_params({k: v for k, v in params.items()
                                                   if k not in ("rebalance_offset", "tranches")})
    schedule = base.rebalance
    offsets = offsets_for(schedule)
    n = tranches if tranches is not None else (5 if schedule == "weekly" else 4)
    if not 2 <= n <= min(12, PERIOD_SESSIONS[schedule]):
        raise UserError(
            f"--tranches {n} is not between 2 and {min(12, PERIOD_SESSIONS[schedule])}",
            "e.g. --tranches 4",
        )
    variants = [
        VariantSpec(
            strategy=strategy,
            strategy_file=strategy_file,
            params=dict(params),
            grid={"rebalance_offset": offsets},
        ),
        VariantSpec(
            strategy=strategy, strategy_file=strategy_file, params={**params, "tranches": n}
        ),
    ]
    return Experiment(name=f"timing-{strategy}", defaults=defaults, variants=variants), schedule, n


@dataclass
class TimingSummary:
    """The spread across offsets and the tranched result (``to_dict`` is the --json document)."""

    schedule: str
    tranches: int
    offsets: list[dict]  # one per offset: offset, run id, metrics
    tranched: dict  # run id and metrics
    spread: dict  # metric -> min, max, std, range
    costs: str = ""  # the runs' costs and fills, what the tranched run paid, its turnover

    def to_dict(self) -> dict:
        return {"schedule": self.schedule, "tranches": self.tranches, "offsets": self.offsets,
                "tranched": self.tranched, "spread": self.spread, "costs": self.costs}


def timing_summary(result: SweepResult, schedule: str, tranches: int) -> TimingSummary:
    """Spread of CAGR, Sharpe and max drawdown across the offsets, and the tranched result."""
    done = [r for r in result.rows if r["status"] == "done"]
    if result.failed:
        raise UserError(
            f"{len(result.failed)} timing run(s) failed: {result.failed[0]['error']}",
            "see sweep.csv",
        )
    by_offset = sorted((r for r in done if r["config"].params.tranches == 1),
                       key=lambda r: r["config"].params.rebalance_offset)
    tranched = next(r for r in done if r["config"].params.tranches > 1)
    offsets = [{"offset": r["config"].params.rebalance_offset, "id": r["id"],
                **{m: r["metrics"].get(m) for m in METRICS}} for r in by_offset]
    spread = {}
    for m in METRICS:
        values = np.array([o[m] for o in offsets if o[m] is not None], dtype=float)
        spread[m] = {
            "min": float(values.min()),
            "max": float(values.max()),
            "std": float(values.std(ddof=1)),
            "range": float(values.max() - values.min()),
            "tranched": tranched["metrics"].get(m),
        }
    costs = cost_summary(tranched["config"].broker.describe_trading(), tranched["metrics"])
    return TimingSummary(
        schedule,
        tranches,
        offsets,
        {"id": tranched["id"], **{m: tranched["metrics"].get(m) for m in METRICS}},
        spread,
        costs=f"{costs} (the tranched run; every offset has the same costs)",
    )
