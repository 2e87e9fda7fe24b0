"""Sweeps: expand an experiment into variants and run them serially, on a process pool or on Dask.

* An **experiment** (TOML) has a ``name``, ``[defaults]`` (any RunConfig field but strategy and
  params: period, cash, broker, data, benchmark) and ``[[variants]]``, each a ``strategy`` with
  fixed ``params`` and optional ``grid`` lists (``lookback = [63, 126, 252]``).
* **Expansion** is deterministic (grid keys sorted, values in the given order); a variant's id is
  the hash of its fully resolved RunConfig, so the same variant always has the same id and folder.
* **Executors**: ``serial``; ``process`` (default, all cores); ``dask`` (a running
  ``dask.distributed`` scheduler at ``scheduler``, else a LocalCluster). Only the resolved config
  (a plain dict) crosses processes - strategies are looked up by registry name in the worker, a
  user's ``strategy_file`` is loaded there - and each worker loads and validates the data once
  (cached per source). Results are identical whichever executor ran them.
* **After each save** an optional ``after_save(run_dir)`` hook chosen by the caller runs in the
  worker (the CLI passes the tearsheet writer for ``--tearsheets``): the sweep itself never
  imports reports, so a worker imports what a backtest needs and nothing more.
* **Streaming and resume**: every finished variant is saved at once as ``<out>/variants/<id>/``
  (written to a hidden temp folder and renamed) and only its metrics travel back, so memory stays
  flat. ``resume=True`` skips variants whose folder is complete; stale temp folders of a killed
  sweep are removed. A failing variant is recorded with its error; the others go on.
* **Twins**: each variant's no-rotation twin (``engine.twin``) is saved once per distinct twin
  as ``<out>/twins/<id>/``, a reference row beside the variants; its returns are each variant's
  ``twin`` column.
* **Store**: ``<out>/store/``, the sweep's returns matrix, metrics and parameters in Parquet
  (``engine.sweep_store``), appended by the driver as variants finish (workers only write run
  folders), compacted at the end; statistics and pages read it.
* **Output**: ``<out>/sweep.csv`` (id, status, strategy, ``param.*``, metrics, ``cost_bps`` and
  ``breakeven_bps`` (approximate, :data:`COST_COLUMNS`), error, run_dir),
  streamed a line per finished variant while the sweep runs, rewritten in variant order at the end.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.atomic import write_text_atomic
from core.deadline import OverTime, over_time_error
from core.errors import UserError
from core.locks import folder_lock, lock_holder
from core.processes import available_memory, libc, peak_rss_mb
from core.user_code import describe, really_interrupted
from engine.config import RunConfig, format_validation_error, make_run_config, read_toml
from engine.data.market import load_market_data
from engine.data.sources import Source, open_source
from engine.executors import EXECUTORS, executor_map, plan_workers
from engine.metrics import RANKABLE
from engine.results import is_complete_run, remove_stale_temp
from engine.runner import data_needs, run_backtest
from engine.sweep_csv import COST_COLUMNS, SWEEP_COLUMNS, SweepCsvStream, write_sweep_csv
from engine.sweep_store import SweepStore, open_store
from strategies import get_strategy

#: A hook run in the worker on each saved variant folder (e.g. a tearsheet writer); must pickle.
AfterSave = Callable[[Path], Any]

#: The sub-folder of a sweep holding its no-rotation twins (reference rows, one per distinct twin).
TWINS = "twins"
#: sweep.csv lives in engine.sweep_csv; these names stay importable from here
__all__ = ["COST_COLUMNS", "SWEEP_COLUMNS", "write_sweep_csv"]


class VariantSpec(BaseModel):
    """One ``[[variants]]`` entry: a strategy, fixed params, and grids to expand."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    strategy: str
    strategy_file: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    label: str | None = None


class Experiment(BaseModel):
    """A named set of variants sharing defaults (see the module docstring for the TOML layout)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    defaults: dict[str, Any] = Field(default_factory=dict)
    variants: list[VariantSpec] = Field(min_length=1)

    @field_validator("defaults")
    @classmethod
    def _defaults(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in ("strategy", "params", "strategy_file", "grid"):
            if key in v:
                raise ValueError(
                    f"[defaults] cannot set '{key}': it belongs to each [[variants]] entry"
                )
        return v

    def size(self) -> int:
        """How many variants expansion makes (before removing duplicates)."""
        return sum(
            math.prod(len(vals) for vals in spec.grid.values()) if spec.grid else 1
            for spec in self.variants
        )


@dataclass(frozen=True)
class Variant:
    """One expanded, resolved configuration and its stable id."""

    id: str
    config: RunConfig


@dataclass
class SweepResult:
    """What a sweep produced: one row per variant (JSON-ready), and where. A row's ``metrics``
    hold the figures of :data:`ROW_METRICS` (those sweep.csv, ranking and the cost notes use);
    every figure is in the variant's ``metrics.json``. A 10,000-variant sweep's driver so holds
    about a kilobyte a variant, not the whole document."""

    out: Path
    rows: list[dict] = field(default_factory=list)
    skipped: int = 0
    store: SweepStore | None = None  # the sweep's columnar store (engine.sweep_store)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "failed"]


#: The figures a sweep keeps of each variant's metrics in memory (sweep.csv's columns, what
#: ``--rank-by`` accepts, the benchmark's CAGR for the breakeven cost, the costs paid).
ROW_METRICS = tuple(dict.fromkeys([*SWEEP_COLUMNS, *RANKABLE, "benchmark_cagr", "costs_paid"]))


def lean_row(row: dict) -> dict:
    """``row`` with only the :data:`ROW_METRICS` of its ``metrics`` (changed in place)."""
    metrics = row.get("metrics")
    if metrics:
        row["metrics"] = {k: metrics[k] for k in ROW_METRICS if k in metrics}
    return row


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment TOML file; problems become a one-line UserError."""
    path = Path(path)
    doc = read_toml(path, "experiment file")
    try:
        return Experiment(**doc)
    except ValidationError as exc:
        raise format_validation_error(exc, f"experiment {path.name}") from None


#: Grids larger than this need an explicit ``max_variants`` (a typo can ask for millions).
MAX_VARIANTS = 100_000


#: Memory one variant holds while a sweep runs (its resolved config, its job and its row),
#: measured with ``expand`` at 15,000 variants (2.5 KB each) and rounded up for the rest.
VARIANT_BYTES = 8_000
#: Variants above this many are announced (``on_size``) before they are built.
ANNOUNCE_VARIANTS = 10_000


def check_size(size: int, max_variants: int = MAX_VARIANTS, memory: int | None = None) -> None:
    """Refuse a grid of ``size`` variants above ``max_variants``, or whose variants would not fit
    in half the memory available now (``memory`` bytes; default: what the system says)."""
    if size > max_variants:
        raise UserError(
            f"the experiment expands to {size:,} variants, more than {max_variants:,}",
            "narrow the grid, or pass --max-variants with a larger number if you mean it",
        )
    memory = available_memory() if memory is None else memory
    if memory and size * VARIANT_BYTES > memory // 2:
        raise UserError(
            f"the experiment expands to {size:,} variants, "
            f"about {size * VARIANT_BYTES / 2**30:.1f} GB: "
            f"more than half the {memory / 2**30:.1f} GB of memory available",
            "narrow the grid, or split it into several sweeps",
        )


def expand(experiment: Experiment, max_variants: int = MAX_VARIANTS,
           on_size: Callable[[int], None] | None = None) -> list[Variant]:
    """Every variant of ``experiment``, resolved and validated, in a deterministic order, no
    duplicates. More than ``max_variants``, or more than half the memory available can hold
    (:func:`check_size`), is refused before anything is built; ``on_size`` hears the count
    first when it is above :data:`ANNOUNCE_VARIANTS` (building takes about 0.2 ms a variant)."""
    size = experiment.size()
    check_size(size, max_variants)
    if on_size is not None and size > ANNOUNCE_VARIANTS:
        on_size(size)
    out: dict[str, Variant] = {}
    for spec in experiment.variants:
        for key, values in spec.grid.items():
            if not isinstance(values, list) or not values:
                raise UserError(
                    f"grid '{key}' of {spec.strategy} must be a non-empty list",
                    "e.g. lookback = [63, 126]",
                )
        keys = sorted(spec.grid)
        for combo in itertools.product(*(spec.grid[k] for k in keys)):
            params = {**spec.params, **dict(zip(keys, combo, strict=True))}
            fields = {**experiment.defaults, "strategy": spec.strategy, "params": params}
            if spec.strategy_file:
                fields["strategy_file"] = spec.strategy_file
            config = make_run_config(**fields)
            variant_id = config.short_hash()
            out.setdefault(variant_id, Variant(variant_id, config))
    return list(out.values())


def common_start(variants: list[Variant]) -> tuple[list[Variant], str | None]:
    """Give every variant without a ``start`` the same first measured session: the latest of their
    own (each variant's data start plus its warm-up), so all are measured on one window. Returns
    the variants (re-identified when a start was set) and a sentence saying what decided it."""
    firsts = {}
    for v in variants:
        if v.config.start is None:
            cfg = v.config
            src = _source(cfg.data.source, cfg.data.cache_dir, cfg.data.offline)
            md = load_market_data(
                *data_needs(cfg, src.available()), src, macro_lag=cfg.data.macro_lag
            )
            warm = get_strategy(cfg.strategy).cls.warmup(cfg.params)
            firsts[v.id] = (
                md.sessions[min(warm, len(md.sessions) - 1)],
                warm,
                md.limited_by or cfg.benchmark,
            )
    if len({f[0] for f in firsts.values()}) <= 1:
        return variants, None
    latest = max(firsts, key=lambda i: firsts[i][0])
    start, warm, who = firsts[latest]
    out = []
    for v in variants:
        if v.id in firsts:
            config = v.config.model_copy(update={"start": start.date()})
            v = Variant(config.short_hash(), config)
        out.append(v)
    return out, (
        f"{len(firsts)} variants measured from {start.date()}, the latest first session after "
        f"warm-up ({warm} sessions after {who}'s data starts); set start in the experiment to "
        "choose another"
    )


def grid_experiment(
    strategy: str,
    grids: dict[str, list[Any]],
    params: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    name: str | None = None,
) -> Experiment:
    """An experiment for the CLI shortcut ``smallcap sweep --strategy NAME --grid key=v1,v2``."""
    return Experiment(name=name or f"{strategy}-grid", defaults=defaults or {},
                      variants=[VariantSpec(strategy=strategy, params=params or {}, grid=grids)])


# ----- worker side --------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _source(spec: str, cache_dir: str | None, offline: bool) -> Source:
    """One data source per worker process: files are read and validated once, then reused. The
    source lists its files again and keys each series by the file's content digest, so a file
    added, removed, renamed or edited between two sweeps in one process is seen."""
    return open_source(spec, cache_dir=cache_dir, offline=offline)


def run_variant(config_doc: dict, run_dir: str, after_save: AfterSave | None = None,
                timeout: float | None = None, twin_folder: str | None = None) -> dict:
    """Run one variant in whatever process this is; save it to ``run_dir``; return a small row.

    ``after_save``: called with the saved folder (e.g. to write a tearsheet). ``timeout``:
    seconds the backtest may take (None: no limit); ``twin_folder``: where the sweep's no-rotation
    twins are saved, each distinct one run once (``engine.twin``). Never raises for a failing
    backtest (user code's ``sys.exit()`` and ``KeyboardInterrupt`` included, and a backtest over its
    time): the row has ``status='failed'`` and the one-line error. A real Ctrl-C still stops the
    sweep.
    """
    target = Path(run_dir)
    row: dict[str, Any] = {"id": target.name, "pid": os.getpid()}
    # a retry (Dask) of a variant already saved: keep it, never duplicate it
    if finished_ok(target):
        row.update(status="done", metrics=json.loads((target / "metrics.json").read_text()))
        return row
    try:
        config = RunConfig(**config_doc)
        src = _source(config.data.source, config.data.cache_dir, config.data.offline)
        data = load_market_data(
            *data_needs(config, src.available()), src, macro_lag=config.data.macro_lag
        )
        result = run_backtest(config, data, timeout=timeout,
                              twin_folder=Path(twin_folder) if twin_folder else None)
        result.save(target.parent, name=target.name)
        if after_save is not None:
            after_save(target)
        row.update(status="done", metrics=result.metrics)
    # recorded; the sweep goes on
    except (Exception, SystemExit, KeyboardInterrupt, OverTime) as exc:
        if isinstance(exc, KeyboardInterrupt) and really_interrupted():
            raise
        if isinstance(exc, OverTime):  # the limit struck just after the backtest, while saving
            exc = over_time_error(f"variant {target.name}", timeout or 0)
        message = exc.one_line() if isinstance(exc, UserError) else describe(exc)
        row.update(status="failed", error=message.replace("\n", " "))
    _release_free_memory()
    row["peak_rss_mb"] = peak_rss_mb()
    return row


#: The sweep driver's process id (set by run_sweep); in it (the serial executor) memory is left
#: alone.
_DRIVER_PID: int | None = None
_frozen = False


def _release_free_memory() -> None:
    """In a worker, after each variant: collect the variant's reference cycles (backtrader's
    cerebro, strategy and lines refer to each other), give the freed heap pages back to the
    system (glibc's ``malloc_trim``), and after the first variant move everything alive - the
    modules, the loaded data - out of the collector's sight (``gc.freeze``), so each collection
    scans only the last variant's objects.

    Without it a worker's resident memory creeps up by a fifth over its first ~50 variants
    (cycles waiting for a full collection, and fragmented free heap), which reads as a leak on a
    1,000-variant sweep; with it, it stays at the working set of one variant
    (``bench/sweep_1000.py``).
    """
    global _frozen
    if os.getpid() == _DRIVER_PID:
        return
    gc.collect()
    if not _frozen:
        gc.freeze()
        _frozen = True
    c = libc()
    if c is not None and hasattr(c, "malloc_trim"):
        c.malloc_trim(0)


# ----- driver side --------------------------------------------------------------------------------
def claim_folder(out: Path, variants: list[Variant], force: bool = False) -> None:
    """Record which experiment ``out`` holds (``experiment.json``); refuse a folder that holds a
    different one unless ``force``. Nothing is deleted."""
    marker = out / "experiment.json"
    ids = sorted(v.id for v in variants)
    holder = lock_holder(out)
    if holder is not None and holder != os.getpid():
        who = f" (process {holder})" if holder else ""
        raise UserError(f"another sweep is writing into {out}{who}",
                        "wait for it to finish, or pass another --out")
    if marker.exists() and not force:
        try:
            held = json.loads(marker.read_text())
        except (OSError, ValueError):
            held = {"ids": None}
        if held.get("ids") != ids:
            raise UserError(
                f"{out} holds another sweep ({len(held.get('ids') or [])} variants, "
                f"{held.get('name', '?')}); this one has {len(ids)} different variants",
                "pass a new --out (or none: each sweep gets its own folder), or --force to add to "
                "it",
            )
    write_text_atomic(
        marker, json.dumps({"ids": ids, "name": out.name}, indent=1) + "\n", "experiment.json"
    )


def finished_ok(run_dir: Path) -> bool:
    """True if ``run_dir`` is a complete run whose files parse (metrics.json, returns.csv)."""
    if not is_complete_run(run_dir):
        return False
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        returns = pd.read_csv(run_dir / "returns.csv", index_col="date")
    except (OSError, ValueError, pd.errors.ParserError):
        return False
    numbers = (
        all(pd.api.types.is_float_dtype(t) for t in returns.dtypes)
        and not returns.isna().any().any()
    )
    return isinstance(metrics, dict) and "cagr" in metrics and len(returns) > 0 and numbers and \
        list(returns.columns[:2]) == ["strategy", "benchmark"] and returns.index.is_unique


def locked(out: Path) -> AbstractContextManager[None]:
    """Hold an exclusive lock on ``out/.lock`` (``flock``) for the sweep; a second sweep on the
    same folder is refused at once with a one-line error."""
    return folder_lock(out, f"another sweep is writing into {out}")


def _pending(
    variants: list[Variant], folder: Path, resume: bool, stored: set[str]
) -> tuple[list[Variant], list[Variant]]:
    """(to run, done): a variant is done when the sweep's store holds it (``stored``: its files
    checked when they were stored, unchanged since) or its folder is :func:`finished_ok`."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(folder)  # left by a killed worker mid-save: never a run
    ok = {v.id for v in variants if v.id in stored or finished_ok(folder / v.id)}
    done = [v for v in variants if v.id in ok]
    if done and not resume:
        raise UserError(f"{folder.parent} already holds {len(done)} finished variant(s)",
                        "pass --resume to continue that sweep, or --out another folder")
    for v in variants:  # an incomplete or damaged folder (killed mid-write, edited) is redone
        if v.id not in ok and (folder / v.id).exists():
            shutil.rmtree(folder / v.id)
    return [v for v in variants if v.id not in ok], done


#: Seconds one variant's backtest may take in a sweep unless ``timeout`` says otherwise (a stuck
#: variant fails with its own line, the others go on).
VARIANT_TIMEOUT = 1800.0


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs (see :func:`run_sweep`)."""

    executor: str = "process"
    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    after_save: AfterSave | None = None
    on_result: Callable[[dict], None] | None = None
    force: bool = False
    timeout: float | None = VARIANT_TIMEOUT
    on_note: Callable[[str], None] | None = None


def run_sweep(
    variants: list[Variant],
    out: str | Path,
    *,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    after_save: AfterSave | None = None,
    on_result: Callable[[dict], None] | None = None,
    force: bool = False,
    timeout: float | None = VARIANT_TIMEOUT,
    on_note: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run ``variants`` into ``out/variants/<id>/`` and write ``out/sweep.csv``; return the rows.

    ``executor``: serial | process | dask; ``workers``: processes or Dask workers (default: all
    cores); ``scheduler``: a ``tcp://host:port`` Dask scheduler (default: a LocalCluster);
    ``resume``: skip variants already complete in ``out``; ``after_save``: a picklable function
    run in the worker on each saved variant folder (e.g. ``reports.write_tearsheet``);
    ``on_result``: called with each finished row (for progress bars); ``force``: write into a
    folder that holds another experiment (``experiment.json`` records which one a folder holds);
    ``timeout``: seconds each variant's backtest may take (default :data:`VARIANT_TIMEOUT`; None
    or 0: no limit), an over-time variant fails with its own line; ``on_note``: called with
    warnings worth printing before the work starts (more workers than cores).
    """
    global _DRIVER_PID
    if executor not in EXECUTORS:
        raise UserError(f"unknown executor '{executor}'", f"use one of: {', '.join(EXECUTORS)}")
    _DRIVER_PID = os.getpid()
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}", "e.g. --workers 2")
    if timeout is not None and not (timeout >= 0 and math.isfinite(timeout)):
        raise UserError(
            f"--timeout must be a number of seconds (0: none), got {timeout}", "e.g. --timeout 600"
        )
    options = SweepOptions(
        executor, workers, scheduler, resume, after_save, on_result, force, timeout, on_note
    )
    out = Path(out)
    with locked(out):
        return _run_locked(variants, out, options)


def _run_locked(variants: list[Variant], out: Path, o: SweepOptions) -> SweepResult:
    folder = out / "variants"
    executor, scheduler, after_save, on_result = o.executor, o.scheduler, o.after_save, o.on_result
    claim_folder(out, variants, o.force)
    # the store in line with the finished folders (on --resume: it says which are done)
    store = open_store(out, refresh=o.resume)
    todo, done = _pending(variants, folder, o.resume, set(store.ids) if o.resume else set())
    store.refresh()
    workers = plan_workers(o.workers, len(todo), executor, o.on_note, remote=bool(scheduler))
    result = SweepResult(out=out, skipped=len(done), store=store)
    by_id = {v.id: v for v in variants}
    stream = SweepCsvStream(out / "sweep.csv", variants)
    for v in done:
        metrics = json.loads((folder / v.id / "metrics.json").read_text())
        row = {
            "id": v.id,
            "status": "done",
            "metrics": metrics,
            "config": v.config,
            "resumed": True,
        }
        result.rows.append(lean_row(row))
        stream.add(row)
        if on_result:
            on_result(row)
    # absolute folders: a worker of a remote cluster may run in another working directory
    twins = str((out / TWINS).resolve())
    jobs = [
        (v.config.to_dict(), str((folder / v.id).resolve()), after_save, o.timeout or None, twins)
        for v in todo
    ]
    order = {v.id: i for i, v in enumerate(variants)}
    try:
        for row in executor_map(executor, run_variant, jobs, workers, scheduler):
            row["config"] = by_id[row["id"]].config
            if row["status"] == "done":
                store.append(folder / row["id"])
            result.rows.append(lean_row(row))
            stream.add(row)
            if on_result:
                on_result(row)
    finally:  # interrupted or not, sweep.csv says what is finished (--resume continues from it)
        stream.close()
        remove_stale_temp(folder)  # half-saved folders of workers that died mid-save
        store.close()  # the last batch written, the parts compacted
        result.rows.sort(key=lambda r: order[r["id"]])
        write_sweep_csv(result, out / "sweep.csv")
    return result
