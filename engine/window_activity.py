"""A saved run's trading activity on a window of its sessions: exposure, turnover, trades and
switches by the definitions of ``engine.metrics.compute_metrics``, worked out from the run's
``positions.csv``, ``orders.csv`` and ``equity.csv``. A comparison of runs over different
periods shows every figure of a row on the window the runs share (``reports.compare``).

On the run's own period the figures equal those in its ``metrics.json`` (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.metrics import PERIODS_PER_YEAR
from engine.results import BacktestResult

ACTIVITY = ("exposure", "turnover", "trades", "switches")


def activity_on(run: BacktestResult, sessions: pd.DatetimeIndex) -> dict[str, float | int | None]:
    """``exposure`` (share of ``sessions`` holding a risk asset), ``turnover`` (filled value per
    year over average equity), ``trades`` (filled orders) and ``switches`` (sessions the held set
    of risk assets changed) of ``run`` on ``sessions`` (consecutive sessions of its period). The
    run must be loaded with its ``positions``, ``orders`` and ``equity`` tables."""
    days = pd.DatetimeIndex(sessions).strftime("%Y-%m-%d")
    cash_asset = run.config.param_values().get("cash_asset")
    held = run.positions[(run.positions["symbol"] != cash_asset) & (run.positions["size"] != 0)]
    held = held[held["date"].isin(days)]
    symbols = sorted(set(held["symbol"]))
    mask = pd.DataFrame(False, index=days, columns=symbols)
    for symbol, group in held.groupby("symbol"):
        mask.loc[group["date"].to_numpy(), symbol] = True
    matrix = mask.to_numpy()
    filled = run.orders[(run.orders["status"] == "completed") & run.orders["date"].isin(days)]
    equity = run.equity["equity"].reindex(pd.DatetimeIndex(sessions))
    years = len(days) / PERIODS_PER_YEAR
    traded = float(np.abs(filled["value"].to_numpy(dtype=float)).sum())
    return {
        "exposure": float(matrix.any(axis=1).mean()) if len(days) else 0.0,
        "turnover": traded / float(equity.mean()) / years
        if years > 0 and equity.notna().all()
        else None,
        "trades": int(len(filled)),
        "switches": int((matrix[1:] != matrix[:-1]).any(axis=1).sum()) if len(symbols) else 0,
    }
