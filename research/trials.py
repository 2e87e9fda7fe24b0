"""How many independent rules did a sweep really try? Candidates, clones and effective trials.

* **Candidates.** Reference rows (benchmarks: ``buy_and_hold``, ``fixed_mix``; twins) are never
  candidates; variants that never traded, or never rotated (held the same assets all along: a
  static portfolio, not a rotation), are excluded; variants whose daily returns are identical,
  or correlated above :data:`CLONE_CORRELATION`, are one trial (the first in canonical order
  stays, the others name the variant they duplicate).
* **Effective number of trials.** Li, J. & Ji, L. (2005). "Adjusting multiple testing in
  multilocus analyses using the eigenvalues of a correlation matrix." *Heredity* 95, 221-227:
  with ``lambda_i`` the eigenvalues of the candidates' correlation matrix,
  ``M_eff = sum_i [ I(|lambda_i| >= 1) + (|lambda_i| - floor(|lambda_i|)) ]`` - N independent
  rules count N, N perfect clones count 1, and everything between counts in between. (The
  eigenvalue-based count López de Prado (2019), "A Data Science Solution to the
  Multiple-Testing Crisis in Financial Research", *Journal of Financial Data Science* 1(1),
  99-110, names as the alternative to his clustering: k-means' silhouette scores cannot tell 2
  from 3 rules, which is where small sweeps live.) The correlations are those of the
  candidates' returns *in excess of the benchmark*: long-only rules all correlate with the
  market, their bets differ in what they hold instead.
* **Clusters.** The candidates are grouped in ``round(M_eff)`` clusters by average-linkage
  hierarchical clustering of the distances ``sqrt((1 - rho) / 2)`` (López de Prado 2019's
  distance). Each cluster's returns are its members' inverse-variance-weighted average (the
  paper's minimum-variance allocation with correlations set aside); the variance of those
  cluster returns' ratios is the ``V[SR]`` of the Deflated Sharpe Ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from research.columns import distinct_columns, standardised

#: Above this correlation of daily returns two variants are one trial (a clone).
CLONE_CORRELATION = 0.999
#: Strategies that are reference rows (benchmarks), never candidates.
REFERENCE_STRATEGIES = frozenset({"buy_and_hold", "fixed_mix"})


@dataclass
class Clusters:
    """The clustering of the candidates: ``labels[j]`` is column j's cluster; ``n`` clusters."""

    labels: np.ndarray
    n: int

    def members(self, ids: list[str]) -> list[list[str]]:
        """The ids in each cluster, clusters in order of their first member."""
        out: dict[int, list[str]] = {}
        for vid, label in zip(ids, self.labels.tolist(), strict=True):
            out.setdefault(int(label), []).append(vid)
        return list(out.values())


#: Columns compared at once when looking for clones: the correlations of a block of this many
#: columns with the kept ones are one matrix product (10,000 variants never hold a 10,000 x
#: 10,000 matrix).
CLONE_BLOCK = 512


def collapse_clones(
    returns: np.ndarray, ids: list[str], threshold: float = CLONE_CORRELATION
) -> tuple[list[int], dict[str, str]]:
    """(columns kept, {dropped id: why, naming the kept id it duplicates}). A column is a clone
    of the first earlier kept one whose daily returns are identical to it or correlated above
    ``threshold``. Worked through in blocks of :data:`CLONE_BLOCK` columns, each block's
    correlations with the columns before it in one product: O(k^2 n) arithmetic but O(k n)
    memory, so a 10,000-variant grid finishes."""
    r = np.asarray(returns, dtype=float)
    k = r.shape[1]
    z = standardised(r)
    group = distinct_columns(r)[1]  # one number per distinct series (-0.0 read as 0.0)
    kept_mask = np.zeros(k, dtype=bool)
    clones: dict[str, str] = {}
    for start in range(0, k, CLONE_BLOCK):
        stop = min(k, start + CLONE_BLOCK)
        corr = z[:, start:stop].T @ z[:, :stop] / max(len(r), 1)  # block x earlier-or-same
        above = corr > threshold
        for j in range(start, stop):
            same = group[:j] == group[j]
            near = kept_mask[:j] & (same | above[j - start, :j])
            if not near.any():
                kept_mask[j] = True
                continue
            i = int(np.argmax(near))
            clones[ids[j]] = (
                f"clone of {ids[i]} (identical daily returns): one trial"
                if same[i]
                else f"clone of {ids[i]} (correlation {corr[j - start, i]:.4f} > {threshold}): "
                "one trial"
            )
    return np.flatnonzero(kept_mask).tolist(), clones


def exclusions(
    returns: np.ndarray, ids: list[str], meta: dict[str, dict] | None = None
) -> dict[str, str]:
    """{variant id: why it is not a candidate}: benchmarks (reference rows), variants that never
    traded or never rotated, and clones (see the module docstring). ``meta``: per id the run's
    ``strategy``, ``trades``, ``switches`` and a ``label`` (runs' metrics); without it only
    flat returns and clones are found."""
    r = np.asarray(returns, dtype=float)
    out: dict[str, str] = {}
    for j, vid in enumerate(ids):
        m = (meta or {}).get(vid, {})
        if m.get("strategy") in REFERENCE_STRATEGIES:
            out[vid] = (
                f"benchmark ({m.get('label') or m['strategy']}): a reference row, not a candidate"
            )
        elif m.get("trades") == 0 or not np.any(r[:, j]):
            out[vid] = "never traded: flat returns"
        elif m.get("switches") is not None and m["switches"] <= 1:
            out[vid] = (
                "never rotated: held the same assets from its first trade on "
                "(a static portfolio, not a rotation)"
            )
    rest = [j for j, vid in enumerate(ids) if vid not in out]
    _, clones = collapse_clones(r[:, rest], [ids[j] for j in rest])
    return {**out, **clones}


def effective_trials(corr: np.ndarray) -> float:
    """Li & Ji's (2005) effective number of independent tests of a correlation matrix."""
    if len(corr) <= 1:
        return float(len(corr))
    return _li_ji(np.linalg.eigvalsh(np.asarray(corr, dtype=float)))


def _li_ji(eigenvalues: np.ndarray) -> float:
    lam = np.abs(eigenvalues)
    return float(np.sum((lam >= 1.0) + (lam - np.floor(lam))))


def effective_trials_of(z: np.ndarray) -> float:
    """:func:`effective_trials` of the correlation matrix ``z.T @ z / n`` of standardised returns
    ``z`` (sessions x k, :func:`standardised`) without forming it when k > n: its nonzero
    eigenvalues are those of the n x n matrix ``z @ z.T / n`` (the same singular values), a
    zero eigenvalue counts 0, and a constant column (a 0 in z, 1 on the matrix's diagonal)
    adds an eigenvalue 1. 10,000 variants over 1,500 sessions: a 1,500 x 1,500 problem instead
    of 10,000 x 10,000. With k <= n this is :func:`effective_trials` of :func:`correlation`."""
    n, k = z.shape
    if k <= n or k <= 1:
        corr = z.T @ z / n
        np.fill_diagonal(corr, 1.0)
        return effective_trials(np.clip(corr, -1.0, 1.0))
    constant = int(np.sum(~z.any(axis=0)))
    return _li_ji(np.linalg.eigvalsh(z @ z.T / n)) + constant


def cluster(corr: np.ndarray, n_clusters: int) -> Clusters:
    """``n_clusters`` groups by average-linkage clustering of the distances ``sqrt((1-rho)/2)``."""
    n = len(corr)
    if n <= 1 or n_clusters <= 1:
        return Clusters(np.zeros(n, dtype=int), min(n, 1))
    dist = np.sqrt(np.clip((1.0 - np.asarray(corr)) / 2.0, 0.0, 1.0))
    return _cut(squareform(dist, checks=False), n_clusters, n)


def cluster_of(z: np.ndarray, n_clusters: int) -> Clusters:
    """:func:`cluster` of the correlation matrix of standardised returns ``z`` (sessions x k),
    its distances computed row block by row block straight into scipy's condensed form: the
    k x k matrix is never held (10,000 variants: 400 MB of distances instead of 2.4 GB)."""
    n, k = z.shape
    if k <= 1 or n_clusters <= 1:
        return Clusters(np.zeros(k, dtype=int), min(k, 1))
    condensed = np.empty(k * (k - 1) // 2)
    pos = 0
    for start in range(0, k - 1, CLONE_BLOCK):
        stop = min(k - 1, start + CLONE_BLOCK)
        corr = np.clip(z[:, start:stop].T @ z[:, start:] / n, -1.0, 1.0)  # rows x later columns
        for i in range(start, stop):
            row = corr[i - start, i - start + 1 :]
            condensed[pos : pos + len(row)] = np.sqrt(np.clip((1.0 - row) / 2.0, 0.0, 1.0))
            pos += len(row)
    return _cut(condensed, n_clusters, k)


def _cut(condensed: np.ndarray, n_clusters: int, n: int) -> Clusters:
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=min(n_clusters, n), criterion="maxclust")
    labels = np.unique(labels, return_inverse=True)[1]  # 0-based, in order of the labels
    return Clusters(labels, int(labels.max()) + 1)


def cluster_returns(returns: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Sessions x clusters: each cluster's inverse-variance-weighted average of its members."""
    r = np.asarray(returns, dtype=float)
    var = r.var(axis=0, ddof=1)
    w = np.where(var > 0, 1.0 / np.where(var > 0, var, 1.0), 0.0)
    k = int(labels.max()) + 1
    totals = np.bincount(labels, weights=w, minlength=k)
    weights = w / np.where(totals > 0, totals, 1.0)[labels]
    onehot = sparse.csr_matrix((weights, (np.arange(len(labels)), labels)), shape=(len(labels), k))
    return np.asarray((onehot.T @ r.T).T)  # sessions x clusters


def correlation(returns: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns (a constant column: 0 with the others, 1 with itself)."""
    r = np.asarray(returns, dtype=float)
    z = standardised(r)
    corr = z.T @ z / len(r)
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)
