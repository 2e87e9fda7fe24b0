"""Walk-forward analysis: what choosing a variant *at the time* would have earned.

Pardo, R. (2008). *The Evaluation and Optimization of Trading Strategies*, 2nd ed., Wiley, ch. 11
(walk-forward analysis and walk-forward efficiency).

The variants of an experiment run once over the whole period (an ordinary sweep). The period is
cut into folds: a train window and the test window after it (``rolling``: the train window moves
with the test; ``anchored``: it always starts at the first session). Test windows tile the period
after the first train window, with no gap and no overlap. In each fold the variants are ranked by
the ``select`` metric on the train window only, and the winner's own decisions - made by that
variant on data up to each decision - are replayed through the test window. All test windows
together are one real backtest (strategy ``replay_targets``): at each fold boundary the portfolio
moves from the old winner's standing target to the new one's, and the trades are paid.

Walk-forward efficiency (Pardo): the out-of-sample annualised return over the mean in-sample
annualised return of the chosen variants.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.errors import UserError, did_you_mean
from engine.cash_rate import run_cash_returns
from engine.metrics import RETURN_METRICS, rank, returns_metrics
from engine.results import BacktestResult

SESSIONS_PER_YEAR = 252


def parse_window(text: str, option: str) -> int:
    """A window as sessions: ``3y`` / ``1.5y`` (years of 252 sessions), ``6m`` (months of 21), or
    a plain number of sessions; a UserError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([ymsYMS]?)\s*", str(text))
    if not m:
        raise UserError(f"{option} '{text}' is not a window", f"e.g. {option} 3y, {option} 6m or {option} 756 (sessions)")
    value, unit = float(m.group(1)), m.group(2).lower()
    sessions = round(value * {"y": SESSIONS_PER_YEAR, "m": 21}.get(unit, 1))
    if sessions < 5:
        raise UserError(f"{option} '{text}' is shorter than 5 sessions", f"e.g. {option} 1y")
    return sessions


def check_select(metric: str) -> str:
    """``metric`` if walk-forward can rank by it (computable from returns on a window)."""
    if metric not in RETURN_METRICS:
        raise UserError(f"--select '{metric}' cannot be computed on a train window",
                        did_you_mean(metric, RETURN_METRICS))
    return metric


@dataclass
class Fold:
    """One fold: windows (ISO dates), the chosen variant, its parameters and metric in and out of sample."""

    train_start: str
    train_end: str
    test_start: str
    test_end: str
    chosen: str
    params: dict
    in_sample: float | None = None
    out_of_sample: float | None = None
    in_sample_cagr: float | None = None


def make_folds(sessions: pd.DatetimeIndex, train: int, test: int, anchored: bool = False) -> list[tuple[int, int, int, int]]:
    """(train first, train last, test first, test last) positions in ``sessions``; test windows tile
    everything after the first train window (the last one may be shorter)."""
    if len(sessions) < train + 1:
        raise UserError(f"{len(sessions)} common sessions are fewer than the train window ({train}) plus one",
                        "shorten --train or widen the period")
    folds = []
    start = train
    while start < len(sessions):
        end = min(start + test, len(sessions)) - 1
        folds.append((0 if anchored else start - train, start - 1, start, end))
        start = end + 1
    return folds


def _rows(rf: float | np.ndarray, first: int, last: int) -> float | np.ndarray:
    """Rows ``first..last`` of a per-session cash series (a constant annual rate as it is)."""
    return rf[first:last + 1] if isinstance(rf, np.ndarray) else rf


def choose(returns: pd.DataFrame, first: int, last: int, select: str,
           risk_free: dict[str, float | np.ndarray]) -> tuple[str, float | None]:
    """The column of ``returns`` ranked best by ``select`` on rows ``first..last`` (inclusive), and
    its value. Only those rows are read. ``risk_free``: per column, daily cash returns on the rows
    of ``returns`` (``engine.cash_rate``) or a constant annual decimal."""
    window = returns.iloc[first:last + 1]
    metrics = {c: returns_metrics(window[c].to_numpy(), _rows(risk_free.get(c, 0.0), first, last))
               for c in returns.columns}
    best = rank(list(returns.columns), select, lambda c: metrics[c])[0]
    return best, metrics[best][select]


def replay_schedule(decisions: dict[str, pd.DataFrame], sessions: pd.DatetimeIndex,
                    folds: list[tuple[int, int, int, int]], chosen: list[str],
                    labels: dict[str, str]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Target weights by session for the out-of-sample path: at each test window's first session
    the chosen variant's standing target (its latest decision on or before it), then each of its
    decisions inside the window."""
    targets: dict[str, dict[str, float]] = {}
    why: dict[str, str] = {}
    for (_, _, t0, t1), vid in zip(folds, chosen, strict=True):
        d = decisions[vid]
        start, end = sessions[t0].date().isoformat(), sessions[t1].date().isoformat()
        standing = d[d["date"] <= start]
        if len(standing):
            targets[start] = json.loads(standing["weights"].iloc[-1])
            why[start] = f"fold start: {labels[vid]} holds {standing['targets'].iloc[-1]}"
        inside = d[(d["date"] > start) & (d["date"] <= end)]
        for day, weights, shown in zip(inside["date"], inside["weights"], inside["targets"], strict=True):
            targets[day] = json.loads(weights)
            why[day] = f"{labels[vid]}: {shown}"
    return targets, why


@dataclass
class WalkForwardPlan:
    """Everything but the out-of-sample run: folds, choices and the replay schedule."""

    folds: list[Fold]
    targets: dict[str, dict[str, float]]
    why: dict[str, str]
    sessions: pd.DatetimeIndex
    returns: pd.DataFrame  # variant returns on the common window
    benchmark: pd.Series
    select: str
    tolerance: float

    def folds_dict(self) -> list[dict]:
        return [asdict(f) for f in self.folds]


def plan_walk_forward(run_dirs: list, train: int, test: int, select: str = "sharpe", anchored: bool = False) -> WalkForwardPlan:
    """Folds and choices from the variants' saved runs (their folder names are the ids)."""
    check_select(select)
    runs = [BacktestResult.load(d) for d in run_dirs]
    returns = pd.concat({r.run_dir.name: r.returns["strategy"] for r in runs}, axis=1, join="inner")
    sessions = pd.DatetimeIndex(returns.index)
    folds_at = make_folds(sessions, train, test, anchored)
    rf = {r.run_dir.name: run_cash_returns(r.metrics, sessions).to_numpy() for r in runs}
    by_id = {r.run_dir.name: r for r in runs}
    labels = {vid: _label(r) for vid, r in by_id.items()}
    folds, chosen = [], []
    for a, b, c, d in folds_at:
        best, value = choose(returns, a, b, select, rf)
        chosen.append(best)
        folds.append(Fold(train_start=str(sessions[a].date()), train_end=str(sessions[b].date()),
                          test_start=str(sessions[c].date()), test_end=str(sessions[d].date()), chosen=best,
                          params=by_id[best].config.param_values(), in_sample=value,
                          in_sample_cagr=returns_metrics(returns[best].iloc[a:b + 1].to_numpy(), _rows(rf[best], a, b))["cagr"]))
    targets, why = replay_schedule({vid: r.decisions for vid, r in by_id.items()}, sessions, folds_at, chosen, labels)
    tolerances = {r.config.params.tolerance for r in runs}
    return WalkForwardPlan(folds, targets, why, sessions, returns, runs[0].returns["benchmark"].reindex(sessions),
                           select, tolerances.pop() if len(tolerances) == 1 else 0.0)


def _label(run: BacktestResult) -> str:
    values = run.config.param_values()
    return f"{run.run_dir.name} ({run.config.strategy} " + ", ".join(
        f"{k}={v}" for k, v in values.items() if k not in ("cash_asset", "tolerance")) + ")"


def score_folds(plan: WalkForwardPlan, oos_returns: pd.Series, risk_free: float | pd.Series) -> dict:
    """Fill each fold's out-of-sample metric from the replayed run; the summary numbers.
    ``risk_free``: daily cash returns by date covering ``oos_returns`` (or an annual decimal)."""
    def cash(dates: pd.Index) -> float | np.ndarray:
        return risk_free.reindex(dates).to_numpy() if isinstance(risk_free, pd.Series) else risk_free

    for f in plan.folds:
        window = oos_returns.loc[f.test_start:f.test_end]
        f.out_of_sample = returns_metrics(window.to_numpy(), cash(window.index))[plan.select]
    span = oos_returns.index
    oos = returns_metrics(oos_returns.to_numpy(), cash(span))
    is_cagr = [f.in_sample_cagr for f in plan.folds if f.in_sample_cagr is not None]
    hindsight = plan.returns.loc[span[0]:span[-1]]
    metrics = {c: returns_metrics(hindsight[c].to_numpy(), cash(hindsight.index)) for c in hindsight.columns}
    best = rank(list(hindsight.columns), plan.select, lambda c: metrics[c])[0]
    bench_window = plan.benchmark.loc[span[0]:span[-1]]
    bench = returns_metrics(bench_window.to_numpy(), cash(bench_window.index))
    mean_is = float(np.mean(is_cagr)) if is_cagr else None
    return {"oos": oos, "mean_in_sample_cagr": mean_is,
            "efficiency": (oos["cagr"] / mean_is) if mean_is else None,
            "best_in_hindsight": {"id": best, **metrics[best]}, "benchmark": bench,
            "switches": int(sum(a.chosen != b.chosen for a, b in zip(plan.folds, plan.folds[1:], strict=False)))}
