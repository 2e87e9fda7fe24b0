"""Rebalance calendars from the NYSE calendar (never from the data, so a cut data set cannot
move a month end): ``monthly`` = last session of each month, ``weekly`` = last of each week."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.calendar import nyse_sessions

#: When a strategy decides: every session, the last session of each week/month/quarter, or once.
Schedule = Literal["daily", "weekly", "monthly", "quarterly", "once"]


#: Sessions in a typical period (for spacing tranches): a week, a month, a quarter.
PERIOD_SESSIONS = {"weekly": 5, "monthly": 21, "quarterly": 63}
#: The largest ``rebalance_offset`` allowed: inside every month (the shortest has 18 sessions) and
#: quarter (60); a holiday week of 3 or 4 sessions moves offsets 3-4 into the week before.
MAX_OFFSET = {"weekly": 4, "monthly": 17, "quarterly": 59}


def _ends(days: pd.DatetimeIndex, nxt: pd.DatetimeIndex, schedule: str) -> np.ndarray:
    """True where ``days[i]`` and ``nxt[i]`` fall in different periods."""
    if schedule == "weekly":
        key = lambda d: d.isocalendar().week.to_numpy() + 100 * d.isocalendar().year.to_numpy()  # noqa: E731
        return key(days) != key(nxt)
    freq = {"monthly": "M", "quarterly": "Q"}[schedule]
    return days.to_period(freq) != nxt.to_period(freq)


def period_end_mask(sessions: pd.DatetimeIndex, schedule: str, offset: int = 0) -> np.ndarray:
    """True for each of ``sessions`` that is ``offset`` NYSE sessions before the last session of
    its period (``offset = 0``: the last session itself).

    ``daily`` is every session; ``once`` marks none (the strategy decides only on its first bar).
    Periods and offsets are counted on the exchange calendar, not in ``sessions``, so a cut data
    set cannot move a decision (and a period that ends after the data still has its decision).
    """
    if schedule == "daily":
        return np.ones(len(sessions), dtype=bool)
    if schedule == "once" or len(sessions) == 0:
        return np.zeros(len(sessions), dtype=bool)
    cal = nyse_sessions(sessions[0], sessions[-1] + pd.Timedelta(days=14 + (100 if offset else 0)))
    pos = cal.get_indexer(sessions)
    if (pos < 0).any():  # a session the calendar does not know: fall back to the data's own order
        days, pos = sessions, np.arange(len(sessions))
        nxt = sessions[1:].append(pd.DatetimeIndex([sessions[-1] + pd.Timedelta(days=1)]))
    else:
        days = cal
        nxt = cal[np.minimum(np.arange(len(cal)) + 1, len(cal) - 1)]
    decide = np.flatnonzero(_ends(days, pd.DatetimeIndex(nxt), schedule)) - offset
    marks = np.zeros(len(days), dtype=bool)
    marks[decide[decide >= 0]] = True
    return marks[pos]


def tranche_offsets(schedule: str, offset: int, tranches: int) -> list[int]:
    """The offsets of ``tranches`` sleeves spread evenly over a period, the first at ``offset``."""
    if tranches == 1:
        return [offset]
    spacing = PERIOD_SESSIONS[schedule] / tranches
    return [min(offset + round(j * spacing), MAX_OFFSET[schedule]) for j in range(tranches)]


def sleeve_decisions(
    sessions: pd.DatetimeIndex, schedule: str, offset: int = 0, tranches: int = 1
) -> list[tuple[int, ...]]:
    """Per session, the sleeves (0..tranches-1) that decide on it (empty tuple: none)."""
    masks = (
        [
            period_end_mask(sessions, schedule, k)
            for k in tranche_offsets(schedule, offset, tranches)
        ]
        if schedule not in ("daily", "once")
        else [period_end_mask(sessions, schedule)] * tranches
    )
    return [tuple(j for j, m in enumerate(masks) if m[i]) for i in range(len(sessions))]
