"""When a strategy works: its returns split by regime (labels of ``research.regime_labels``).

Per label of a family, over the sessions carrying it (spells chained as if one stretch):

* ``sessions``, ``share`` of the labelled sessions, ``spells``: separate stretches of the label.
  A regime met in 2 spells is 2 observations of it, however many sessions they hold;
* ``cagr`` / ``benchmark_cagr`` / ``twin_cagr``: compounded returns annualised on 252 sessions;
  ``sharpe`` / ``benchmark_sharpe`` / ``twin_sharpe``: mean excess over cash (the 3-month T-bill,
  ``engine.cash_rate``) over its sample deviation, times sqrt(252);
* ``excess_cagr``: strategy minus benchmark CAGR, ``excess_ci`` its 90% stationary-bootstrap
  interval (Politis & Romano 1994; ``arch.bootstrap.StationaryBootstrap``, block length by
  Politis & White 2004 as ``research.bootstrap`` estimates it). The whole run is resampled in
  blocks of sessions, labels travelling with their sessions, and each replication's sessions of
  the label give its excess: the interval reflects the returns and how many sessions of the
  regime such a history holds. One set of draws serves every family and label (fixed seed);
  ``twin_excess_cagr``: strategy minus the no-rotation twin;
* ``hit_rate``: share of the label's sessions on which the strategy beat the benchmark, sessions
  where both returned the same (both held the same asset) left out;
* ``max_drawdown``: of the strategy over the label's sessions, chained.

Annualised figures need :data:`MIN_SESSIONS` sessions (as the run metrics do) and are null below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.cash_rate import daily_cash_returns
from engine.metrics import MIN_SESSIONS_ANNUALISED
from engine.results import BacktestResult
from research.bootstrap import block_length, session_counts
from research.regime_labels import HOLD_SESSIONS, builtin_labels, rule_text, user_labels

PERIODS = 252
MIN_SESSIONS = MIN_SESSIONS_ANNUALISED
#: Interval size and seed of the excess's bootstrap (fixed: the same run gives the same page).
CI_SIZE, SEED, REPS = 0.90, 20240716, 1000


def _cagr(r: np.ndarray) -> float:
    return float(np.exp(np.log1p(r).sum() * PERIODS / len(r)) - 1.0)


def _sharpe(r: np.ndarray, cash: np.ndarray) -> float | None:
    excess = r - cash
    sd = excess.std(ddof=1)
    return float(excess.mean() / sd * np.sqrt(PERIODS)) if sd > 0 else None


def _max_drawdown(r: np.ndarray) -> float:
    """Deepest fall of the chained growth from its peak, the start (1.0) included: a loss on the
    label's first session is a drawdown too."""
    growth = np.cumprod(np.concatenate([[1.0], 1.0 + r]))
    return float((growth / np.maximum.accumulate(growth) - 1.0).min())


def spells(mask: np.ndarray) -> int:
    """Separate stretches of True in ``mask`` (a label met, left and met again counts twice)."""
    mask = np.asarray(mask, dtype=bool)
    return int(mask[0]) + int(np.sum(mask[1:] & ~mask[:-1])) if len(mask) else 0


def bootstrap_counts(returns: pd.DataFrame, reps: int = REPS, seed: int = SEED) -> np.ndarray:
    """How often each session is drawn in each of ``reps`` stationary-bootstrap replications of
    the run (reps x sessions), block length from the strategy's and benchmark's returns."""
    values = returns[["strategy", "benchmark"]].to_numpy(dtype=float)
    n = len(values)
    varying = values[:, values.std(axis=0) > 0]  # a flat column (all cash) has no block length
    length = block_length(varying) if varying.shape[1] and n >= MIN_SESSIONS else 1.0
    length = length if np.isfinite(length) else 1.0
    return session_counts(n, length, reps, seed)


def excess_interval(
    r: np.ndarray, b: np.ndarray, counts: np.ndarray, size: float = CI_SIZE
) -> list[float] | None:
    """The ``size`` percentile interval of CAGR(r) - CAGR(b) over replications whose session
    ``counts`` (reps x len(r)) hold at least :data:`MIN_SESSIONS` sessions; None if too few do."""
    drawn = counts.sum(axis=1)
    keep = drawn >= MIN_SESSIONS
    if keep.sum() < 0.5 * len(counts):
        return None
    logs = counts[keep] @ np.column_stack([np.log1p(r), np.log1p(b)])
    excess = np.expm1(logs[:, 0] * PERIODS / drawn[keep]) - np.expm1(
        logs[:, 1] * PERIODS / drawn[keep]
    )
    tail = (1.0 - size) / 2.0
    return [float(v) for v in np.quantile(excess, [tail, 1.0 - tail])]


def label_stats(
    returns: pd.DataFrame,
    mask: np.ndarray,
    cash: np.ndarray,
    labelled: int,
    counts: np.ndarray | None = None,
) -> dict:
    """The figures of one label (see the module docstring): ``returns`` has columns
    ``strategy``, ``benchmark`` and optionally ``twin``; ``mask`` marks the label's sessions;
    ``cash``: daily cash returns; ``labelled``: how many sessions carry any label of the family;
    ``counts``: the run's bootstrap draws (:func:`bootstrap_counts`; default: drawn here)."""
    n = int(mask.sum())
    r, b = returns["strategy"].to_numpy()[mask], returns["benchmark"].to_numpy()[mask]
    c = cash[mask]
    differ = r != b
    out: dict = {
        "sessions": n,
        "share": n / labelled if labelled else None,
        "spells": spells(mask),
        "hit_rate": float(np.mean(r[differ] > b[differ])) if differ.any() else None,
        "max_drawdown": _max_drawdown(r) if n else None,
    }
    annual = n >= MIN_SESSIONS
    cols = [("", r), ("benchmark_", b)]
    if "twin" in returns:
        cols.append(("twin_", returns["twin"].to_numpy()[mask]))
    for prefix, x in cols:
        out[f"{prefix}cagr"] = _cagr(x) if annual else None
        out[f"{prefix}sharpe"] = _sharpe(x, c) if annual else None
    out["excess_cagr"] = out["cagr"] - out["benchmark_cagr"] if annual else None
    if "twin" in returns:
        out["twin_excess_cagr"] = out["cagr"] - out["twin_cagr"] if annual else None
    out["excess_ci"] = None
    if annual and differ.any():
        counts = bootstrap_counts(returns) if counts is None else counts
        out["excess_ci"] = excess_interval(r, b, counts[:, mask])
    return out


def regime_table(
    returns: pd.DataFrame, labels: pd.Series, cash: pd.Series, counts: np.ndarray | None = None
) -> dict[str, dict]:
    """Label -> :func:`label_stats` for one family's ``labels`` (per session, NaN = unlabelled),
    labels in the order they first occur; ``counts``: the run's bootstrap draws."""
    labels = labels.reindex(returns.index)
    valid = labels.notna().to_numpy()
    cash_values = cash.reindex(returns.index).to_numpy(dtype=float)
    order = list(dict.fromkeys(labels.dropna()))
    values = labels.to_numpy()
    counts = bootstrap_counts(returns) if counts is None else counts
    return {
        str(label): label_stats(
            returns, valid & (values == label), cash_values, int(valid.sum()), counts
        )
        for label in order
    }


def run_returns(run: BacktestResult) -> pd.DataFrame:
    """A saved run's daily returns: strategy, benchmark and the no-rotation ``twin`` when the run
    saved one (runs written before the twin existed have none: their twin figures are omitted)."""
    cols = [c for c in ("strategy", "benchmark", "twin") if c in run.returns.columns]
    return run.returns[cols].astype(float)


def regime_report(
    run_dir: str | Path, regimes_file: str | Path | None = None, hold_sessions: int = HOLD_SESSIONS
) -> dict:
    """Every regime family for the saved run in ``run_dir``: ``{"families": {family: {label:
    stats}}, "rules": {family: text}, "window": [start, end], "twin": bool, "ci_size": 0.9}``.

    ``regimes_file``: a user's ``date,label`` CSV, added as a family named after the file;
    ``hold_sessions``: sessions without a target change that make the Fed ``on_hold``.
    """
    run = BacktestResult.load(run_dir, tables=())
    returns = run_returns(run)
    lag = int(run.manifest.get("macro_lag_sessions", run.config.data.macro_lag))
    cash = daily_cash_returns(returns.index, lag_sessions=lag)
    frame = builtin_labels(returns.index, lag=lag, hold_sessions=hold_sessions)
    rules = {f: rule_text(f, lag, hold_sessions) for f in frame.columns}
    if regimes_file is not None:
        own = user_labels(regimes_file, returns.index)
        frame[own.name] = own
        rules[str(own.name)] = (
            f"your labels from {Path(regimes_file).name}, each from its date on (as-of)"
        )
    counts = bootstrap_counts(returns)
    families = {f: regime_table(returns, frame[f], cash, counts) for f in frame.columns}
    return {
        "families": families,
        "rules": rules,
        "twin": "twin" in returns.columns,
        "window": [str(returns.index[0].date()), str(returns.index[-1].date())],
        "ci_size": CI_SIZE,
    }
