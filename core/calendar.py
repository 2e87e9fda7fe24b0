"""NYSE sessions from the ``exchange-calendars`` library, kept as a table of dates.

Building the library's NYSE calendar (import and holiday rules) costs more than the rest of a
backtest's start-up. So the sessions it yields, from ``CALENDAR_START`` to its horizon (a year
ahead of the day it is built), are saved as a small ``.npy`` table in the disk cache
(``core.cache``: keyed by the library's version and those of numpy, pandas and this project),
and built again each calendar month (so the horizon keeps a year ahead), or when the table is
unreadable. Where the cache cannot be written, the table lives in the process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.cache import DiskCache

#: Earliest date the session calendar is built from (the oldest bundled series start in 1987).
CALENDAR_START = "1985-01-02"
#: The cache of session tables (one per library version and month built).
SESSIONS_CACHE = DiskCache("calendar", ".npy", libraries=("exchange-calendars",),
                           max_age_days=62, max_entries=12)


def _build() -> np.ndarray:
    """Every NYSE session from CALENDAR_START to the library's horizon, as days since 1970-01-01."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # the library's own pandas-4 deprecation notices, not ours
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start=CALENDAR_START)
    sessions = cal.sessions.tz_localize(None) if cal.sessions.tz else cal.sessions
    return sessions.to_numpy().astype("datetime64[D]").astype(np.int64)


def _month() -> str:
    """The month the table is built in (a new month builds a new table)."""
    return dt.date.today().strftime("%Y-%m")


def table_path() -> str:
    """The cached table's file: keyed by the calendar start, the month and the versions."""
    return str(SESSIONS_CACHE.path(CALENDAR_START, _month(), label="nyse-sessions"))


def _read(path: Path) -> np.ndarray:
    days = np.load(path, allow_pickle=False)
    if days.dtype != np.int64 or days.ndim != 1 or len(days) < 2 or not (np.diff(days) > 0).all():
        raise ValueError(f"{path.name}: not an ordered table of sessions")
    return days


@lru_cache(maxsize=1)
def _days() -> np.ndarray:
    path = Path(table_path())
    days = SESSIONS_CACHE.read(path, _read)
    if days is None:  # missing or unreadable: build it
        days = _build()
        SESSIONS_CACHE.write(path, lambda tmp: np.save(tmp, days, allow_pickle=False))
    return days


def _day(when: pd.Timestamp | str) -> int:
    """Days since 1970-01-01 of ``when``'s date (its time of day ignored)."""
    return int(np.datetime64(pd.Timestamp(when).date(), "D").astype(np.int64))


def nyse_sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """NYSE trading sessions between ``start`` and ``end`` inclusive, as naive midnight dates."""
    days = _days()
    lo = np.searchsorted(days, _day(start), side="left")
    hi = np.searchsorted(days, _day(end), side="right")
    return pd.DatetimeIndex(
        days[lo:hi].astype("datetime64[D]").astype("datetime64[ns]"), name="date"
    )


def last_calendar_session() -> pd.Timestamp:
    """The last session the calendar knows (dates beyond it cannot be checked)."""
    return pd.Timestamp(np.datetime64(int(_days()[-1]), "D"))


def session_table_digest() -> str:
    """A digest of the session table in use: what a cached validation of a series depends on."""
    return hashlib.sha256(_days().tobytes()).hexdigest()[:16]
