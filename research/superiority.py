"""Does any variant beat the benchmark, and which variants cannot be told apart from the best?

* Hansen, P. R. (2005). "A Test for Superior Predictive Ability." *Journal of Business &
  Economic Statistics* 23(4), 365-380: ``arch.bootstrap.SPA``, the consistent p-value of the null
  "no variant beats the benchmark".
* Hansen, P. R., Lunde, A. & Nason, J. M. (2011). "The Model Confidence Set." *Econometrica*
  79(2), 453-497: ``arch.bootstrap.MCS`` at 10%: the variants that cannot be told apart from the
  best.

Losses are negative daily returns, so "better" means a higher mean daily return. Both use the
stationary bootstrap with the given block length and seed.

Variants with identical daily returns (common in a large grid: a filter that never triggers, two
lookbacks that always pick the same asset) are one model to the MCS: their loss differences have
zero variance, which breaks its t-statistics (``arch`` raises on the NaNs). The set is computed
on one column per distinct series, and every copy shares its representative's membership.

The MCS eliminates with the range statistic T_R (Hansen, Lunde & Nason's ``R`` method: every
pair of models) up to :data:`RANGE_METHOD_LIMIT` distinct models, and with T_max (``max``: each
model against the average) beyond: ``arch``'s T_R holds a replications x k x k array and copies
it at every elimination, which for 500 models means gigabytes and hours. Both are the paper's
statistics; the method used is reported (``mcs_method`` in ``stats.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.fft as scipy_fft
from arch.bootstrap import MCS, SPA

from research.columns import column_step, distinct_columns


class QuickSPA(SPA):
    """``arch.bootstrap.SPA`` with the variance of each loss differential computed through the
    FFT, and the bootstrap means from session counts (``_simulate_values``). ``arch`` sums the
    kernel-weighted autocovariances lag by lag, O(t^2 k), which dominates with 1,000 variants over
    5,000 sessions (``bench/luck_speed.py``). The autocovariances of all lags at once from the FFT
    are the
    same sums (to rounding, ~1e-13 relative: ``tests/test_luck.py``); the rest is arch's."""

    def _compute_variance(self) -> None:
        if self.nested:
            super()._compute_variance()
            return
        ld = self._loss_diff
        t, k = ld.shape
        size = scipy_fft.next_fast_len(2 * t - 1, real=True)  # no wrap-around: linear lags
        p = 1.0 / self.block_size
        lags = np.arange(1, t)
        kappa = (1.0 - lags / t) * (1.0 - p) ** lags + (lags / t) * (1.0 - p) ** (t - lags)
        variance = np.empty(k)
        step = column_step(size)  # rows of the padded transform
        for j in range(0, k, step):  # a block of columns at a time: small temporaries
            demeaned = ld[:, j : j + step] - ld[:, j : j + step].mean(axis=0)
            spectrum = scipy_fft.rfft(demeaned, n=size, axis=0, workers=-1)
            spectrum *= np.conj(spectrum)
            # sum_s d[s] d[s+i], each lag i
            autocov = scipy_fft.irfft(spectrum, n=size, axis=0, workers=-1)[:t]
            variance[j : j + step] = (
                np.sum(demeaned**2, 0) / t + 2.0 * (kappa @ autocov[1:]) / t
            )
        self._loss_diff_var = variance

    def _simulate_values(self) -> None:
        """arch's simulation with the same draws, each replication's mean loss differential taken
        from how often each session was drawn (one matrix product for all replications) instead
        of a copy of the resampled matrix per replication: 6x faster for 100 variants over
        6,000 sessions, equal to arch's to rounding (``tests/test_luck.py``)."""
        self._compute_variance()
        self._valid_columns = self._check_column_validity()
        upper = self._loss_diff.mean(0)
        consistent = np.where(self._valid_columns, upper, 0.0)
        lower = np.maximum(upper, 0.0)
        counts = np.empty((self.reps, self.t))
        for i in range(self.reps):
            self.bootstrap._index = self.bootstrap.update_indices()
            counts[i] = np.bincount(np.asarray(self.bootstrap._index).ravel(), minlength=self.t)
        star = counts @ self._loss_diff / self.t  # reps x k
        self._simulated_vals = np.stack(
            [star - m for m in (lower, consistent, upper)], axis=2
        ).transpose(1, 0, 2)


class QuickMCS(MCS):
    """``arch.bootstrap.MCS`` whose T_max bootstrap takes each replication's mean loss error from
    how often each session was drawn (one matrix product for all replications), as
    :class:`QuickSPA` does, instead of a copy of the resampled sessions x models matrix per
    replication (40 MB each for 1,000 variants over 5,000 sessions). Same draws, same
    elimination (arch's, below); the means equal arch's to rounding (``tests/test_luck.py``)."""

    def _compute_max(self) -> None:
        losses = self._losses_arr
        loss_errors = losses - losses.mean(0)
        counts = np.empty((self.reps, self.t))
        for i, data in enumerate(self.bootstrap.bootstrap(self.reps)):
            index = np.asarray(data[0][0], dtype=int)
            self._bootstrap_indices.append(index)
            counts[i] = np.bincount(index.ravel(), minlength=self.t)
        bs_avg = counts @ loss_errors / self.t
        bs_avg -= bs_avg.mean(axis=1, keepdims=True)
        if self.k > FULL_PVALUES_LIMIT:
            eliminated = _eliminate_max_until(losses.mean(0), bs_avg, self.size)
        else:
            eliminated = _eliminate_max(losses, bs_avg)
        self._pvalues = self._format_pvalues(eliminated)

    def _format_pvalues(self, eliminated: Sequence[tuple[int, float]]) -> pd.DataFrame:
        """arch's table of MCS p-values (each the running maximum of the elimination steps'),
        the running maximum taken in one pass instead of a pandas assignment per model."""
        mcs = pd.DataFrame(eliminated, columns=["Model index", "Pvalue"])
        mcs["Pvalue"] = np.maximum.accumulate(mcs["Pvalue"].to_numpy(dtype=float))
        model_index = mcs.pop("Model index")
        if isinstance(self.losses, pd.DataFrame):
            model_index = pd.Series(self.losses.columns[model_index], name="Model name")
        mcs.index = pd.Index(model_index)
        return mcs


#: Distinct models up to which :class:`QuickMCS` computes every model's p-value (arch's
#: elimination to the last model, O(k^2 reps) over k eliminations). Above it, the elimination
#: stops at the first step whose p-value exceeds the test size: every MCS p-value from there on
#: (the running maximum of the steps', Hansen, Lunde & Nason 2011) exceeds it, so every model
#: left is in the set, with p-value 1 (a lower bound: the set is arch's). The sweep statistics
#: use the set only; on 1,000 variants the early stop takes a fifth of the full elimination's
#: time (``bench/sweep_1000.py``), and 10,000 variants finish.
FULL_PVALUES_LIMIT = 100


def _eliminate_max_until(
    mean_loss: np.ndarray, bs_avg: np.ndarray, size: float
) -> list[tuple[int, float]]:
    """arch's T_max elimination on the replications x models table only, stopped at the first
    step whose p-value exceeds ``size`` (the models left: p-value 1)."""
    included = np.ones(len(mean_loss), dtype=bool)
    eliminated: list[tuple[int, float]] = []
    while included.sum() > 1:
        idx = np.flatnonzero(included)
        worst, pval = _max_step(bs_avg[:, idx], mean_loss[idx])
        eliminated.extend((int(i), pval) for i in idx[worst])
        included[idx[worst]] = False
        if pval > size:
            break
    eliminated.extend((int(i), 1.0) for i in np.flatnonzero(included))
    return eliminated


def _max_step(errors: np.ndarray, mean_loss: np.ndarray) -> tuple[np.ndarray, float]:
    """One T_max elimination step as arch takes it: (positions of the worst models, p-value)
    from the replications' mean loss errors and the models' mean losses."""
    errors = errors - errors.mean(axis=1, keepdims=True)
    sd = np.sqrt((errors**2).mean(axis=0))
    simulated = (errors / sd).max(axis=1)
    standardised = (mean_loss - mean_loss.mean()) / sd
    stat = standardised.max()
    return np.flatnonzero(standardised == stat), float((stat < simulated).mean())


def _eliminate_max(losses: np.ndarray, bs_avg: np.ndarray) -> list[tuple[int, float]]:
    """arch's T_max elimination (``MCS._compute_max``): the worst model out, one at a time, each
    with its p-value, then the models left with 1."""
    included = np.ones(losses.shape[1], dtype=np.bool_)
    eliminated: list[tuple[int, float]] = []
    while included.sum() > 1:
        indices = np.argwhere(included)
        incl_err = bs_avg[:, included]
        incl_err -= incl_err.mean(1)[:, None]
        std_devs = np.sqrt((incl_err**2).mean(0))
        simulated = np.max(incl_err / std_devs, 1)
        loss_diffs = losses[:, included].mean(0)
        loss_diffs -= loss_diffs.mean()
        std_loss_diffs = loss_diffs / std_devs
        test_stat = np.max(std_loss_diffs)
        pval = (test_stat < simulated).mean()
        locs = np.argwhere(std_loss_diffs == test_stat)
        eliminated.extend(
            (int(i), pval) for i in indices.flat[np.atleast_1d(locs.squeeze())]
        )
        included[indices.flat[locs]] = False
    eliminated.extend((int(i), 1.0) for i in np.argwhere(included).flatten())
    return eliminated


def spa_pvalue(
    returns: np.ndarray, benchmark: np.ndarray, block: float, reps: int = 1000, seed: int = 20240716
) -> float:
    """Hansen's SPA consistent p-value: small when some column of ``returns`` really beats
    ``benchmark``."""
    spa = QuickSPA(
        -np.asarray(benchmark, dtype=float),
        -np.asarray(returns, dtype=float),
        block_size=max(1, round(block)),
        reps=reps,
        bootstrap="stationary",
        seed=np.random.default_rng(seed),
    )
    spa.compute()
    return float(spa.pvalues["consistent"])


#: Distinct models up to which the MCS uses the range statistic T_R; above, T_max.
RANGE_METHOD_LIMIT = 60


def _statistic(distinct: int) -> Literal["R", "max"]:
    return "R" if distinct <= RANGE_METHOD_LIMIT else "max"


def mcs_method(returns: np.ndarray) -> Literal["R", "max"]:
    """``R`` or ``max``: the MCS statistic used for these columns (by how many are distinct)."""
    return _statistic(len(distinct_columns(returns)[0]))


def model_confidence_set(
    returns: np.ndarray,
    names: list[str],
    block: float,
    size: float = 0.10,
    reps: int = 1000,
    seed: int = 20240716,
) -> list[str]:
    """The variants (``names``, one per column) in Hansen's Model Confidence Set at ``size``
    (statistic T_R up to :data:`RANGE_METHOD_LIMIT` distinct columns, T_max above)."""
    returns = np.asarray(returns, dtype=float)
    keep, group = distinct_columns(returns)  # one column per distinct series, in the given order
    if len(keep) == 1:  # every variant is the same series: nothing to tell apart
        return sorted(str(n) for n in names)
    losses = pd.DataFrame(-returns[:, keep], columns=[names[j] for j in keep])
    mcs = QuickMCS(
        losses,
        size=size,
        reps=reps,
        block_size=max(1, round(block)),
        method=_statistic(len(keep)),
        bootstrap="stationary",
        seed=np.random.default_rng(seed),
    )
    mcs.compute()
    included = set(mcs.included)
    rep_of_group = {group[j]: names[j] for j in keep}
    return sorted(str(n) for j, n in enumerate(names) if rep_of_group[group[j]] in included)
