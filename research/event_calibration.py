"""Size of the event study's test on markets where nothing predicts anything.

Each simulated market is a zero-mean daily return series: iid Student t(5), or GARCH(1,1) with
t(5) shocks (Bollerslev, T. (1986), "Generalized autoregressive conditional heteroskedasticity",
*J. Econometrics* 31, 307-327; simulated with ``arch``), about 25 years of sessions at a 1.2%
daily volatility. Its breadth streaks (``STREAK`` sessions in a row, each up at least
``GAIN_SD`` of the sample's standard deviation: 50-150 episodes a series) are the events, as in
``smallcap streaks``; streaks come in volatile stretches of a GARCH market, which is what made the
raw circular-shift test too liberal. A test of size 5% should reject in about 5% of the series
(2-8% for 200 series: a binomial 95% band around 5% is 2-8%).

``bench/event_calibration.py`` prints the rates; a slow test checks them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from arch.univariate import GARCH, StudentsT, ZeroMean

from research.event_study import HORIZONS, significance
from strategies.signals import run_lengths, up_days

SESSIONS = 6300
DAILY_SD = 0.012
STREAK, GAIN_SD = 3, 0.45
GARCH_ALPHA, GARCH_BETA, SHOCK_DF = 0.08, 0.90, 5.0
MODELS = ("iid", "garch")


def simulate_returns(model: str, rng: np.random.Generator, sessions: int = SESSIONS) -> np.ndarray:
    """Zero-mean daily returns of one market: ``iid`` t(5) or ``garch`` GARCH(1,1) t(5)."""
    if model == "iid":
        shocks = rng.standard_t(SHOCK_DF, sessions) / np.sqrt(SHOCK_DF / (SHOCK_DF - 2))
        return DAILY_SD * shocks
    omega = DAILY_SD**2 * (1 - GARCH_ALPHA - GARCH_BETA)
    garch = ZeroMean(volatility=GARCH(), distribution=StudentsT(seed=rng))
    sim = garch.simulate([omega, GARCH_ALPHA, GARCH_BETA, SHOCK_DF], sessions, burn=500)
    return sim["data"].to_numpy()


def streak_signals(closes: np.ndarray) -> np.ndarray:
    """Positions where a run of :data:`STREAK` sessions each up at least ``GAIN_SD`` sd starts to
    qualify (the session the run first reaches its length)."""
    gain = GAIN_SD * float(np.std(np.diff(closes) / closes[:-1]))
    return np.flatnonzero(run_lengths(up_days(closes, gain)) == STREAK)


def rejection_rates(model: str, series: int = 200, seed: int = 0, level: float = 0.05,
                    horizons: Sequence[int] = HORIZONS, scaled: bool = True) -> dict:
    """Share of ``series`` simulated markets where the test rejects at ``level``, per horizon
    (raw p-values), with the mean episode count. ``scaled=False``: the raw-return test."""
    rng = np.random.default_rng(seed)
    rejected = {h: 0 for h in horizons}
    episodes = []
    for _ in range(series):
        closes = 100.0 * np.cumprod(1.0 + np.concatenate([[0.0], simulate_returns(model, rng)]))
        signals = streak_signals(closes)
        episodes.append(len(signals))
        for h in horizons:
            p = significance(closes, signals, h, scaled=scaled)["p_value"]
            rejected[h] += int(p is not None and p < level)
    return {"model": model, "series": series, "episodes_mean": float(np.mean(episodes)),
            "episodes_range": [int(min(episodes)), int(max(episodes))],
            "rejection": {str(h): rejected[h] / series for h in horizons}}
