"""What a strategy effectively held: returns-based style analysis.

Sharpe, W. F. (1992). "Asset Allocation: Management Style and Performance Measurement."
*Journal of Portfolio Management* 18(2), 7-19. The weights ``w`` on the asset returns ``R``
(here: the symbols the strategy may hold, its benchmark, and cash) minimise the variance of the
tracking error ``r - R w`` subject to ``w >= 0`` and ``sum(w) = 1`` (constrained least squares,
solved by scipy's SLSQP); the style R² is ``1 - Var(r - R w) / Var(r)``. Rolling weights use the
trailing 252 sessions, re-estimated every 21 sessions (about monthly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

ROLLING_WINDOW = 252
ROLLING_STEP = 21


def style_weights(target: np.ndarray, assets: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative weights summing to 1 on the columns of ``assets`` (sessions x assets, daily
    returns) minimising the tracking-error variance of ``target`` (daily returns), and the
    style R². Sharpe (1992)."""
    y = np.asarray(target, dtype=float)
    x = np.asarray(assets, dtype=float)
    k = x.shape[1]
    if k == 1:
        return np.ones(1), _r2(y, x[:, 0])
    yc, xc = y - y.mean(), x - x.mean(axis=0)  # the variance of the error, not its mean square
    scale = 1.0 / max(float(np.mean(yc**2)), 1e-18)
    gram, cross = xc.T @ xc / len(y) * scale, xc.T @ yc / len(y) * scale

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        return float(w @ gram @ w - 2.0 * w @ cross), 2.0 * (gram @ w - cross)

    result = minimize(
        objective,
        np.full(k, 1.0 / k),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[
            {"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}
        ],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    w = np.clip(result.x, 0.0, None)
    w = w / w.sum()
    return w, _r2(y, x @ w)


def _r2(y: np.ndarray, fitted: np.ndarray) -> float:
    var = float(np.var(y))
    return float(1.0 - np.var(y - fitted) / var) if var > 0 else 0.0


def rolling_style(
    target: pd.Series, assets: pd.DataFrame, window: int = ROLLING_WINDOW, step: int = ROLLING_STEP
) -> pd.DataFrame:
    """Style weights over the trailing ``window`` sessions, every ``step`` sessions back from the
    last session (rows dated by each window's last session; columns the assets and ``r2``)."""
    rows, dates = [], []
    y, x = target.to_numpy(dtype=float), assets.to_numpy(dtype=float)
    for end in sorted(range(len(y), window - 1, -step)):
        w, r2 = style_weights(y[end - window : end], x[end - window : end])
        rows.append([*w, r2])
        dates.append(target.index[end - 1])
    return pd.DataFrame(
        rows, index=pd.DatetimeIndex(dates, name="date"), columns=[*assets.columns, "r2"]
    )
