"""The comparison page's data for a sweep's variants from the sweep's columnar store
(``engine.sweep_store``): the daily returns from its returns matrix and each run's average
holdings from its metrics table, so a page over 1,000 variants reads no ``returns.csv``,
``equity.csv`` or ``positions.csv`` but those of the few best runs it draws in full (the
holdings panels). Each run's small files (``config.toml``, ``metrics.json``,
``manifest.json``) are read as ``reports.compare.comparison_data`` reads them.

When the variants differ in window or in cash rate the page recomputes every figure on their
common window from the runs' trades and orders: that case is left to ``comparison_data``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core.errors import UserError
from engine.config import load_run_config
from engine.metrics import check_rank_metric
from engine.results import BacktestResult
from engine.sweep_store import SweepStore
from reports.compare import (
    ComparisonData,
    _labels,
    _varying_within_strategy,
    assemble_comparison,
    comparison_cash,
    comparison_data,
)
from reports.compare_notes import settings_notes
from reports.compare_time import HOLDINGS_PANELS


def _stored_run(folder: Path, wide: pd.DataFrame, row: pd.Series) -> BacktestResult:
    """The run in ``folder`` with its returns from the store's matrix (``wide``, ``row`` its
    metrics row) and its small files read; its other tables are left empty."""
    own = wide[folder.name].dropna()
    columns = {"strategy": own, "benchmark": wide[row["benchmark_ref"]].reindex(own.index)}
    if isinstance(row.get("twin_ref"), str):
        columns["twin"] = wide[row["twin_ref"]].reindex(own.index)
    try:
        config = load_run_config(folder / "config.toml")
        metrics = json.loads((folder / "metrics.json").read_text())
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise UserError(
            f"'{folder}' has a damaged file ({type(exc).__name__})",
            "run it again, or remove it with `smallcap runs rm`",
        ) from None
    empty = pd.DataFrame()
    return BacktestResult(
        config=config,
        returns=pd.DataFrame(columns),
        equity=empty,
        trades=empty,
        orders=empty,
        positions=empty,
        decisions=empty,
        metrics=metrics,
        manifest=manifest,
        warnings=list(manifest.get("warnings", [])),
        run_dir=folder,
    )


def store_comparison_data(
    store: SweepStore, ids: Sequence[str], rank_by: str = "sharpe"
) -> ComparisonData:
    """``reports.compare.comparison_data`` of the variants ``ids`` of the sweep whose store is
    ``store``, their returns and holdings read from it (ranked by ``rank_by``)."""
    check_rank_metric(rank_by)
    folders = [store.sweep_dir / "variants" / i for i in ids]
    if not folders:
        raise UserError("no run directories to compare", "the sweep has no finished variant")
    table = store.metrics().set_index("id")
    if any(i not in table.index for i in ids):
        return comparison_data(folders, rank_by)
    rows = table.loc[list(ids)]
    periods = set(zip(rows["start"], rows["end"], strict=True))
    if len(periods) > 1 or len(set(rows["benchmark"])) > 1:
        return comparison_data(folders, rank_by)  # one common window to work out: the full path
    wide = store.returns()
    runs = [_stored_run(f, wide, rows.loc[f.name]) for f in folders]
    if comparison_cash(runs)[1]:
        return comparison_data(folders, rank_by)
    notes = settings_notes(runs, _labels(runs, _varying_within_strategy(runs)))
    shares = {
        r.run_dir.name: pd.Series(json.loads(rows.loc[r.run_dir.name, "holdings"]), dtype=float)
        for r in runs
    }
    data = assemble_comparison(
        runs, rank_by, periods, None, notes, lambda r: shares[r.run_dir.name]
    )
    for r in data.runs[:HOLDINGS_PANELS]:  # the holdings panels draw the best runs in full
        full = BacktestResult.load(r.run_dir, tables=("equity", "positions"))
        r.equity, r.positions = full.equity, full.positions
    return data


def sweep_folder(path: Path) -> bool:
    """Whether ``path`` is a sweep's folder (``experiment.json`` and ``variants/``)."""
    return (path / "experiment.json").is_file() and (path / "variants").is_dir()


def sweep_of(run_dirs: Sequence[Path]) -> Path | None:
    """The sweep folder every one of ``run_dirs`` is a variant of, if they share one."""
    parents = {Path(d).resolve().parent for d in run_dirs}
    if len(parents) != 1:
        return None
    parent = parents.pop()
    return parent.parent if parent.name == "variants" and sweep_folder(parent.parent) else None
