"""NYSE sessions from the ``exchange-calendars`` library, kept as a table of dates.

Building the library's NYSE calendar (import and holiday rules) costs more than the rest of a
backtest's start-up. So the sessions it yields, from ``CALENDAR_START`` to its
horizon (a year ahead of the day it is built), are saved once as a small ``.npy`` table in the
user cache (``$SMALLCAP_CACHE_DIR``), named by the library's version, and rebuilt when the
version changes, the table is older than ``MAX_AGE_DAYS`` (so the horizon keeps a year ahead),
or the file is unreadable. Where the cache cannot be written, the table lives in the process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import warnings
from functools import lru_cache
from importlib.metadata import version

import numpy as np
import pandas as pd

from core.cache import user_cache_dir

#: Earliest date the session calendar is built from (the oldest bundled series start in 1987).
CALENDAR_START = "1985-01-02"
#: A saved session table is rebuilt after this many days (the library's horizon is a year ahead).
MAX_AGE_DAYS = 30


def _build() -> np.ndarray:
    """Every NYSE session from CALENDAR_START to the library's horizon, as days since 1970-01-01."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # the library's own pandas-4 deprecation notices, not ours
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start=CALENDAR_START)
    sessions = cal.sessions.tz_localize(None) if cal.sessions.tz else cal.sessions
    return sessions.to_numpy().astype("datetime64[D]").astype(np.int64)


def table_path() -> str:
    """The cached table's file: named by the library version and the calendar start."""
    return str(user_cache_dir() / f"nyse-sessions-{CALENDAR_START}-xcals-{version('exchange-calendars')}.npy")


@lru_cache(maxsize=1)
def _days() -> np.ndarray:
    path = table_path()
    try:
        age = (dt.datetime.now().timestamp() - os.path.getmtime(path)) / 86_400
        if age <= MAX_AGE_DAYS:
            days = np.load(path, allow_pickle=False)
            if days.dtype == np.int64 and days.ndim == 1 and len(days) > 1 and (np.diff(days) > 0).all():
                return days
    except (OSError, ValueError):
        pass  # missing or unreadable: build it
    days = _build()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp.npy"
        np.save(tmp, days, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: keep the table in this process
    return days


def _day(when: pd.Timestamp | str) -> int:
    """Days since 1970-01-01 of ``when``'s date (its time of day ignored)."""
    return int(np.datetime64(pd.Timestamp(when).date(), "D").astype(np.int64))


def nyse_sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """NYSE trading sessions between ``start`` and ``end`` inclusive, as naive midnight dates."""
    days = _days()
    lo = np.searchsorted(days, _day(start), side="left")
    hi = np.searchsorted(days, _day(end), side="right")
    return pd.DatetimeIndex(days[lo:hi].astype("datetime64[D]").astype("datetime64[ns]"), name="date")


def last_calendar_session() -> pd.Timestamp:
    """The last session the calendar knows (dates beyond it cannot be checked)."""
    return pd.Timestamp(np.datetime64(int(_days()[-1]), "D"))


def session_table_digest() -> str:
    """A digest of the session table in use: what a cached validation of a series depends on."""
    return hashlib.sha256(_days().tobytes()).hexdigest()[:16]
