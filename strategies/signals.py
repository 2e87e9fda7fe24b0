"""Signal rules shared by the strategies (incremental, on backtrader lines) and by the event study
(vectorized, on numpy arrays). One definition each, so both always agree.

Conventions: gains are fractions (0.01 = 1%); ``line[0]`` is today's close, ``line[-k]`` the
close k sessions ago; nothing reads beyond ``[0]``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

#: A daily gain counts as "at least min_gain" if it is within this of it (floating-point slack, so
#: a move of exactly 1.00% counts at 1%).
GAIN_TOLERANCE = 1e-12


def qualifies(gain: float | np.ndarray, min_gain: float) -> bool | np.ndarray:
    """True where a daily gain counts as an up day of at least ``min_gain``."""
    return gain >= min_gain - GAIN_TOLERANCE


# ----- incremental (inside backtrader's next()) ------------------------------------------------
class Line(Protocol):
    """A backtrader line as the rules read it: ``line[0]`` today, ``line[-k]`` k sessions ago."""

    def __getitem__(self, ago: int, /) -> float: ...


def trailing_return(line: Line, lookback: int) -> float:
    """Total return of a close line over the last ``lookback`` sessions, as of the current bar."""
    return line[0] / line[-lookback] - 1.0


def daily_gain(line: Line, ago: int = 0) -> float:
    """Gain of the session ``ago`` sessions back versus the one before it."""
    return line[-ago] / line[-ago - 1] - 1.0


def streak_reached_today(line: Line, sessions: int, min_gain: float) -> bool:
    """True on the session a run of up days (each >= ``min_gain``) first reaches ``sessions``.

    That is: today and the ``sessions - 1`` sessions before were up days, and the session before
    those was not (so a 6-session run triggers once, on its 5th day, for ``sessions = 5``).
    Needs ``sessions + 1`` sessions of history.
    """
    if not all(qualifies(daily_gain(line, k), min_gain) for k in range(sessions)):
        return False
    return not qualifies(daily_gain(line, sessions), min_gain)


def accrued_rate(line: Line, lookback: int, periods: int = 252) -> float:
    """Return of money earning a yield line (percent a year, e.g. DTB3) over the last ``lookback``
    sessions: each session earns ``(1 + y/100) ** (1/periods) - 1`` of the yield known then."""
    growth = 1.0
    for ago in range(lookback):
        growth *= (1.0 + line[-ago] / 100.0) ** (1.0 / periods)
    return growth - 1.0


def change_bp(line: Line, lookback: int) -> float:
    """Change of a yield in percent (e.g. DGS2) over ``lookback`` sessions, in basis points."""
    return (line[0] - line[-lookback]) * 100.0


# ----- vectorized (event study) -----------------------------------------------------------------
def up_days(values: np.ndarray, min_gain: float) -> np.ndarray:
    """Per session: was it an up day of at least ``min_gain``? The first session is False."""
    values = np.asarray(values, dtype=float)
    out = np.zeros(len(values), dtype=bool)
    if len(values) > 1:
        out[1:] = qualifies(values[1:] / values[:-1] - 1.0, min_gain)
    return out


def run_lengths(flags: np.ndarray) -> np.ndarray:
    """Per session: how many consecutive True flags end on it (0 where False)."""
    out = np.zeros(len(flags), dtype=np.int64)
    count = 0
    for i, f in enumerate(flags):
        count = count + 1 if f else 0
        out[i] = count
    return out


def streak_triggers(values: np.ndarray, sessions: int, min_gain: float) -> np.ndarray:
    """Per session: True where a run of up days first reaches ``sessions`` (the signal date)."""
    return run_lengths(up_days(values, min_gain)) == sessions
