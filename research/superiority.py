"""Does any variant beat the benchmark, and which variants cannot be told apart from the best?

* Hansen, P. R. (2005). "A Test for Superior Predictive Ability." *Journal of Business &
  Economic Statistics* 23(4), 365-380: ``arch.bootstrap.SPA``, the consistent p-value of the null
  "no variant beats the benchmark".
* Hansen, P. R., Lunde, A. & Nason, J. M. (2011). "The Model Confidence Set." *Econometrica*
  79(2), 453-497: ``arch.bootstrap.MCS`` at 10%: the variants that cannot be told apart from the
  best.

Losses are negative daily returns, so "better" means a higher mean daily return. Both use the
stationary bootstrap with the given block length and seed.
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

    losses = pd.DataFrame(-np.asarray(returns, dtype=float), columns=names)
    mcs = MCS(losses, size=size, reps=reps, block_size=max(1, round(block)), method="R", bootstrap="stationary",
              seed=np.random.default_rng(seed))
    mcs.compute()
    return sorted(str(n) for n in names if n in set(mcs.included))
