"""Rebalance calendars from the NYSE calendar (never from the data, so a cut data set cannot
move a month end): ``monthly`` = last session of each month, ``weekly`` = last of each week."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.calendar import nyse_sessions

#: When a strategy decides: every session, the last session of each week/month/quarter, or once.
Schedule = Literal["daily", "weekly", "monthly", "quarterly", "once"]


def period_end_mask(sessions: pd.DatetimeIndex, schedule: str) -> np.ndarray:
    """True for each of ``sessions`` that is the last NYSE session of its period.

    ``daily`` is every session; ``once`` marks none (the strategy decides only on its first bar).
    The session after the last one is taken from the exchange calendar, not from ``sessions``.
    """
    if schedule == "daily":
        return np.ones(len(sessions), dtype=bool)
    if schedule == "once" or len(sessions) == 0:
        return np.zeros(len(sessions), dtype=bool)
    cal = nyse_sessions(sessions[0], sessions[-1] + pd.Timedelta(days=14))
    pos = cal.get_indexer(sessions)
    if (pos < 0).any():  # a session the calendar does not know: fall back to the data's own order
        nxt = sessions[1:].append(pd.DatetimeIndex([sessions[-1] + pd.Timedelta(days=1)]))
    else:
        nxt = cal[np.minimum(pos + 1, len(cal) - 1)]
    if schedule == "weekly":
        key = lambda d: d.isocalendar().week.to_numpy() + 100 * d.isocalendar().year.to_numpy()  # noqa: E731
        return key(pd.DatetimeIndex(sessions)) != key(pd.DatetimeIndex(nxt))
    freq = {"monthly": "M", "quarterly": "Q"}[schedule]
    return sessions.to_period(freq) != pd.DatetimeIndex(nxt).to_period(freq)
