"""Parsed and validated series kept on disk, so a file is read and checked once.

Reading a daily CSV into a typed frame and checking it against every market rule is a visible
share of a command-line backtest. The result depends only on:

* the file's bytes (its sha256, which the run's manifest records anyway);
* the name errors and reports point at (the file's path) and the kind asked for;
* the code that reads and checks (every module of ``engine.data``, and ``core.calendar``);
* the NYSE session table in use, and ``SMALLCAP_MAX_DAILY_MOVE``;
* the libraries that parse and hold it (pandas, numpy) and this project's version.

The entry's name is a digest of all of these (``core.cache``: the one cache policy, which also
decides the folder and the pruning), so a changed file, rule, calendar or library is read and
checked again, never served stale; only series that passed are kept. Entries are ``.npz`` files
(numpy arrays and a JSON header, no pickle). An unreadable entry is read again from the CSV; a
cache that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import asdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core import calendar as session_calendar
from core.cache import DiskCache
from core.calendar import session_table_digest
from engine.data.validate import ValidationReport

#: The cache of parsed series (``$SMALLCAP_CACHE_DIR/series/``).
SERIES_CACHE = DiskCache("series", ".npz")


@cache
def _code_digest() -> str:
    h = hashlib.sha256()
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(session_calendar.__file__)]:
        h.update(path.read_bytes())
    return h.hexdigest()


def entry_path(sha256: str, name: str, kind: str | None) -> Path:
    """Where the entry of this file content, path and kind lives (see the module docstring)."""
    label = hashlib.sha256(name.encode()).hexdigest()[:16]
    return SERIES_CACHE.path(sha256, name, str(kind), _code_digest(), session_table_digest(),
                             os.environ.get("SMALLCAP_MAX_DAILY_MOVE", ""), label=label)


def _read(path: Path) -> tuple[str, pd.DataFrame, ValidationReport]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = json.loads(str(npz["header"]))
            index = pd.DatetimeIndex(npz["index"], name=header["index_name"])
            frame = pd.DataFrame({c: npz[f"col{i}"] for i, c in enumerate(header["columns"])},
                                 index=index)
    except (KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"unreadable entry {path.name}") from exc
    return header["kind"], frame, ValidationReport(**header["report"])


def load_entry(path: Path) -> tuple[str, pd.DataFrame, ValidationReport] | None:
    """``(kind, frame, report)`` saved at ``path``, or None when it is missing or unreadable."""
    return SERIES_CACHE.read(path, _read)


def save_entry(path: Path, kind: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    """Save an entry atomically (pruning as ``core.cache`` says); a cache that cannot be written
    is left as it is."""
    header = {"kind": kind, "columns": list(frame.columns), "index_name": frame.index.name,
              "report": asdict(report)}
    arrays = {f"col{i}": frame[c].to_numpy() for i, c in enumerate(frame.columns)}

    def write(tmp: Path) -> None:
        np.savez(tmp, header=np.array(json.dumps(header)), index=frame.index.to_numpy(), **arrays)

    SERIES_CACHE.write(path, write)
