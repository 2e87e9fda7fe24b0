"""``BacktestResult``: what one run produced, and its self-contained run directory.

A run directory (``runs/<UTC timestamp>-<strategy>-<config hash>/``) holds:

==================  ==========================================================================
``config.toml``     the fully resolved RunConfig (re-runnable with ``--config``)
``manifest.json``   tool and library versions, data source, sha256 per symbol, period, costs,
                    fill model, wall time, warnings
``returns.csv``     ``date,strategy,benchmark,twin``: daily simple returns (``twin``: the
                    no-rotation twin, ``engine.twin``; absent in runs saved before it and in
                    the twins' own runs)
``equity.csv``      ``date,equity,cash``
``trades.csv``      closed round trips: symbol, opened, closed, sessions, pnl, pnl_net
``orders.csv``      every order: created, date, symbol, side, status, size, price, value,
                    commission, slippage (the two costs the broker charged, currency)
``positions.csv``   ``date,symbol,size,price,value`` for each held position each session
``decisions.csv``   ``date,targets,reason,weights``: what the strategy wanted and why (weights as
                    JSON with full precision; ``targets`` rounded for reading)
``metrics.json``    the metrics of ``engine.metrics``
==================  ==========================================================================

It is written into a hidden temporary folder beside the target and renamed into place, so an
interrupted save leaves nothing half-written; an existing run directory is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import discard, write_failure
from core.errors import UserError
from core.locks import lock_holder
from core.processes import pid_alive
from engine.config import RunConfig, load_run_config
from engine.csv_writer import write_csv

#: The tables of a run besides its returns (see ``BacktestResult.load``).
TABLES = ("equity", "trades", "orders", "positions", "decisions")
#: The columns of returns.csv, in order (``twin`` may be absent: older runs, twins themselves).
RETURN_COLUMNS = ("strategy", "benchmark", "twin")
FILES = ("config.toml", "manifest.json", "returns.csv", "equity.csv", "trades.csv", "orders.csv",
         "positions.csv", "decisions.csv", "metrics.json")


@dataclass
class BacktestResult:
    """One finished backtest. Frames are indexed by plain session dates where they have one."""

    config: RunConfig
    returns: pd.DataFrame  # columns strategy, benchmark[, twin]
    equity: pd.DataFrame  # columns equity, cash
    trades: pd.DataFrame
    orders: pd.DataFrame
    positions: pd.DataFrame
    decisions: pd.DataFrame
    metrics: dict
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    run_dir: Path | None = None
    tearsheet_error: str | None = None  # set when the run was saved but its tearsheet failed

    @property
    def run_id(self) -> str:
        """The saved run's folder name: its id in sweeps, walk-forward and luck statistics. A
        run never saved has none: a one-line UserError."""
        if self.run_dir is None:
            raise UserError(f"this {self.config.strategy} run was never saved, so it has no id",
                            "save it first (BacktestResult.save) or load it from its folder")
        return self.run_dir.name

    def default_dir_name(self) -> str:
        """``<UTC timestamp>-<strategy>-<config hash>``."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{stamp}-{self.config.strategy}-{self.config.short_hash()}"

    def save(self, parent: str | Path = "runs", name: str | None = None) -> Path:
        """Write the run directory under ``parent`` atomically and return its path. A failure to
        write (full disk, permissions) is a one-line :class:`UserError`; nothing is left behind."""
        try:
            return self._save(Path(parent), name)
        except OSError as exc:
            raise write_failure(exc, "the run", parent) from None

    def _save(self, parent: Path, name: str | None) -> Path:
        parent.mkdir(parents=True, exist_ok=True)
        base = name or self.default_dir_name()
        tmp = parent / f".tmp-{base}-{os.getpid()}"
        discard(tmp)
        tmp.mkdir()
        try:
            self.write_files(tmp)
            target, n = parent / base, 1
            while target.exists():  # never overwrite an existing run
                n += 1
                target = parent / f"{base}-{n}"
            os.rename(tmp, target)
        except BaseException:
            discard(tmp)
            raise
        self.run_dir = target
        return target

    def write_files(self, folder: Path) -> None:
        """Write every file of the run into ``folder`` (no atomicity; ``save`` provides it)."""
        (folder / "config.toml").write_text(_cash_comment(self.metrics) + self.config.to_toml())
        (folder / "manifest.json").write_text(
            json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        )
        _csv(
            self.returns[[c for c in RETURN_COLUMNS if c in self.returns]],
            folder / "returns.csv",
            index=True,
        )
        _csv(self.equity, folder / "equity.csv", index=True)
        for name in ("trades", "orders", "positions", "decisions"):
            _csv(getattr(self, name), folder / f"{name}.csv", index=False)
        (folder / "metrics.json").write_text(
            json.dumps(self.metrics, indent=2, sort_keys=True) + "\n"
        )

    @classmethod
    def load(cls, run_dir: str | Path, tables: Collection[str] | None = None) -> BacktestResult:
        """Read a saved run directory back (everything but the engine state); a missing or
        damaged file is a one-line :class:`UserError` naming it.

        ``tables``: which of ``equity``, ``trades``, ``orders``, ``positions`` and ``decisions``
        to read (default: all; the others are left empty). ``returns``, metrics, config and
        manifest are always read. A page of 1,000 runs reads only what it shows.
        """
        try:
            return cls._load(Path(run_dir), TABLES if tables is None else tuple(tables))
        except UserError:
            raise
        except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
            raise UserError(
                f"'{run_dir}' has a damaged file ({type(exc).__name__}: {str(exc)[:100]})",
                "run it again, or remove it with `smallcap runs rm`",
            ) from None

    @classmethod
    def _load(cls, run_dir: Path, tables: tuple[str, ...]) -> BacktestResult:
        run_dir = Path(run_dir)
        missing = [f for f in FILES if not (run_dir / f).exists()]
        if missing:
            raise UserError(
                f"'{run_dir}' is not a complete run directory (missing {', '.join(missing)})",
                "pass a folder written by `smallcap backtest`",
            )

        def frame(name: str, index: bool) -> pd.DataFrame:
            path = run_dir / f"{name}.csv"
            if name != "returns" and name not in tables:
                return pd.DataFrame()
            if index:
                frame = pd.read_csv(path, index_col="date")
                frame.index = pd.DatetimeIndex(
                    pd.to_datetime(frame.index, format="%Y-%m-%d"), name="date"
                )
                return frame
            try:
                return pd.read_csv(path)
            except pd.errors.EmptyDataError:
                return pd.DataFrame()

        manifest = json.loads((run_dir / "manifest.json").read_text())
        metrics = json.loads((run_dir / "metrics.json").read_text())
        missing_keys = [
            k for k in ("start", "end", "cagr", "sharpe", "risk_free_rate") if k not in metrics
        ]
        if missing_keys:
            raise ValueError(f"metrics.json lacks {', '.join(missing_keys)}")
        returns = frame("returns", True)
        if (
            list(returns.columns) not in (list(RETURN_COLUMNS[:2]), list(RETURN_COLUMNS))
            or returns.isna().any().any()
            or not all(pd.api.types.is_float_dtype(t) for t in returns.dtypes)
        ):
            raise ValueError(
                "returns.csv is not date,strategy,benchmark[,twin] with a number in every row"
            )
        if not returns.index.is_monotonic_increasing or not returns.index.is_unique:
            raise ValueError("returns.csv has its dates out of order or repeated")
        return cls(
            config=load_run_config(run_dir / "config.toml"),
            returns=returns,
            equity=frame("equity", True),
            trades=frame("trades", False),
            orders=frame("orders", False),
            positions=frame("positions", False),
            decisions=frame("decisions", False),
            metrics=metrics,
            manifest=manifest,
            warnings=list(manifest.get("warnings", [])),
            run_dir=run_dir,
        )


def _cash_comment(metrics: dict) -> str:
    """A comment line for config.toml naming the cash rate the run used (``risk_free`` in
    metrics.json: set by ``risk_free``, else the T-bill lagged by ``data.macro_lag``)."""
    spec = metrics.get("risk_free")
    if not spec:
        return ""
    what = (
        f"constant {spec['constant']} a year (risk_free)"
        if "constant" in spec
        else f"3-month T-bill, bundled {spec['series']}, as-of with lag {spec['lag']} "
        "(data.macro_lag)"
    )
    return f"# cash rate (risk-free) used: {what}\n"


def _csv(frame: pd.DataFrame, path: Path, index: bool) -> None:
    if index:  # the session dates as YYYY-MM-DD, in a column named date
        dates = pd.DatetimeIndex(frame.index)
        text = (
            np.datetime_as_string(dates.to_numpy(), unit="D")
            if dates.tz is None
            else dates.strftime("%Y-%m-%d")
        )
        frame = frame.set_axis(pd.Index(text, dtype=object, name="date"))
    write_csv(frame, path, index=index)


def stale_temp(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Hidden ``.tmp-*-<pid>`` folders and ``.running-*`` markers (holding a pid) in ``folder``
    (and below, with ``recursive``) whose process is gone: left by a save or variant killed
    midway. Those of live processes are not listed."""
    find = Path(folder).rglob if recursive else Path(folder).glob
    stale = []
    for path in [*find(".tmp-*"), *find(".running-*")]:
        owner = path.name.rsplit("-", 1)[-1] if path.name.startswith(".tmp-") else \
            (path.read_text().strip() if path.is_file() else "")
        if not (owner.isdigit() and pid_alive(int(owner))):
            stale.append(path)
    return stale


@dataclass
class Removal:
    """What :func:`remove_paths` did: the paths it removed, and those it could not, with why."""

    removed: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)


def _in_use(path: Path) -> str:
    """Why ``path`` must not be removed now ('' if it may): a live process holds the lock of the
    folder it is, or is in (a sweep writing into it)."""
    for folder in (path, *path.parents[:2]):
        pid = lock_holder(folder)
        if pid is not None and pid != os.getpid():
            return f"in use by process {pid}" if pid else "in use by another process"
    return ""


def _remove_one(path: Path) -> str:
    """Remove ``path``; '' if it is gone, else the first reason it is not."""
    errors: list[str] = []

    def note(_fn: object, _path: object, exc: object) -> None:
        # onexc (3.12+) passes the exception, onerror its exc_info
        exc = exc[1] if isinstance(exc, tuple) else exc
        errors.append(getattr(exc, "strerror", None) or str(exc))

    if path.is_dir() and not path.is_symlink():
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=note)
        else:
            shutil.rmtree(path, onerror=note)
    else:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            errors.append(exc.strerror or str(exc))
    if not path.exists() and not path.is_symlink():
        return ""
    return errors[0] if errors else "still there"


def remove_paths(paths: list[Path]) -> Removal:
    """Delete folders and files (the caller decided, or asked the user), except those a live
    process is writing into (see :func:`_in_use`). Counts only what is really gone; names what
    is not and why (no permission, a read-only folder, in use)."""
    done = Removal()
    for path in paths:
        why = _in_use(path) or _remove_one(path)
        if why:
            done.kept.append((path, why))
        else:
            done.removed.append(path)
    return done


def remove_stale_temp(folder: Path) -> list[Path]:
    """Remove what :func:`stale_temp` finds directly in ``folder``; the removed paths."""
    return remove_paths(stale_temp(folder)).removed


def ensure_writable(folder: str | Path) -> Path:
    """Create ``folder`` and prove a file can be written there, before any work; a one-line
    :class:`UserError` naming the path and the reason otherwise (read-only, no permission, a file
    in the way, a name too long, a full disk)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write to {folder}: {exc.strerror or exc}",
                        "pass --out a folder you can write to") from None
    return folder


def is_complete_run(path: Path) -> bool:
    """True if ``path`` holds every file of a saved run."""
    return path.is_dir() and all((path / f).exists() for f in FILES)


def fresh_folder(name: str, parent: str | Path = "runs", tail: str = "") -> Path:
    """A new folder ``parent/name-<UTC time>[-tail]``, created here so no other command takes it:
    a second one started in the same second gets ``-2``, ``-3``... (as run folders do). A
    folder that cannot be made is a one-line :class:`UserError`."""
    parent = Path(parent)
    base = f"{name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}" + (f"-{tail}" if tail else "")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            folder = parent / (base if n == 1 else f"{base}-{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
    except OSError as exc:
        raise UserError(
            f"cannot write to {parent}: {exc.strerror or exc}",
            "pass --out a folder you can write to",
        ) from None
    raise UserError(f"{parent} already holds 999 folders named {base}", "pass --out")
