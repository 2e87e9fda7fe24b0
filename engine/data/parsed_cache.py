"""Parsed and validated series kept in the user cache, so a file is read and checked once.

Reading a daily CSV into a typed frame and checking it against every market rule costs about
15 ms a file, a tenth of a command-line backtest. The result depends only on:

* the file's bytes (its sha256, which the run's manifest records anyway);
* the name errors and reports point at (the file's path) and the kind asked for;
* the code that reads and checks (every module of ``engine.data``, and ``core.calendar``);
* the NYSE session table in use, and ``SMALLCAP_MAX_DAILY_MOVE``.

A digest of all of these names the entry (``$SMALLCAP_CACHE_DIR/series/``), so a changed file,
rule or calendar is read and checked again, never served stale; only series that passed are
kept. Entries are ``.npz`` files (numpy arrays and a JSON header, no pickle), one per path:
writing a path's new entry removes its old ones, and entries older than ``MAX_AGE_DAYS`` (files
moved or deleted since) go too. An unreadable entry is read again from the CSV; a cache that
cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import zipfile
from dataclasses import asdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core import calendar as session_calendar
from core.cache import user_cache_dir
from core.calendar import session_table_digest
from engine.data.validate import ValidationReport

#: Sub-folder of the user cache holding the entries.
FOLDER = "series"
#: Entries not written for this many days are removed when another is written.
MAX_AGE_DAYS = 90


@cache
def _code_digest() -> str:
    h = hashlib.sha256()
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(session_calendar.__file__)]:
        h.update(path.read_bytes())
    return h.hexdigest()


def _path_tag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def entry_path(sha256: str, name: str, kind: str | None) -> Path:
    """Where the entry of this file content, path and kind lives (see the module docstring)."""
    h = hashlib.sha256()
    for part in (sha256, name, str(kind), _code_digest(), session_table_digest(),
                 os.environ.get("SMALLCAP_MAX_DAILY_MOVE", "")):
        h.update(part.encode() + b"\0")
    return user_cache_dir() / FOLDER / f"{_path_tag(name)}-{h.hexdigest()[:32]}.npz"


def load_entry(path: Path) -> tuple[str, pd.DataFrame, ValidationReport] | None:
    """``(kind, frame, report)`` saved at ``path``, or None when it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = json.loads(str(npz["header"]))
            index = pd.DatetimeIndex(npz["index"], name=header["index_name"])
            frame = pd.DataFrame({c: npz[f"col{i}"] for i, c in enumerate(header["columns"])}, index=index)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError):
        return None
    return header["kind"], frame, ValidationReport(**header["report"])


def save_entry(path: Path, kind: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    """Save an entry atomically and remove the path's older ones; a cache that cannot be written
    is left as it is."""
    header = {"kind": kind, "columns": list(frame.columns), "index_name": frame.index.name,
              "report": asdict(report)}
    arrays = {f"col{i}": frame[c].to_numpy() for i, c in enumerate(frame.columns)}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, header=np.array(json.dumps(header)), index=frame.index.to_numpy(), **arrays)
        os.replace(tmp, path)
        same_path = f"{path.name.split('-')[0]}-"
        too_old = time.time() - MAX_AGE_DAYS * 86_400
        for old in path.parent.glob("*.npz"):
            if old != path and (old.name.startswith(same_path) or old.stat().st_mtime < too_old):
                old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
