"""The overfitting statistics of a sweep read from its columnar store (``engine.sweep_store``):
the same :class:`research.luck.LuckReport` as ``luck_from_runs`` on the variant folders, from
one returns matrix instead of a ``returns.csv`` per variant.

The inputs are the ones ``research.luck.luck_from_results`` builds, taken from the store: the
variants' strategy returns on the sessions all of them measured (from the close of the first),
their shared benchmark's returns (the reference series ``benchmark_ref`` names), each variant's
daily cash returns (its ``risk_free`` spec; one computation per distinct spec), its
no-rotation twin's returns (``twin_ref``) and what tells candidates from reference rows
(strategy, trades, switches, twin weights, costs, label).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import UserError
from engine.cash_rate import cash_returns_for
from engine.sweep_store import SweepStore
from research.luck import LuckReport, LuckSettings, _report, luck_statistics


def _json(value: object) -> object:
    """A stored JSON text back to its value (a missing value is None)."""
    return json.loads(value) if isinstance(value, str) else None


def _plain(value: object) -> object:
    """A stored number as Python's (NaN, a missing value, as None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def store_window(
    store: SweepStore, ids: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, str]:
    """(metrics rows of ``ids``, their strategy returns, the benchmark's returns, its symbol)
    on the sessions every one of them measured, from the close of the first; a UserError if
    they use different benchmarks or share too few sessions."""
    metrics = store.metrics().set_index("id")
    unknown = [i for i in ids if i not in metrics.index]
    if unknown:
        raise UserError(
            f"the sweep store holds no variant {unknown[0]}",
            "open it again to rebuild it from the folders",
        )
    metrics = metrics.loc[list(ids)]
    benchmarks = set(metrics["benchmark"].astype(str))
    if len(benchmarks) > 1:
        raise UserError(
            f"the runs use different benchmarks ({', '.join(sorted(benchmarks))})",
            "compare runs that share one benchmark (--benchmark)",
        )
    wide = store.returns()
    ids = list(ids)
    frame = wide.iloc[:, : len(ids)] if list(wide.columns[: len(ids)]) == ids else wide[ids]
    measured = ~np.isnan(frame.to_numpy()).any(axis=1)
    frame = frame if measured.all() else frame[measured]  # the sessions every one measured
    if len(frame) < 4:
        raise UserError(
            "the runs share fewer than 3 sessions", "compare runs over overlapping periods"
        )
    bench = wide[metrics["benchmark_ref"].iloc[0]].reindex(frame.index)
    # measured from the close of the first common session: its own return belongs to before
    return metrics, frame.iloc[1:], bench.iloc[1:], benchmarks.pop()


def _cash(metrics: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame | pd.Series:
    """Each variant's per-session cash returns on ``index`` (one computation per distinct rate;
    one series when every variant has the same)."""
    spec = metrics["risk_free"] if "risk_free" in metrics else pd.Series(None, index=metrics.index)
    rate = (
        metrics["risk_free_rate"]
        if "risk_free_rate" in metrics
        else pd.Series(0.0, index=metrics.index)
    )
    keys = [
        (text if isinstance(text, str) else None, float(annual) if pd.notna(annual) else 0.0)
        for text, annual in zip(spec, rate, strict=True)
    ]
    memo: dict[tuple, np.ndarray] = {}
    for key in keys:
        if key not in memo:
            doc = json.loads(key[0]) if key[0] else None
            memo[key] = cash_returns_for(doc, index, key[1]).to_numpy(dtype=float)
    if len(memo) == 1:  # the usual sweep: one cash series for every variant
        return pd.Series(next(iter(memo.values())), index=index)
    matrix = np.empty((len(index), len(metrics)), order="F")
    for j, key in enumerate(keys):
        matrix[:, j] = memo[key]
    return pd.DataFrame(matrix, index=index, columns=metrics.index, copy=False)


def luck_from_store(
    store: SweepStore, ids: Sequence[str] | None = None, settings: LuckSettings | None = None
) -> LuckReport:
    """:func:`research.luck.luck_statistics` of the variants ``ids`` of ``store`` (default:
    every stored variant), on the sessions they share: the numbers ``luck_from_runs`` gives
    for their folders."""
    ids = list(ids) if ids is not None else store.ids
    metrics, returns, bench, name = store_window(store, ids)
    rf = _cash(metrics, returns.index)
    twins = None
    if "twin_ref" in metrics and metrics["twin_ref"].notna().all():
        refs = metrics["twin_ref"]
        if refs.nunique() == 1:  # the usual sweep: one twin for every variant
            twins = store.returns()[refs.iloc[0]].reindex(returns.index)
        else:
            twins = store.returns()[refs.unique()].reindex(returns.index)[refs.to_list()]
            twins.columns = refs.index  # each variant's twin under the variant's id
    rows = metrics.to_dict("index")
    meta = {
        vid: {
            "strategy": row["strategy"],
            "trades": _plain(row.get("trades")),
            "switches": _plain(row.get("switches")),
            "twin_weights": _json(row.get("twin_weights")),
            "costs": bool(row["paid_costs"]),
            "label": row["label"],
        }
        for vid, row in rows.items()
    }
    specs = {json.dumps(_json(row.get("risk_free")), sort_keys=True) for row in rows.values()}
    report = luck_statistics(returns, bench, rf, name, settings, twins, meta)
    return _report(report, specs, twins is not None)
