"""Rolling annualised returns: over every window of 1, 3 and 5 years in the run, the best, the
worst, the median and the share of windows that made money, for the strategy and its benchmark
(Portfolio Visualizer's "rolling returns" table).

A window of ``years`` is ``252 * years`` sessions ending at each session from the first full one
on (overlapping windows, one per session); its annualised return is its growth to the power
``1 / years``, minus 1. A window longer than the run has no row values (None).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = 252
WINDOWS_YEARS = (1, 3, 5)
STATS = ("best", "worst", "median", "positive")


def rolling_annualised(returns: np.ndarray, years: int) -> np.ndarray:
    """Annualised return of every window of ``years * 252`` sessions of daily ``returns``."""
    window = years * PERIODS_PER_YEAR
    log_growth = np.concatenate([[0.0], np.cumsum(np.log1p(np.asarray(returns, dtype=float)))])
    if len(log_growth) - 1 < window:
        return np.array([])
    total = log_growth[window:] - log_growth[:-window]
    return np.expm1(total / years)


def rolling_return_table(
    returns: pd.DataFrame,
    columns: tuple[str, ...] = ("strategy", "benchmark"),
    windows: tuple[int, ...] = WINDOWS_YEARS,
) -> list[dict]:
    """One row per window length and column of ``returns``: ``years``, ``series``, ``windows``
    (how many), ``best``, ``worst``, ``median`` (annualised, fractions) and ``positive`` (share of
    windows above 0); the figures are None when the run is shorter than the window."""
    rows = []
    for years in windows:
        for column in columns:
            values = rolling_annualised(returns[column].to_numpy(), years)
            row = {"years": years, "series": column, "windows": len(values)}
            if len(values):
                row.update(best=float(values.max()), worst=float(values.min()),
                           median=float(np.median(values)), positive=float(np.mean(values > 0)))
            else:
                row.update(dict.fromkeys(STATS))
            rows.append(row)
    return rows
