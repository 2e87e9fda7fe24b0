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
"""

from __future__ import annotations

import numpy as np
from arch.bootstrap import MCS, SPA


def spa_pvalue(returns: np.ndarray, benchmark: np.ndarray, block: float, reps: int = 1000, seed: int = 20240716) -> float:
    """Hansen's SPA consistent p-value: small when some column of ``returns`` really beats ``benchmark``."""
    spa = SPA(-np.asarray(benchmark, dtype=float), -np.asarray(returns, dtype=float), block_size=max(1, round(block)),
              reps=reps, bootstrap="stationary", seed=np.random.default_rng(seed))
    spa.compute()
    return float(spa.pvalues["consistent"])


def model_confidence_set(returns: np.ndarray, names: list[str], block: float, size: float = 0.10, reps: int = 1000,
                         seed: int = 20240716) -> list[str]:
    """The variants (``names``, one per column) in Hansen's Model Confidence Set at ``size``."""
    import pandas as pd

    returns = np.asarray(returns, dtype=float)
    _, first, group = np.unique(returns.T, axis=0, return_index=True, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    if len(first) == 1:  # every variant is the same series: nothing to tell apart
        return sorted(str(n) for n in names)
    keep = np.sort(first)  # one column per distinct series, in the given order
    losses = pd.DataFrame(-returns[:, keep], columns=[names[j] for j in keep])
    mcs = MCS(losses, size=size, reps=reps, block_size=max(1, round(block)), method="R", bootstrap="stationary",
              seed=np.random.default_rng(seed))
    mcs.compute()
    included = set(mcs.included)
    rep_of_group = {group[j]: names[j] for j in keep}
    return sorted(str(n) for j, n in enumerate(names) if rep_of_group[group[j]] in included)
