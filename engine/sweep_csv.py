"""``sweep.csv``: one row per variant of a sweep (id, status, strategy, ``param.*``, metrics,
``cost_bps`` and ``breakeven_bps`` (approximate, :data:`COST_COLUMNS`), error, run_dir),
streamed a line per finished variant while the sweep runs (:class:`SweepCsvStream`) and
rewritten in variant order at the end (:func:`write_sweep_csv`)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from core.atomic import writing
from engine.config import RunConfig
from engine.metrics import approx_breakeven_bps


class _Rows(Protocol):
    """What :func:`write_sweep_csv` reads of an ``engine.sweep.SweepResult``."""

    rows: list[dict]


SWEEP_COLUMNS = [
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "exposure",
    "turnover",
    "trades",
    "switches",
    "rejected_orders",
    "final_equity",
]
#: Cost columns of sweep.csv beside the metrics: the variant's cost per side (slippage plus
#: commission, bps) and its approximate breakeven cost per side against the benchmark
#: (``engine.metrics.approx_breakeven_bps``: lead before costs / turnover; an approximation).
COST_COLUMNS = ["cost_bps", "breakeven_bps"]


def param_keys(configs: Iterable[RunConfig]) -> list[str]:
    """The parameter names of ``configs`` (RunConfigs), sorted: the ``param.*`` columns."""
    return sorted({k for c in configs for k in c.param_values()})


def sweep_record(r: dict, keys: list[str], extra: dict | None = None) -> dict:
    """One ``sweep.csv`` row of the finished variant ``r`` (see :func:`write_sweep_csv`)."""
    rec = {"id": r["id"], "status": r["status"], "strategy": r["config"].strategy}
    values = r["config"].param_values()
    rec.update({f"param.{k}": _cell(values.get(k)) for k in keys})
    metrics = r.get("metrics") or {}
    rec.update({m: metrics.get(m) for m in SWEEP_COLUMNS})
    cost = r["config"].broker.cost_per_side_bps
    rec["cost_bps"] = cost
    done = r["status"] == "done"
    rec["breakeven_bps"] = (
        approx_breakeven_bps(
            metrics.get("cagr"), metrics.get("benchmark_cagr"), metrics.get("turnover"), cost
        )
        if done
        else None
    )
    for key, value in (extra or {}).items():
        if isinstance(value, list | tuple) and len(value) == 2:
            rec[f"{key}_low"], rec[f"{key}_high"] = value
        else:
            rec[key] = value
    rec["error"] = r.get("error", "")
    rec["run_dir"] = f"variants/{r['id']}" if r["status"] == "done" else ""
    return rec


def write_sweep_csv(result: _Rows, path: Path, extra: dict[str, dict] | None = None) -> Path:
    """One row per variant: id, status, strategy, ``param.*``, metrics, error, run_dir (atomic).

    ``extra``: more columns per variant id (e.g. the overfitting statistics); lists such as a
    confidence interval become ``<name>_low`` and ``<name>_high``.
    """
    keys = param_keys(r["config"] for r in result.rows)
    records = [sweep_record(r, keys, (extra or {}).get(r["id"])) for r in result.rows]
    with writing(path, "the sweep table") as tmp:
        pd.DataFrame(records).to_csv(tmp, index=False, lineterminator="\n")
    return path


class SweepCsvStream:
    """``sweep.csv`` while the sweep runs: the header, then a line per variant as it finishes
    (in the order they finish, flushed at once), so ``tail -f`` follows a long sweep and a killed
    driver leaves the rows it had. When the sweep ends :func:`write_sweep_csv` rewrites the file
    whole, in variant order."""

    def __init__(self, path: Path, variants: list[Any]) -> None:
        """``variants``: the sweep's ``engine.sweep.Variant``\\ s (their configs name columns)."""
        self.keys = param_keys(v.config for v in variants)
        columns = [
            "id",
            "status",
            "strategy",
            *(f"param.{k}" for k in self.keys),
            *SWEEP_COLUMNS,
            *COST_COLUMNS,
            "error",
            "run_dir",
        ]
        self.handle = open(path, "w", newline="")  # noqa: SIM115 - closed by close()
        self.writer = csv.DictWriter(
            self.handle, columns, lineterminator="\n", extrasaction="ignore"
        )
        self.writer.writeheader()
        self.handle.flush()

    def add(self, row: dict) -> None:
        self.writer.writerow(
            {k: "" if v is None else v for k, v in sweep_record(row, self.keys).items()}
        )
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def _cell(v: Any) -> Any:
    if isinstance(v, list):
        return ",".join(map(str, v))
    if isinstance(v, dict):
        return ",".join(f"{k}:{x}" for k, x in v.items())
    return v
