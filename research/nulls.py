"""The right nulls: is a variant better than the benchmark, and better than not rotating?

* **Paired Sharpe test.** Jobson, J. D. & Korkie, B. M. (1981). "Performance Hypothesis Testing
  with the Sharpe and Treynor Measures." *Journal of Finance* 36(4), 889-908, with the
  correction of Memmel, C. (2003). "Performance Hypothesis Testing with the Sharpe Ratio."
  *Finance Letters* 1, 21-23: for per-session Sharpe ratios ``SR_a``, ``SR_b`` of two return
  series over ``T`` sessions with correlation ``rho``,
  ``z = (SR_a - SR_b) / sqrt(theta / T)``, ``theta = 2 - 2 rho + (SR_a^2 + SR_b^2 - 2 SR_a SR_b
  rho^2) / 2``; the one-sided p-value of "SR_a is not above SR_b" is ``1 - Phi(z)``. It accounts
  for the two series' correlation (a variant and its benchmark are highly correlated, so a small
  Sharpe difference can be significant, or a large one not). It assumes returns independent
  over time and normal; the tests check it against a direct bootstrap.
* **Deflated information ratio.** The Deflated Sharpe Ratio (Bailey & Lopez de Prado 2014,
  ``research.sharpe``) of the *excess* return over a reference (benchmark or twin): the Sharpe
  ratio of ``r - ref`` is the information ratio, deflated by the expected maximum of the
  effective number of trials (``research.trials``) with the variance of the cluster
  representatives' information ratios.
* **SPA against a reference.** Hansen (2005) with each variant's loss the negative of its excess
  over its own reference (the benchmark; or its own no-rotation twin), the reference's loss 0:
  small p-values say some variant beats its reference on average, not merely holds a better
  asset.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from research.columns import column_step
from research.sharpe import (
    deflated_sharpe,
    expected_max_sharpe,
    moments_of_columns,
    probabilistic_sharpe,
    sharpe_moments,
)
from research.superiority import QuickSPA


def sharpe_difference_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided p-value of "a's Sharpe ratio is not above b's" (Jobson-Korkie with Memmel's
    correction). ``a``, ``b``: per-session excess returns over cash on the same sessions."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    t = len(a)
    sa, sb = a.std(ddof=1), b.std(ddof=1)
    if t < 3 or sa == 0 or sb == 0:
        return float("nan")
    sra, srb = a.mean() / sa, b.mean() / sb
    rho = float(np.corrcoef(a, b)[0, 1])
    theta = 2.0 - 2.0 * rho + 0.5 * (sra**2 + srb**2 - 2.0 * sra * srb * rho**2)
    if theta <= 0:
        return 0.0 if sra > srb else 1.0
    z = (sra - srb) / math.sqrt(theta / t)
    return float(stats.norm.sf(z))


def sharpe_difference_pvalues(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`sharpe_difference_pvalue` of every column of ``a`` against the same column of ``b``
    (sessions x columns), the same formulas with numpy, a block of columns at a time."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    t, k = a.shape
    out = np.full(k, np.nan)
    if t < 3:
        return out
    step = column_step(t)
    for j in range(0, k, step):
        # column-major blocks: the sums' rounding does not depend on how the caller laid out
        # its matrices (a broadcast cash series, a copy per column)
        x, y = np.asfortranarray(a[:, j : j + step]), np.asfortranarray(b[:, j : j + step])
        dx, dy = x - x.mean(axis=0), y - y.mean(axis=0)
        sa, sb = np.sqrt((dx * dx).sum(axis=0) / (t - 1)), np.sqrt((dy * dy).sum(axis=0) / (t - 1))
        ok = (sa > 0) & (sb > 0)
        sa, sb = np.where(ok, sa, 1.0), np.where(ok, sb, 1.0)
        sra, srb = x.mean(axis=0) / sa, y.mean(axis=0) / sb
        rho = (dx * dy).sum(axis=0) / (t - 1) / (sa * sb)
        theta = 2.0 - 2.0 * rho + 0.5 * (sra**2 + srb**2 - 2.0 * sra * srb * rho**2)
        z = (sra - srb) / np.sqrt(np.where(theta > 0, theta, 1.0) / t)
        p = np.where(theta > 0, stats.norm.sf(z), np.where(sra > srb, 0.0, 1.0))
        out[j : j + step] = np.where(ok, p, np.nan)
    return out


def information_ratios(excess: np.ndarray) -> np.ndarray:
    """Per-session Sharpe ratio of each column of ``excess`` (0 for a constant column)."""
    x = np.asarray(excess, dtype=float)
    sd = x.std(axis=0, ddof=1)
    return np.where(sd > 0, x.mean(axis=0) / np.where(sd > 0, sd, 1.0), 0.0)


def deflated_ratio(excess: np.ndarray, sr_variance: float, n_trials: float) -> float:
    """DSR of one excess-return series (information-ratio form) after ``n_trials`` effective
    trials whose ratios vary with ``sr_variance``; the PSR against 0 when ``n_trials`` < 2."""
    sr, skew, kurt, n = sharpe_moments(excess)
    if np.std(excess) == 0:
        return float("nan")
    trials = int(round(n_trials))
    if trials < 2 or sr_variance <= 0:
        return probabilistic_sharpe(sr, 0.0, n, skew, kurt)
    return deflated_sharpe(sr, n, skew, kurt, sr_variance, trials)


def deflated_ratios(excess: np.ndarray, sr_variance: float, n_trials: float) -> np.ndarray:
    """:func:`deflated_ratio` of every column of ``excess`` at once (the same formulas with numpy:
    sample Sharpe, biased skewness and kurtosis as ``research.sharpe.sharpe_moments``); NaN for
    a constant column."""
    x = np.asarray(excess, dtype=float)
    n = x.shape[0]
    sr, skew, kurt = moments_of_columns(x)  # NaN skewness and kurtosis for a constant column
    hurdle = (
        deflation_hurdle(sr_variance, n_trials) if round(n_trials) >= 2 and sr_variance > 0 else 0.0
    )
    denominator = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    z = (sr - hurdle) * math.sqrt(n - 1) / np.sqrt(np.where(denominator > 0, denominator, np.nan))
    return np.where(np.isnan(kurt), np.nan, stats.norm.cdf(z))


def deflation_hurdle(sr_variance: float, n_trials: float) -> float:
    """SR0: the per-session ratio the best of ``n_trials`` unskilled trials would show."""
    return expected_max_sharpe(sr_variance, int(round(n_trials)))


def spa_vs_reference(
    returns: np.ndarray, reference: np.ndarray, block: float, reps: int, seed: int
) -> float | None:
    """Hansen's SPA consistent p-value of "no variant beats its reference": ``returns`` sessions
    x variants, ``reference`` the same shape (each variant's own twin) or one column (the
    benchmark). Losses: minus the excess over the reference; the reference's loss: 0."""
    r = np.asarray(returns, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if ref.ndim == 1:
        ref = ref[:, None]
    excess = r - ref
    # a variant equal to its reference adds nothing to test
    excess = excess[:, excess.std(axis=0) > 0]
    if excess.shape[1] == 0:
        return None
    spa = QuickSPA(
        np.zeros(len(r)),
        -excess,
        block_size=max(1, round(block)),
        reps=reps,
        bootstrap="stationary",
        seed=np.random.default_rng(seed),
    )
    spa.compute()
    return float(spa.pvalues["consistent"])
