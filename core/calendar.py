"""NYSE sessions from the ``exchange-calendars`` library (one cached calendar per process)."""

from __future__ import annotations

import warnings
from functools import lru_cache

import pandas as pd

#: Earliest date the session calendar is built from (the oldest bundled series start in 1987).
CALENDAR_START = "1985-01-02"


@lru_cache(maxsize=1)
def _xnys():
    import exchange_calendars as xcals  # lazily: it takes ~0.3 s to import

    with warnings.catch_warnings():  # the library's own pandas-4 deprecation notices, not ours
        warnings.simplefilter("ignore")
        return xcals.get_calendar("XNYS", start=CALENDAR_START)


def nyse_sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """NYSE trading sessions between ``start`` and ``end`` inclusive, as naive midnight dates."""
    cal = _xnys()
    start = max(pd.Timestamp(start), cal.first_session)
    end = min(pd.Timestamp(end), cal.last_session)
    if start > end:
        return pd.DatetimeIndex([], name="date")
    sessions = cal.sessions_in_range(start, end)
    return pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz else sessions, name="date")


def last_calendar_session() -> pd.Timestamp:
    """The last session the calendar knows (dates beyond it cannot be checked)."""
    return pd.Timestamp(_xnys().last_session).tz_localize(None)
