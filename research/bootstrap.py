"""Stationary block-bootstrap confidence intervals for CAGR, Sharpe and excess CAGR.

Politis, D. N. & Romano, J. P. (1994). "The Stationary Bootstrap." *JASA* 89(428), 1303-1313;
block length by Politis & White (2004) with the correction of Patton, Politis & White (2009),
both as implemented by ``arch.bootstrap`` (``StationaryBootstrap``, ``optimal_block_length``).

All variants and the benchmark are resampled *jointly* (the same blocks of sessions for every
column), which keeps their cross-correlation; the block length is the mean of the columns'
optimal stationary block lengths, recorded with the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from arch.bootstrap import StationaryBootstrap, optimal_block_length

PERIODS = 252


@dataclass
class BootstrapIntervals:
    """Percentile intervals per column: arrays of shape (columns, 2) as [low, high]."""

    cagr: np.ndarray
    sharpe: np.ndarray
    excess_cagr: np.ndarray
    block_length: float
    reps: int
    seed: int
    size: float


def _stats(returns: np.ndarray, bench: np.ndarray, rf_per_period: np.ndarray) -> np.ndarray:
    """CAGR, annualised Sharpe and CAGR minus the benchmark's, for each column; flattened."""
    n = returns.shape[0]
    growth = np.prod(1.0 + returns, axis=0)
    cagr = growth ** (PERIODS / n) - 1.0
    bench_cagr = np.prod(1.0 + bench) ** (PERIODS / n) - 1.0
    excess = returns - rf_per_period
    sd = excess.std(axis=0, ddof=1)
    sharpe = np.where(sd > 0, excess.mean(axis=0) / np.where(sd > 0, sd, 1.0) * np.sqrt(PERIODS), 0.0)
    return np.concatenate([cagr, sharpe, cagr - bench_cagr])


def block_length(returns: np.ndarray) -> float:
    """Mean optimal stationary block length of the columns (Politis & White 2004), at least 1."""
    lengths = [float(optimal_block_length(returns[:, j])["stationary"].iloc[0]) for j in range(returns.shape[1])]
    return max(1.0, float(np.mean(lengths)))


def bootstrap_intervals(returns: np.ndarray, benchmark: np.ndarray, risk_free: np.ndarray | float = 0.0,
                        reps: int = 1000, size: float = 0.90, seed: int = 20240716,
                        block: float | None = None) -> BootstrapIntervals:
    """Percentile intervals (``size``, default 90%) for every column of ``returns`` (sessions x
    variants, daily simple returns) against ``benchmark`` (daily returns, same sessions).

    ``risk_free``: annual decimal per column (or one for all), deannualised geometrically as the
    metrics do; ``reps``: bootstrap replications; ``seed``: fixes the draws; ``block``: mean block
    length (default: estimated with ``optimal_block_length``).
    """
    r = np.asarray(returns, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    rf = (1.0 + np.broadcast_to(np.asarray(risk_free, dtype=float), (r.shape[1],))) ** (1.0 / PERIODS) - 1.0
    length = block if block is not None else block_length(np.column_stack([r, b]))
    bs = StationaryBootstrap(length, r, b, seed=np.random.default_rng(seed))
    draws = np.array([_stats(data[0], data[1], rf) for data, _ in bs.bootstrap(reps)])
    alpha = (1.0 - size) / 2.0
    low, high = np.quantile(draws, [alpha, 1.0 - alpha], axis=0)
    k = r.shape[1]

    def part(i: int) -> np.ndarray:
        return np.column_stack([low[i * k:(i + 1) * k], high[i * k:(i + 1) * k]])

    return BootstrapIntervals(cagr=part(0), sharpe=part(1), excess_cagr=part(2), block_length=length,
                              reps=reps, seed=seed, size=size)
