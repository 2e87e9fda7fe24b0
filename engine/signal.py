"""What a strategy would hold at the next session, given the data up to the last one: the answer
a person running a rotation once a month needs (``smallcap signal``).

It runs the strategy over its history (so stateful rules are in the right state), takes its
latest decision and says when it was made and why, how old the data is, and when the schedule
decides next (on the NYSE calendar).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from core.calendar import nyse_sessions
from engine.config import RunConfig
from engine.runner import run_backtest
from strategies.schedule import period_end_mask


def current_signal(config: RunConfig, today: dt.date | None = None) -> dict:
    """The latest target of ``config``'s strategy, with its reason and dates. ``today``: the date
    staleness is measured to (default: today, UTC)."""
    result = run_backtest(config.model_copy(update={"end": None}), twin=False)
    last_data = pd.Timestamp(result.metrics["end"])
    decision = result.decisions.iloc[-1]
    today = today or dt.datetime.now(dt.UTC).date()
    after = nyse_sessions(
        last_data + pd.Timedelta(days=1), pd.Timestamp(today) + pd.Timedelta(days=120)
    )
    missed = int((after <= pd.Timestamp(today)).sum())
    params = config.params
    ahead = after[after > last_data]
    upcoming = []
    if len(ahead):
        marks = period_end_mask(ahead, params.rebalance, params.rebalance_offset)
        upcoming = [d for d, m in zip(ahead, marks, strict=False) if m]
    return {
        "strategy": config.strategy,
        "params": config.param_values(),
        "target": json.loads(decision["weights"]),
        "targets": decision["targets"],
        "reason": decision["reason"],
        "decided_on": decision["date"],
        "last_data": str(last_data.date()),
        "stale_sessions": missed,
        "stale_days": (today - last_data.date()).days,
        "next_decision": str(upcoming[0].date())
        if upcoming
        else ("every session" if params.rebalance == "daily" else None),
        "holding_now": {
            r["symbol"]: r["value"]
            for r in result.positions[result.positions["date"] == str(last_data.date())].to_dict(
                "records"
            )
        },
        "data_source": config.data.source,
    }
