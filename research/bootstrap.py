"""Stationary block-bootstrap confidence intervals for CAGR, Sharpe and excess CAGR.

Politis, D. N. & Romano, J. P. (1994). "The Stationary Bootstrap." *JASA* 89(428), 1303-1313;
block length by Politis & White (2004) with the correction of Patton, Politis & White (2009),
both as implemented by ``arch.bootstrap`` (``StationaryBootstrap``, ``optimal_block_length``).

All variants and the benchmark are resampled *jointly* (the same blocks of sessions for every
column), which keeps their cross-correlation; the block length is the mean of the columns'
optimal stationary block lengths, recorded with the seed. arch draws the resampled session
indices; every statistic here is built from sums over sessions (of log growth, excess returns and
their squares), so each replication is one row of session counts times a feature matrix: 1,000
replications of 100 variants x 6,000 sessions take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from arch.bootstrap import StationaryBootstrap, optimal_block_length

from research.columns import column_step

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


def _stats_from_sums(log_growth: np.ndarray, bench_log_growth: np.ndarray, excess_sum: np.ndarray,
                     excess_sq: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CAGR, annualised Sharpe (sample sd) and excess CAGR from per-column sums over ``n``
    sessions."""
    cagr = np.exp(log_growth * PERIODS / n) - 1.0
    bench_cagr = np.exp(bench_log_growth * PERIODS / n) - 1.0
    mean = excess_sum / n
    var = np.maximum(excess_sq - n * mean**2, 0.0) / (n - 1)
    sd = np.sqrt(var)
    sharpe = np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0) * np.sqrt(PERIODS), 0.0)
    return cagr, sharpe, cagr - bench_cagr


def session_counts(n: int, block: float, reps: int, seed: int) -> np.ndarray:
    """How often each of ``n`` sessions is drawn in each of ``reps`` stationary-bootstrap
    replications (reps x n), blocks of mean length ``block`` sessions, draws fixed by ``seed``."""
    # arch annotates block_size as int, but the stationary bootstrap's mean block length is
    # real-valued (blocks end with probability 1 / block_size, Politis & Romano 1994) and arch
    # computes exactly that; rounding it would change every interval.
    draws = np.random.default_rng(seed)
    bs = StationaryBootstrap(block, np.arange(n), seed=draws)  # type: ignore[arg-type]
    counts = [np.bincount(data[0], minlength=n) for data, _ in bs.bootstrap(reps)]
    return np.array(counts, dtype=float)


def _daily_cash(risk_free: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cash returns broadcastable to ``shape`` (sessions x columns): per-session values kept,
    annual decimals (a scalar or one per column) deannualised geometrically."""
    n, k = shape
    if risk_free.ndim == 2 or (risk_free.ndim == 1 and risk_free.shape[0] == n and n != k):
        return risk_free.reshape(n, -1)
    return (1.0 + np.broadcast_to(risk_free, (k,))) ** (1.0 / PERIODS) - 1.0


#: Columns whose optimal block lengths are averaged at most: a wider matrix (a 10,000-variant
#: sweep) averages this many columns evenly spread over it, always with its first and last (in
#: luck statistics: the benchmark). Each column costs milliseconds (a minute for 10,000 over
#: 6,000 sessions); the block length is a tuning parameter, and the mean of 250 columns spread
#: over a grid is within a few percent of the mean of all.
BLOCK_LENGTH_COLUMNS = 250


def block_length(returns: np.ndarray, *more: np.ndarray) -> float:
    """Mean optimal stationary block length of the columns of ``returns`` and then of ``more``
    (matrices or single series, same sessions) (Politis & White 2004), at least 1; over
    :data:`BLOCK_LENGTH_COLUMNS` evenly spread columns when there are more. Only the chosen
    columns are copied."""
    parts = [np.asarray(m, dtype=float).reshape(len(returns), -1) for m in (returns, *more)]
    k = sum(m.shape[1] for m in parts)
    columns = np.unique(np.linspace(0, k - 1, BLOCK_LENGTH_COLUMNS).round().astype(int)) \
        if k > BLOCK_LENGTH_COLUMNS else np.arange(k)
    starts = np.cumsum([0] + [m.shape[1] for m in parts])
    chosen = np.column_stack([
        part[:, columns[(columns >= lo) & (columns < hi)] - lo]
        for part, lo, hi in zip(parts, starts[:-1], starts[1:], strict=True)
    ])
    lengths = optimal_block_length(chosen)["stationary"].to_numpy(dtype=float)
    return max(1.0, float(np.mean(lengths)))


def bootstrap_intervals(
    returns: np.ndarray,
    benchmark: np.ndarray,
    risk_free: np.ndarray | float = 0.0,
    reps: int = 1000,
    size: float = 0.90,
    seed: int = 20240716,
    block: float | None = None,
) -> BootstrapIntervals:
    """Percentile intervals (``size``, default 90%) for every column of ``returns`` (sessions x
    variants, daily simple returns) against ``benchmark`` (daily returns, same sessions).

    ``risk_free``: daily cash returns, sessions x columns (or one per session for all), or an
    annual decimal per column (or one for all), deannualised geometrically as the metrics do;
    ``reps``: bootstrap replications; ``seed``: fixes the draws; ``block``: mean block length
    (default: estimated with ``optimal_block_length``).
    """
    r = np.asarray(returns, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    rf = _daily_cash(np.asarray(risk_free, dtype=float), r.shape)
    length = block if block is not None else block_length(r, b)
    n, k = r.shape
    counts = session_counts(n, length, reps, seed)
    growth, excess_sum, excess_sq = (np.empty((reps, k)) for _ in range(3))
    cash = rf if rf.ndim == 2 else rf[None, :]  # sessions x (1 or k), or 1 x k
    per_column = cash.shape[1] == k
    step = column_step(n)
    for j in range(0, k, step):  # a block of columns at a time: small temporaries
        cols = slice(j, j + step)
        growth[:, cols] = counts @ np.log1p(r[:, cols])
        excess = r[:, cols] - (cash[:, cols] if per_column else cash)
        excess_sum[:, cols] = counts @ excess
        excess *= excess
        excess_sq[:, cols] = counts @ excess
    bench_growth = counts @ np.log1p(b)[:, None]
    cagr, sharpe, excess_cagr = _stats_from_sums(growth, bench_growth, excess_sum, excess_sq, n)
    alpha = (1.0 - size) / 2.0

    def interval(draws: np.ndarray) -> np.ndarray:
        return np.quantile(draws, [alpha, 1.0 - alpha], axis=0).T

    return BootstrapIntervals(
        cagr=interval(cagr),
        sharpe=interval(sharpe),
        excess_cagr=interval(excess_cagr),
        block_length=length,
        reps=reps,
        seed=seed,
        size=size,
    )


def excess_cagr_intervals(
    returns: np.ndarray,
    reference: np.ndarray,
    reps: int = 1000,
    size: float = 0.90,
    seed: int = 20240716,
    block: float | None = None,
) -> np.ndarray:
    """Percentile intervals (columns x [low, high]) of each column's CAGR minus its own
    reference's (``reference``: sessions x columns, e.g. each variant's no-rotation twin), both
    resampled with the same stationary-bootstrap blocks (Politis & Romano 1994)."""
    r = np.asarray(returns, dtype=float)
    ref = np.asarray(reference, dtype=float)
    n, k = r.shape
    length = block if block is not None else block_length(r, ref)
    counts = session_counts(n, length, reps, seed)
    ours, theirs = np.empty((reps, k)), np.empty((reps, k))
    step = column_step(n)
    for j in range(0, k, step):  # a block of columns at a time: small temporaries
        ours[:, j : j + step] = counts @ np.log1p(r[:, j : j + step])
        theirs[:, j : j + step] = counts @ np.log1p(ref[:, j : j + step])
    diff = np.exp(ours * PERIODS / n) - np.exp(theirs * PERIODS / n)
    alpha = (1.0 - size) / 2.0
    return np.quantile(diff, [alpha, 1.0 - alpha], axis=0).T
