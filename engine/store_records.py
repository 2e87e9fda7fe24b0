"""What the sweep store keeps of one saved variant, read from its run folder, and the Parquet
tables a batch of them becomes (``engine.sweep_store`` writes and reads them).

A variant's **record** is a function of its run folder alone (``config.toml``,
``metrics.json``, ``returns.csv``), so a store written by the driver as variants finish and a
store rebuilt from the folders hold the same thing:

* its sweep.csv row (``engine.sweep_csv``), then every other figure of ``metrics.json``
  (nested values as JSON text), its average share of equity per symbol (``holdings``, JSON:
  :func:`holdings_share`), the run's ``label`` (``buy_and_hold SPY``, ``fixed_mix
  IWM:0.5 SPY:0.5`` or the strategy), whether its broker charged anything (``paid_costs``),
  the names of its benchmark and twin reference series (``benchmark_ref``, ``twin_ref``) and
  the fingerprint of its files (``fingerprint``: size and modification time of
  ``metrics.json`` and ``returns.csv``; see ``engine.sweep_store`` for what stale means);
* its parameters (plain values; lists and tables as text, as sweep.csv writes them);
* its daily returns: the strategy's under the variant id; the benchmark's and the no-rotation
  twin's as **reference series** named by their content (``benchmark:<hash>``,
  ``twin:<hash>``), so the 1,000 variants of a sweep sharing one benchmark and one twin store
  each once.

Series are stored long, one row per series (``name``, ``calendar``, ``values``), with their
session dates once per distinct calendar: 10,000 variants are 10,000 rows, not 10,000 columns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from core.errors import UserError
from engine.config import RunConfig, load_run_config
from engine.results import RETURN_COLUMNS
from engine.sweep_csv import sweep_record

#: The files whose size and modification time make a variant's fingerprint.
#: The dtype of session dates as ``BacktestResult.load`` parses them (pandas' choice of unit), so
#: frames from the store and from the run folders index alike.
SESSION_DTYPE = pd.to_datetime(pd.Index(["2005-01-03"]), format="%Y-%m-%d").dtype
#: The hint of a damaged run file.
RERUN = "run the variant again (--resume redoes damaged folders)"
FINGERPRINT_FILES = ("metrics.json", "returns.csv")


def fingerprint(run_dir: Path) -> str:
    """``size:mtime_ns`` of each of :data:`FINGERPRINT_FILES` (a changed file changes it)."""
    parts = []
    for name in FINGERPRINT_FILES:
        st = (run_dir / name).stat()
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return "/".join(parts)


def run_label(config: RunConfig) -> str:
    """``buy_and_hold SPY``, ``fixed_mix IWM:0.5 SPY:0.5`` or the strategy name."""
    p = config.params
    if config.strategy == "buy_and_hold":
        return f"buy_and_hold {p.symbol}"
    if config.strategy == "fixed_mix":
        return "fixed_mix " + " ".join(f"{s}:{w:g}" for s, w in p.weights.items())
    return config.strategy


def paid_costs(config: RunConfig) -> bool:
    """Whether the run's broker charged anything (commission of any kind, or slippage)."""
    b = config.broker
    return any(
        x > 0 for x in (b.commission_bps, b.commission_per_share, b.commission_min, b.slippage_bps)
    )


def series_name(kind: str, dates: np.ndarray, values: np.ndarray) -> str:
    """``<kind>:<12 hex digits>`` of a reference series' session dates and values."""
    h = hashlib.sha256(dates.astype("datetime64[D]").tobytes() + values.tobytes()).hexdigest()[:12]
    return f"{kind}:{h}"


def calendar_name(dates: np.ndarray) -> str:
    """16 hex digits naming a run's session dates."""
    return hashlib.sha256(dates.astype("datetime64[D]").tobytes()).hexdigest()[:16]


def read_returns(run_dir: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(session dates, columns) of ``returns.csv`` in ``run_dir``, exactly as written (Arrow's
    CSV reader round-trips the floats); a damaged file is a one-line :class:`UserError`."""
    path = run_dir / "returns.csv"
    damaged = UserError(
        f"'{path}' is not date,strategy,benchmark[,twin] with a number in every row",
        RERUN,
    )
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            convert_options=pacsv.ConvertOptions(
                column_types={"date": pa.date32(), **dict.fromkeys(RETURN_COLUMNS, pa.float64())}
            ),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        raise UserError(
            f"'{path}' cannot be read ({str(exc).splitlines()[0][:100]})",
            RERUN,
        ) from None
    names = table.column_names
    if (
        names[0] != "date"
        or names[1:] not in (list(RETURN_COLUMNS[:2]), list(RETURN_COLUMNS))
        or any(table.column(c).null_count for c in names)
    ):
        raise damaged
    dates = table.column("date").to_numpy().astype("datetime64[D]")
    if not len(dates) or not (np.diff(dates.astype(np.int64)) > 0).all():
        raise damaged  # no session, or dates out of order or repeated
    return dates, {c: table.column(c).to_numpy() for c in names[1:]}


def _read_csv(path: Path, types: dict[str, pa.DataType]) -> pa.Table | None:
    """The ``types`` columns of a run's CSV table (None when it has no rows or no header)."""
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            convert_options=pacsv.ConvertOptions(column_types=types, include_columns=list(types)),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV" in str(exc):
            return None
        raise UserError(
            f"'{path}' cannot be read ({str(exc).splitlines()[0][:100]})", RERUN
        ) from None


def holdings_share(run_dir: Path) -> dict[str, float]:
    """Average share of equity held in each symbol over the run's sessions (0 on a session
    without it): each position's value over that session's equity, summed, over the sessions
    (what the comparison page's rotation table shows)."""
    equity = _read_csv(run_dir / "equity.csv", {"date": pa.string(), "equity": pa.float64()})
    positions = _read_csv(
        run_dir / "positions.csv",
        {"date": pa.string(), "symbol": pa.string(), "value": pa.float64()},
    )
    if equity is None or positions is None or not equity.num_rows or not positions.num_rows:
        return {}
    by_date = pd.Series(equity.column("equity").to_numpy(), index=equity.column("date").to_pylist())
    values = positions.column("value").to_numpy()
    share = values / by_date.reindex(positions.column("date").to_pylist()).to_numpy()
    symbols = np.asarray(positions.column("symbol").to_pylist())
    totals = pd.Series(share).groupby(symbols).sum() / len(by_date)
    return {str(k): float(v) for k, v in totals.items()}


@dataclass
class Record:
    """One variant as the store keeps it (see the module docstring)."""

    id: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    dates: np.ndarray  # datetime64[D], its sessions
    series: dict[str, np.ndarray] = field(default_factory=dict)  # name -> values on ``dates``


def _plain(value: Any) -> Any:
    """A metrics or parameter value Parquet can hold: nested values as JSON text."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True)
    return value


def read_record(run_dir: Path) -> Record:
    """The :class:`Record` of the saved variant ``run_dir`` (its folder name is the id)."""
    run_dir = Path(run_dir)
    try:
        config = load_run_config(run_dir / "config.toml")
        metrics = json.loads((run_dir / "metrics.json").read_text())
        print_ = fingerprint(run_dir)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"'{run_dir}' has a damaged file ({type(exc).__name__}: {str(exc)[:100]})",
            RERUN,
        ) from None
    if not isinstance(metrics, dict) or "cagr" not in metrics:
        raise UserError(f"'{run_dir / 'metrics.json'}' holds no metrics", RERUN)
    dates, returns = read_returns(run_dir)
    bench = returns["benchmark"]
    bench_ref = series_name("benchmark", dates, bench)
    series = {run_dir.name: returns["strategy"], bench_ref: bench}
    refs: dict[str, str | None] = {"benchmark_ref": bench_ref, "twin_ref": None}
    if "twin" in returns:
        twin_ref = series_name("twin", dates, returns["twin"])
        series[twin_ref] = returns["twin"]
        refs["twin_ref"] = twin_ref
    row = {"id": run_dir.name, "status": "done", "config": config, "metrics": metrics}
    rec = sweep_record(row, sorted(config.param_values()))
    rec["run_dir"] = f"variants/{run_dir.name}"
    extra = {k: _plain(v) for k, v in metrics.items() if k not in rec}
    rec.update(extra, label=run_label(config), paid_costs=paid_costs(config), **refs)
    rec.update(holdings=json.dumps(holdings_share(run_dir)), fingerprint=print_)
    params = {"id": run_dir.name, **{k: _plain(v) for k, v in config.param_values().items()}}
    return Record(run_dir.name, rec, params, dates, series)


# ----- Parquet tables of a batch of records ---
def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table; a column mixing kinds of values (numbers, text) becomes text."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            kinds = {
                type(v)
                for v in frame[col]
                if v is not None and not (isinstance(v, float) and np.isnan(v))
            }
            if len(kinds) > 1:
                frame[col] = [None if v is None else str(v) for v in frame[col]]
    return pa.Table.from_pandas(frame, preserve_index=False)


def _lists(arrays: list[np.ndarray], kind: pa.DataType) -> pa.ListArray:
    """Numpy arrays as one Arrow list array (their values back to back, and offsets)."""
    offsets = np.concatenate([[0], np.cumsum([len(a) for a in arrays])]).astype(np.int32)
    flat = np.concatenate(arrays) if arrays else np.array([], dtype=float)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, type=kind))


def batch_tables(records: list[Record]) -> dict[str, pa.Table]:
    """The four tables of a batch: ``metrics`` and ``params`` (a row per variant), ``series``
    (a row per distinct series: name, calendar, values) and ``calendars`` (name, dates)."""
    calendars: dict[str, np.ndarray] = {}
    series: dict[str, tuple[str, np.ndarray]] = {}
    for r in records:
        cal = calendar_name(r.dates)
        calendars[cal] = r.dates
        for name, values in r.series.items():
            series.setdefault(name, (cal, values))
    names = sorted(series)
    return {
        "metrics": arrow_table(pd.DataFrame([r.metrics for r in records])),
        "params": arrow_table(pd.DataFrame([r.params for r in records])),
        "series": pa.table(
            {
                "name": names,
                "calendar": [series[n][0] for n in names],
                "values": _lists([series[n][1] for n in names], pa.float64()),
            }
        ),
        "calendars": pa.table(
            {"calendar": list(calendars), "dates": _lists(list(calendars.values()), pa.date32())}
        ),
    }


def wide_returns(series: pa.Table, calendars: pa.Table) -> pd.DataFrame:
    """Sessions x series names (sorted) from the long ``series`` and ``calendars`` tables; a
    series is NaN on sessions outside its own calendar."""
    if series.num_rows == 0:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    cal_names = calendars.column("calendar").to_pylist()
    cal_dates = {
        n: calendars.column("dates")[i]
        .values.to_numpy(zero_copy_only=False)
        .astype(SESSION_DTYPE)
        for i, n in enumerate(cal_names)
    }
    names = series.column("name").to_pylist()
    of = series.column("calendar").to_pylist()
    values = series.column("values").combine_chunks()
    flat = values.values.to_numpy(zero_copy_only=False)
    offsets = values.offsets.to_numpy()
    order = sorted(range(len(names)), key=names.__getitem__)
    if len(set(of)) == 1:  # the usual sweep: one window for every series, a straight stack
        index = pd.DatetimeIndex(cal_dates[of[0]], name="date")
        # one copy, in sorted order; each series a contiguous column (the statistics read columns)
        matrix = flat.reshape(len(names), len(index))[order].T
    else:
        union = np.unique(np.concatenate([cal_dates[c] for c in set(of)]))
        index = pd.DatetimeIndex(union, name="date")
        matrix = np.full((len(union), len(names)), np.nan, order="F")
        for j, src in enumerate(order):
            rows = np.searchsorted(union, cal_dates[of[src]])
            matrix[rows, j] = flat[offsets[src] : offsets[src + 1]]
    return pd.DataFrame(matrix, index=index, columns=[names[j] for j in order], copy=False)
