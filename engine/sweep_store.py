"""The columnar store of a sweep: its returns matrix (an Arrow IPC file, read memory-mapped),
metrics table and parameters (Parquet), so statistics, ranking and pages over 1,000s of variants
load in a second instead of reading every run's ``returns.csv``.

The run folders (``<sweep>/variants/<id>/``) stay the source of truth; the store
(``<sweep>/store/``) is derived from them (``engine.store_records`` says what it keeps of each):

* **Written as variants finish.** The sweep's driver :meth:`SweepStore.append`\\ s each saved
  variant; every :data:`BATCH` variants (or :data:`FLUSH_SECONDS`) the batch becomes one part
  folder, written under a hidden name and renamed into ``store/parts/``, so a killed driver
  leaves whole parts and nothing half-written. When the sweep ends the parts are compacted into
  one ``store/base-*`` folder (written the same way; it lists the parts it holds, which are then
  removed: a crash in between leaves them ignored, never counted twice).
* **Rebuilt when missing or stale.** :func:`open_store` compares the store with the folders. The
  store is *stale* when its format is not :data:`FORMAT`, when it holds an id with no complete
  variant folder (removed, or damaged and redone), or when a variant's fingerprint (size and
  modification time of its ``metrics.json`` and ``returns.csv``) differs from the one stored
  (the folder was rewritten): then it is rebuilt from the folders. Complete folders it does not
  hold yet (a driver killed before its last batch) are appended. A complete folder is one with
  every file of a run (``engine.results.is_complete_run``).
* **Read** as pandas frames: :meth:`SweepStore.returns` (sessions x variant ids, then the
  reference series ``benchmark:<hash>`` and ``twin:<hash>`` named in each variant's
  ``benchmark_ref`` and ``twin_ref``), :meth:`SweepStore.metrics` (a row per variant: the
  sweep.csv columns, then every other figure of ``metrics.json``) and
  :meth:`SweepStore.params` (a row per variant: its parameters). Rows and columns are in id
  order, so a serial, a process-pool and a Dask sweep of one experiment hold equal frames.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.atomic import discard, write_failure
from core.errors import UserError
from engine.results import is_complete_run
from engine.store_records import (
    Record,
    arrow_table,
    batch_tables,
    fingerprint,
    read_record,
    wide_returns,
)

#: The store's layout version; a store of another version is rebuilt.
FORMAT = 3
#: The folder of a sweep holding its store, and of the store holding the parts.
STORE, PARTS = "store", "parts"
#: Variants per part while a sweep runs, and the longest a finished variant waits to be written.
BATCH = 50
FLUSH_SECONDS = 10.0
TABLES = ("metrics", "params", "series", "calendars")
#: Tables kept as uncompressed Arrow IPC files and read memory-mapped: the returns, which are
#: floats that do not compress, load without decoding (Parquet's decoding of a 1,000-variant
#: matrix needs five times its size in scratch memory). The others are Parquet.
MAPPED = ("series",)


def _file(folder: Path, key: str) -> Path:
    return folder / (f"{key}.arrow" if key in MAPPED else f"{key}.parquet")


def _write_folder(
    parent: Path, name: str, tables: dict[str, pa.Table], extra: dict | None = None
) -> Path:
    """Write ``tables`` (and ``store.json``) into ``parent/name/`` atomically (a hidden folder
    renamed into place)."""
    tmp = parent / f".tmp-{name}-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        discard(tmp)
        tmp.mkdir()
        for key, table in tables.items():
            if key in MAPPED:
                with pa.OSFile(str(_file(tmp, key)), "wb") as sink, pa.ipc.new_file(
                    sink, table.schema
                ) as writer:
                    writer.write_table(table)
            else:
                pq.write_table(table, _file(tmp, key))
        (tmp / "store.json").write_text(json.dumps({"format": FORMAT, **(extra or {})}) + "\n")
        os.rename(tmp, parent / name)
    except OSError as exc:
        discard(tmp)
        raise write_failure(exc, "the sweep store", parent) from None
    return parent / name


def _read_file(path: Path) -> pa.Table:
    """A stored table: an Arrow IPC file memory-mapped (its buffers are the file's pages), or a
    Parquet file read."""
    if path.suffix == ".arrow":
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    return pq.read_table(path)


def _stamp() -> str:
    return f"{time.time_ns():020d}-{os.getpid()}"


def _concat(tables: list[pa.Table], key: str) -> pd.DataFrame:
    """The rows of ``tables`` as one frame, the last row of each ``key`` kept, sorted by it."""
    frames = [t.to_pandas() for t in tables if t.num_rows]
    if not frames:
        return pd.DataFrame(columns=[key])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return (
        frame.drop_duplicates(key, keep="last")
        .sort_values(key, kind="stable")
        .reset_index(drop=True)
    )


def _last_of(table: pa.Table, key: str) -> pa.Table:
    """``table`` with one row per ``key``: the last one."""
    keys = pd.Series(table.column(key).to_pylist())
    if keys.is_unique:
        return table
    return table.take(pa.array(keys.index[~keys.duplicated(keep="last")].to_numpy()))


class SweepStore:
    """The store of the sweep in ``sweep_dir`` (see the module docstring). Open it with
    :func:`open_store`; a sweep's driver appends to it and :meth:`close`\\ s it."""

    def __init__(self, sweep_dir: str | Path) -> None:
        self.sweep_dir = Path(sweep_dir)
        self.folder = self.sweep_dir / STORE
        self._pending: dict[str, Record] = {}
        self._last_flush = time.monotonic()
        self._cache: dict[str, object] = {}

    # ----- reading ---
    def _sources(self) -> tuple[Path | None, list[Path]]:
        """(the newest base folder, the part folders it does not include)."""
        bases = (
            sorted(p for p in self.folder.glob("base-*") if p.is_dir())
            if self.folder.is_dir()
            else []
        )
        base = bases[-1] if bases else None
        included = (
            set(json.loads((base / "store.json").read_text()).get("parts", [])) if base else set()
        )
        parts_dir = self.folder / PARTS
        parts = (
            sorted(
                p
                for p in parts_dir.iterdir()
                if not p.name.startswith(".") and p.name not in included
            )
            if parts_dir.is_dir()
            else []
        )
        return base, parts

    def format_ok(self) -> bool:
        """False when a part or base of the store has another layout version than :data:`FORMAT`."""
        base, parts = self._sources()
        for folder in [*([base] if base else []), *parts]:
            with contextlib.suppress(OSError, ValueError):
                if json.loads((folder / "store.json").read_text()).get("format") == FORMAT:
                    continue
            return False
        return True

    def _read(self, key: str) -> list[pa.Table]:
        self.flush()
        base, parts = self._sources()
        return [_read_file(_file(f, key)) for f in [*([base] if base else []), *parts]]

    def _frame(self, key: str) -> pd.DataFrame:
        """The ``metrics`` or ``params`` rows of the base and the parts (cached)."""
        if key not in self._cache:
            self._cache[key] = _concat(self._read(key), "id")
        return self._cache[key]

    def _series(self) -> tuple[pa.Table, pa.Table] | None:
        """The ``series`` and ``calendars`` tables of the base and the parts (cached)."""
        if "series" not in self._cache:
            series, calendars = self._read("series"), self._read("calendars")
            self._cache["series"] = (
                (
                    _last_of(pa.concat_tables(series), "name"),
                    _last_of(pa.concat_tables(calendars), "calendar"),
                )
                if series
                else None
            )
        return self._cache["series"]  # type: ignore[return-value]

    def metrics(self) -> pd.DataFrame:
        """One row per stored variant, in id order: the sweep.csv columns (id, status, strategy,
        ``param.*``, metrics, cost_bps, breakeven_bps, error, run_dir), then every other figure
        of its ``metrics.json`` (nested values as JSON text), ``label``, ``paid_costs``,
        ``benchmark_ref``, ``twin_ref`` (columns of :meth:`returns`) and ``fingerprint``."""
        return self._frame("metrics").copy()

    def params(self) -> pd.DataFrame:
        """One row per stored variant, in id order: ``id`` and a column per parameter (lists
        and tables as JSON text)."""
        return self._frame("params").copy()

    def returns(self) -> pd.DataFrame:
        """Daily simple returns, sessions (``date``) x columns: every stored variant's strategy
        returns under its id (id order), then the reference series (the benchmarks
        ``benchmark:<hash>`` and the no-rotation twins ``twin:<hash>``, each distinct series
        once; ``metrics()`` says which is whose). NaN outside a series' own sessions."""
        if "wide" not in self._cache:
            tables = self._series()
            if tables is None:
                return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
            wide = wide_returns(*tables)
            ids = [i for i in self._frame("metrics")["id"] if i in wide.columns]
            columns = ids + [c for c in wide.columns if ":" in c]
            self._cache["wide"] = wide if columns == list(wide.columns) else wide[columns]
        # copy on write (pandas >= 3): a caller's change never reaches the cached matrix
        return self._cache["wide"].copy(deep=False)  # type: ignore[attr-defined]

    @property
    def ids(self) -> list[str]:
        """The stored variant ids, sorted (pending appends included)."""
        return sorted({*self._frame("metrics")["id"], *self._pending})

    # ----- writing ---
    def append(self, run_dirs: str | Path | Iterable[str | Path]) -> int:
        """Add saved variant folders (one, or several) to the store; they are written in batches
        of :data:`BATCH` (or every :data:`FLUSH_SECONDS`), and at :meth:`flush`. Returns how many
        were added. A folder already stored is replaced (its last record counts)."""
        dirs = [run_dirs] if isinstance(run_dirs, str | Path) else list(run_dirs)
        for d in dirs:
            rec = read_record(Path(d))
            self._pending[rec.id] = rec
        if len(self._pending) >= BATCH or time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.flush()
        return len(dirs)

    def flush(self) -> Path | None:
        """Write the pending variants as one part (atomically); the part's folder, if any."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return None
        records = [self._pending[k] for k in sorted(self._pending)]
        part = _write_folder(
            self.folder / PARTS, _stamp(), batch_tables(records), {"ids": [r.id for r in records]}
        )
        self._pending.clear()
        self._cache.clear()
        return part

    def compact(self) -> Path | None:
        """Merge the base and the parts into one new base (atomically), then remove what it
        replaced. Nothing to merge: nothing is written."""
        self.flush()
        base, parts = self._sources()
        if not parts:
            return base
        series, calendars = self._series() or (None, None)
        tables = {
            "metrics": arrow_table(self._frame("metrics")),
            "params": arrow_table(self._frame("params")),
            "series": series,
            "calendars": calendars,
        }
        new = _write_folder(
            self.folder, f"base-{_stamp()}", tables, {"parts": [p.name for p in parts]}
        )
        for old in [*([base] if base else []), *parts]:
            shutil.rmtree(old, ignore_errors=True)
        self._cache.clear()
        return new

    def close(self) -> None:
        """Write what is pending and compact the store (the end of a sweep)."""
        self.compact()

    # ----- staleness ---
    def folders(self) -> dict[str, Path]:
        """The complete variant folders of the sweep, by id."""
        variants = self.sweep_dir / "variants"
        if not variants.is_dir():
            return {}
        return {
            p.name: p
            for p in sorted(variants.iterdir())
            if not p.name.startswith(".") and is_complete_run(p)
        }

    def stale(self) -> tuple[bool, list[str]]:
        """(whether the store must be rebuilt, the complete folders it does not hold yet); see
        the module docstring for what stale means."""
        folders = self.folders()
        if not self.format_ok():
            return True, sorted(folders)
        stored = self._frame("metrics")
        prints = dict(zip(stored["id"], stored["fingerprint"], strict=True)) if len(stored) else {}
        if any(i not in folders for i in prints):
            return True, sorted(folders)
        for vid, printed in prints.items():
            with contextlib.suppress(OSError):
                if fingerprint(folders[vid]) == printed:
                    continue
            return True, sorted(folders)
        return False, [i for i in folders if i not in prints]

    def refresh(self) -> SweepStore:
        """Bring the store in line with the folders: rebuild it when stale, append the folders it
        lacks, compact when it wrote anything."""
        rebuild, missing = self.stale()
        if rebuild:
            self._cache.clear()
            self._pending.clear()
            shutil.rmtree(self.folder, ignore_errors=True)
        for i in range(0, len(missing), BATCH):
            for name in missing[i : i + BATCH]:
                with contextlib.suppress(UserError):  # damaged: not stored (a sweep redoes it)
                    rec = read_record(self.sweep_dir / "variants" / name)
                    self._pending[rec.id] = rec
            self.flush()
        if self._sources()[1]:
            self.compact()
        return self


def open_store(sweep_dir: str | Path, refresh: bool = True) -> SweepStore:
    """The store of the sweep in ``sweep_dir``, rebuilt from its variant folders if missing or
    stale and completed with the folders it lacks (``refresh``; False: as it is on disk)."""
    store = SweepStore(sweep_dir)
    return store.refresh() if refresh else store
