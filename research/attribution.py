"""What a strategy's returns are made of: a Carhart four-factor regression with Newey-West errors.

Carhart, M. M. (1997). "On Persistence in Mutual Fund Performance." *Journal of Finance* 52(1),
57-82 (Mkt-RF, SMB and HML of Fama & French 1993, plus momentum); standard errors robust to
heteroskedasticity and autocorrelation by Newey, W. K. & West, K. D. (1987), *Econometrica*
55(3), 703-708, with ``maxlags = floor(4 (n/100)^(2/9))`` (Newey & West 1994), as implemented by
statsmodels (``OLS(...).fit(cov_type="HAC")``).

The dependent variable is the strategy's daily return minus the **Fama-French ``rf``** (the
1-month T-bill return of the same session, the rate Mkt-RF is built on; used throughout, not
DTB3). Factors are the bundled daily French-library series (fractions). Alpha is the daily
intercept times 252 (arithmetic annualisation), its interval the intercept's times 252; every
interval is 95%. Rolling loadings: ordinary least squares over the trailing 252 sessions
(statsmodels ``RollingOLS``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from engine.data.factors import FACTORS, load_factors

PERIODS = 252
CI_LEVEL = 0.95
ROLLING_WINDOW = 252
#: Fewer sessions than this and a regression is not attempted (a quarter of a year).
MIN_SESSIONS = 63


def newey_west_lags(n: int) -> int:
    """Newey & West's (1994) rule of thumb for the HAC lag length over ``n`` sessions."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def aligned(returns: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    """``returns`` minus the Fama-French ``rf`` and the four factors, on the sessions both have."""
    factors = load_factors()
    common = returns.index.intersection(factors.index)
    excess = returns.loc[common] - factors.loc[common, "rf"]
    return excess.rename("excess"), factors.loc[common, list(FACTORS)]


def factor_regression(excess: pd.Series, factors: pd.DataFrame) -> dict | None:
    """Carhart regression of daily ``excess`` returns (over the T-bill) on ``factors`` (columns
    of :data:`FACTORS`, fractions per session). ``{"alpha": annual, "alpha_t", "alpha_ci",
    "loadings": {factor: {"value", "t", "ci"}}, "r2", "sessions", "hac_lags"}``; None when
    fewer than :data:`MIN_SESSIONS` sessions."""
    n = len(excess)
    if n < MIN_SESSIONS:
        return None
    lags = newey_west_lags(n)
    model = sm.OLS(excess.to_numpy(), sm.add_constant(factors.to_numpy(), has_constant="add"))
    fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    params, tvalues = np.asarray(fit.params), np.asarray(fit.tvalues)
    ci = np.asarray(fit.conf_int(alpha=1.0 - CI_LEVEL))
    loadings = {
        name: {
            "value": float(params[i + 1]),
            "t": float(tvalues[i + 1]),
            "ci": [float(ci[i + 1, 0]), float(ci[i + 1, 1])],
        }
        for i, name in enumerate(factors.columns)
    }
    return {
        "alpha": float(params[0] * PERIODS),
        "alpha_t": float(tvalues[0]),
        "alpha_ci": [float(ci[0, 0] * PERIODS), float(ci[0, 1] * PERIODS)],
        "loadings": loadings,
        "r2": float(fit.rsquared),
        "sessions": n,
        "hac_lags": lags,
    }


def rolling_loadings(
    excess: pd.Series, factors: pd.DataFrame, window: int = ROLLING_WINDOW
) -> pd.DataFrame:
    """Loadings on each factor over the trailing ``window`` sessions (NaN until it is full), and
    the annualised ``alpha``; one row per session."""
    if len(excess) < window:
        return pd.DataFrame(columns=["alpha", *factors.columns], dtype=float)
    exog = sm.add_constant(factors, has_constant="add")
    params = RollingOLS(excess, exog, window=window).fit(params_only=True).params
    params = params.rename(columns={"const": "alpha"})
    params["alpha"] = params["alpha"] * PERIODS
    return params
