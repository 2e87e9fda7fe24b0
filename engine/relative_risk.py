"""Risk relative to a reference: the benchmark, and the no-rotation twin where the run has one.

Definitions (daily simple returns ``r`` of the strategy and ``b`` of the reference, 252 sessions
a year, as Portfolio Visualizer and Morningstar publish them):

* ``beta``: cov(r, b) / var(b); ``correlation``: Pearson's of the daily returns;
* ``tracking_error``: the annualised standard deviation of the active return ``r - b``
  (sample, ddof 1, times sqrt(252));
* ``information_ratio``: the annualised mean active return over the tracking error
  (Grinold & Kahn, *Active Portfolio Management*, 2nd ed., 2000, ch. 5), arithmetic;
* ``up_capture`` / ``down_capture``: over the calendar months in which the benchmark rose /
  fell, the strategy's geometric mean monthly return over the benchmark's (Morningstar,
  "Upside/Downside Capture Ratio", methodology paper 2013): 1.0 is "moved with it", below 1 on
  the way down is protection. Months are compounded from the sessions of the run's window (the
  first and last may be partial).

Figures against the twin carry a ``_twin`` suffix (``tracking_error_twin``,
``information_ratio_twin``) and are present only when ``returns.csv`` has a ``twin`` column.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = 252
#: Below this many sessions (a quarter) annualised figures are left empty (as engine.metrics).
MIN_SESSIONS_ANNUALISED = 63
RELATIVE_KEYS = ("beta", "correlation", "tracking_error", "information_ratio", "up_capture",
                 "down_capture")
TWIN_KEYS = ("tracking_error_twin", "information_ratio_twin")


def _number(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


def active_risk(r: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    """(tracking error, information ratio) of daily returns ``r`` against ``b``, annualised;
    None for fewer than :data:`MIN_SESSIONS_ANNUALISED` sessions or no active risk."""
    if len(r) < MIN_SESSIONS_ANNUALISED:
        return None, None
    active = np.asarray(r, dtype=float) - np.asarray(b, dtype=float)
    sd = float(np.std(active, ddof=1))
    if not sd > 0:
        return None, None
    te = sd * math.sqrt(PERIODS_PER_YEAR)
    return te, float(np.mean(active)) * PERIODS_PER_YEAR / te


def capture_ratios(returns: pd.DataFrame) -> tuple[float | None, float | None]:
    """(up capture, down capture) of ``returns["strategy"]`` against ``returns["benchmark"]`` from
    calendar-month returns (see the module docstring); None where no month went that way."""
    index = pd.DatetimeIndex(returns.index)
    monthly = (1 + returns[["strategy", "benchmark"]]).groupby([index.year, index.month]).prod()
    out: list[float | None] = []
    for side in (monthly["benchmark"] > 1, monthly["benchmark"] < 1):
        months = monthly[side.to_numpy()]
        if len(months) == 0:
            out.append(None)
            continue
        mean = months.prod() ** (1 / len(months)) - 1
        out.append(_number(float(mean["strategy"] / mean["benchmark"])))
    return out[0], out[1]


def relative_risk(returns: pd.DataFrame) -> dict[str, float | None]:
    """:data:`RELATIVE_KEYS` of ``returns`` (``returns.csv``: ``strategy``, ``benchmark`` and
    optionally ``twin``, daily simple returns on a date index), and :data:`TWIN_KEYS` when the
    twin is there."""
    r = returns["strategy"].to_numpy(dtype=float)
    b = returns["benchmark"].to_numpy(dtype=float)
    var_b = float(np.var(b, ddof=1)) if len(b) > 1 else 0.0
    both_move = var_b > 0 and float(np.var(r, ddof=1)) > 0
    te, ir = active_risk(r, b)
    up, down = capture_ratios(returns)
    out = {
        "beta": _number(float(np.cov(r, b, ddof=1)[0, 1]) / var_b) if var_b > 0 else None,
        "correlation": _number(float(np.corrcoef(r, b)[0, 1])) if both_move else None,
        "tracking_error": _number(te), "information_ratio": _number(ir),
        "up_capture": up, "down_capture": down,
    }
    if "twin" in returns:
        te_twin, ir_twin = active_risk(r, returns["twin"].to_numpy(dtype=float))
        out.update(tracking_error_twin=_number(te_twin), information_ratio_twin=_number(ir_twin))
    return out
