"""The Probabilistic and the Deflated Sharpe Ratio: how likely a measured Sharpe ratio beats a
threshold, given the sample's length, skewness and kurtosis, and how many trials were run.

* PSR: Bailey, D. H. & Lopez de Prado, M. (2012). "The Sharpe Ratio Efficient Frontier."
  *Journal of Risk* 15(2), 3-44. Eq. for the probability that the true Sharpe ratio exceeds
  ``sr_benchmark``: ``PSR = Phi((SR - SR*) * sqrt(n - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 *
  SR^2))`` with per-period (not annualised) Sharpe ratios, skewness ``g3`` and (non-excess) kurtosis
  ``g4``.
* DSR: Bailey, D. H. & Lopez de Prado, M. (2014). "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality." *Journal of Portfolio Management*
  40(5), 94-107. The PSR against the expected maximum Sharpe ratio of ``n_trials`` unskilled
  trials: ``SR0 = sqrt(V[SR]) * ((1 - gamma) * Phi^-1(1 - 1/N) + gamma * Phi^-1(1 - 1/(N e)))``,
  ``gamma`` the Euler-Mascheroni constant, ``V[SR]`` the variance of the trials' Sharpe ratios.

All Sharpe ratios here are per period (daily); :func:`per_period` converts an annual one.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from research.columns import column_step

EULER_GAMMA = 0.5772156649015329


def per_period(annual_sharpe: float, periods_per_year: int = 252) -> float:
    """An annualised Sharpe ratio as a per-period one (divided by sqrt(periods per year))."""
    return annual_sharpe / math.sqrt(periods_per_year)


def sharpe_moments(excess: np.ndarray) -> tuple[float, float, float, int]:
    """(per-period Sharpe, skewness, non-excess kurtosis, n) of excess returns ``excess``.

    Sharpe uses the sample standard deviation (ddof=1); skewness and kurtosis are the plain
    (biased) moment estimators the papers use.
    """
    x = np.asarray(excess, dtype=float)
    sd = x.std(ddof=1)
    sr = float(x.mean() / sd) if sd > 0 else 0.0
    return sr, float(stats.skew(x)), float(stats.kurtosis(x, fisher=False)), int(len(x))


def moments_of_columns(excess: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(per-period Sharpe, skewness, non-excess kurtosis) of each column of ``excess`` (sessions
    x variants), as :func:`sharpe_moments` gives them for one column (equal to rounding), in a
    few passes over the matrix instead of one call per column."""
    x = np.asarray(excess, dtype=float)
    n, k = x.shape
    mean, m2, m3, m4 = (np.empty(k) for _ in range(4))
    step = column_step(n)
    for j in range(0, k, step):  # a block of columns at a time: small temporaries
        block = np.asfortranarray(x[:, j : j + step])  # rounding independent of the layout
        mean[j : j + step] = block.mean(axis=0)
        dev = block - mean[j : j + step]
        dev2 = dev * dev
        m2[j : j + step] = dev2.mean(axis=0)
        dev *= dev2
        m3[j : j + step] = dev.mean(axis=0)
        dev2 *= dev2
        m4[j : j + step] = dev2.mean(axis=0)
    sd = np.sqrt(m2 * n / (n - 1)) if n > 1 else np.zeros_like(m2)
    sr = np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: NaN, as scipy's
        skew = np.where(m2 > 0, m3 / m2**1.5, np.nan)
        kurt = np.where(m2 > 0, m4 / m2**2, np.nan)
    return sr, skew, kurt



def probabilistic_sharpes(
    moments: tuple[np.ndarray, np.ndarray, np.ndarray], sr_benchmark: float, n: int
) -> list[float]:
    """:func:`probabilistic_sharpe` of every column from :func:`moments_of_columns` (NaN where
    the denominator is not positive, or n < 2)."""
    sr, skew, kurt = (np.asarray(m, dtype=float) for m in moments)
    if n < 2:
        return [float("nan")] * len(sr)
    denominator = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    safe = np.where(denominator > 0, denominator, 1.0)
    z = (sr - sr_benchmark) * math.sqrt(n - 1) / np.sqrt(safe)
    return np.where(denominator > 0, stats.norm.cdf(z), np.nan).tolist()


def probabilistic_sharpe(
    sr: float, sr_benchmark: float, n: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """PSR: probability that the true per-period Sharpe ratio exceeds ``sr_benchmark``.

    ``sr``: measured per-period Sharpe ratio; ``n``: number of returns; ``skew``/``kurtosis``:
    of the returns (kurtosis 3 for a normal distribution). Bailey & Lopez de Prado (2012).
    """
    if n < 2:
        return float("nan")
    denominator = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr**2
    if denominator <= 0:
        return float("nan")
    return float(stats.norm.cdf((sr - sr_benchmark) * math.sqrt(n - 1) / math.sqrt(denominator)))


def expected_max_sharpe(sr_variance: float, n_trials: int) -> float:
    """SR0: the expected maximum per-period Sharpe ratio of ``n_trials`` trials without skill whose
    Sharpe ratios have variance ``sr_variance``. Bailey & Lopez de Prado (2014), eq. (2)."""
    if n_trials < 2 or sr_variance <= 0:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sr_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe(
    sr: float, n: int, skew: float, kurtosis: float, sr_variance: float, n_trials: int
) -> float:
    """DSR: the PSR of ``sr`` against :func:`expected_max_sharpe` of the trials. Bailey & Lopez de
    Prado (2014). ``sr_variance``: variance of the per-period Sharpe ratios across the trials."""
    return probabilistic_sharpe(sr, expected_max_sharpe(sr_variance, n_trials), n, skew, kurtosis)
