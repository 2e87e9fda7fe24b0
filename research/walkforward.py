"""Walk-forward analysis: what choosing a variant *at the time* would have earned.

Pardo, R. (2008). *The Evaluation and Optimization of Trading Strategies*, 2nd ed., Wiley, ch. 11
(walk-forward analysis and walk-forward efficiency).

The variants of an experiment run once over the whole period (an ordinary sweep). The period is
cut into folds: a train window and the test window after it (``rolling``: the train window moves
with the test; ``anchored``: it always starts at the first session). Test windows tile the period
after the first train window, with no gap and no overlap. In each fold the variants are ranked by
the ``select`` metric on the train window only, and the winner's own decisions - made by that
variant on data up to each decision - are replayed through the test window. All test windows
together are one real backtest (strategy ``replay_targets``): a fold's choice is made at the close
of its train window's last session, and the portfolio moves from the old winner's standing target
to the new one's at that decision (filled at that close with close fills, at the next open
otherwise), exactly when the chosen variant itself held it; the trades are paid, and a buy the
broker refuses for cash is resized and resent the next session, as in every strategy.

Ranking reads the train window only: the variants' returns and the cash rate (per session) on
its sessions, nothing after (tests scramble every input after a date and compare to the bit).

Walk-forward efficiency (Pardo): the out-of-sample annualised return over the mean in-sample
annualised return of the chosen variants - reported only when that mean is clearly positive
(:data:`MIN_IN_SAMPLE_CAGR`); otherwise the ratio means nothing (a losing run showed 107.9) and
is null, with a sentence saying why. Test windows shorter than ``MIN_SESSIONS_ANNUALISED`` (63)
sessions carry no annualised figures and are flagged ``short``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.errors import UserError, did_you_mean
from engine.cash_rate import run_cash_returns
from engine.metrics import (
    ANNUALISED,
    MIN_SESSIONS_ANNUALISED,
    RETURN_METRICS,
    rank,
    returns_metrics,
)
from engine.results import BacktestResult

SESSIONS_PER_YEAR = 252
#: Walk-forward efficiency only when the chosen variants' mean in-sample CAGR is at least this:
#: a ratio over a mean near zero (or below it) says nothing about out-of-sample decay.
MIN_IN_SAMPLE_CAGR = 0.01


def parse_window(text: str, option: str) -> int:
    """A window as sessions: ``3y`` / ``1.5y`` (years of 252 sessions), ``6m`` (months of 21), or
    a plain number of sessions; a UserError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([ymsYMS]?)\s*", str(text))
    if not m:
        raise UserError(
            f"{option} '{text}' is not a window",
            f"e.g. {option} 3y, {option} 6m or {option} 756 (sessions)",
        )
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
    """One fold: windows (ISO dates), the chosen variant, its parameters and metric in and out of
    sample; ``short``: the test window has fewer than 63 sessions, so no annualised figure."""

    train_start: str
    train_end: str
    test_start: str
    test_end: str
    chosen: str
    params: dict
    in_sample: float | None = None
    out_of_sample: float | None = None
    in_sample_cagr: float | None = None
    test_sessions: int = 0
    short: bool = False


def make_folds(
    sessions: pd.DatetimeIndex, train: int, test: int, anchored: bool = False
) -> list[tuple[int, int, int, int]]:
    """(train first, train last, test first, test last) positions in ``sessions``; test windows tile
    everything after the first train window (the last one may be shorter)."""
    if len(sessions) < train + test:
        raise UserError(
            f"{len(sessions)} common sessions are fewer than the train window ({train}) plus the "
            f"test window ({test})",
            "shorten --train or --test, or widen the period",
        )
    folds = []
    start = train
    while start < len(sessions):
        end = min(start + test, len(sessions)) - 1
        folds.append((0 if anchored else start - train, start - 1, start, end))
        start = end + 1
    return folds


def window_metrics(returns: np.ndarray, cash: np.ndarray) -> dict[str, float | None]:
    """:data:`RETURN_METRICS` of daily ``returns`` against the daily ``cash`` returns of the same
    sessions (their own window, nothing else)."""
    return returns_metrics(returns, np.asarray(cash, dtype=float))


def choose(returns: pd.DataFrame, first: int, last: int, select: str,
           cash: dict[str, np.ndarray]) -> tuple[str, float | None]:
    """The column of ``returns`` ranked best by ``select`` on rows ``first..last`` (inclusive), and
    its value. Only those rows are read, of the returns and of ``cash`` (per column, daily cash
    returns on the rows of ``returns``; a column without one earns nothing)."""
    window = returns.iloc[first:last + 1]
    none = np.zeros(len(returns))
    metrics = {c: window_metrics(window[c].to_numpy(), cash.get(c, none)[first:last + 1])
               for c in returns.columns}
    best = rank(list(returns.columns), select, lambda c: metrics[c])[0]
    return best, metrics[best][select]


def replay_schedule(decisions: dict[str, pd.DataFrame], sessions: pd.DatetimeIndex,
                    folds: list[tuple[int, int, int, int]], chosen: list[str],
                    labels: dict[str, str]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Target weights by session for the out-of-sample path: at the close of each train window's
    last session (where the fold's choice is made) the chosen variant's standing target - its
    latest decision on or before that session - then each of its decisions up to the test
    window's end (the next fold's choice replaces its decision on that last session)."""
    targets: dict[str, dict[str, float]] = {}
    why: dict[str, str] = {}
    for (_, b, _, t1), vid in zip(folds, chosen, strict=True):
        d = decisions[vid]
        start, end = sessions[b].date().isoformat(), sessions[t1].date().isoformat()
        standing = d[d["date"] <= start]
        if len(standing):
            targets[start] = json.loads(standing["weights"].iloc[-1])
            why[start] = f"fold start: {labels[vid]} holds {standing['targets'].iloc[-1]}"
        inside = d[(d["date"] > start) & (d["date"] <= end)]
        for day, weights, shown in zip(
            inside["date"], inside["weights"], inside["targets"], strict=True
        ):
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
    cash: pd.Series  # daily cash returns on ``sessions`` (the first variant's cash rate)

    @property
    def replay_start(self) -> str:
        """The out-of-sample run's first session: the first fold's choice is made at its close."""
        return self.folds[0].train_end

    def folds_dict(self) -> list[dict]:
        return [asdict(f) for f in self.folds]


def plan_walk_forward(run_dirs: list, train: int, test: int, select: str = "sharpe",
                      anchored: bool = False) -> WalkForwardPlan:
    """Folds and choices from the variants' saved runs (their folder names are the ids)."""
    check_select(select)
    runs = [BacktestResult.load(d) for d in run_dirs]
    returns = pd.concat({r.run_id: r.returns["strategy"] for r in runs}, axis=1, join="inner")
    sessions = pd.DatetimeIndex(returns.index)
    folds_at = make_folds(sessions, train, test, anchored)
    cash = {r.run_id: run_cash(r, sessions) for r in runs}
    by_id = {r.run_id: r for r in runs}
    labels = {vid: _label(r) for vid, r in by_id.items()}
    folds, chosen = [], []
    for a, b, c, d in folds_at:
        best, value = choose(returns, a, b, select, cash)
        chosen.append(best)
        in_sample = window_metrics(returns[best].iloc[a:b + 1].to_numpy(), cash[best][a:b + 1])
        folds.append(
            Fold(
                train_start=str(sessions[a].date()),
                train_end=str(sessions[b].date()),
                test_start=str(sessions[c].date()),
                test_end=str(sessions[d].date()),
                chosen=best,
                params=by_id[best].config.param_values(),
                in_sample=value,
                in_sample_cagr=in_sample["cagr"],
                test_sessions=d - c + 1,
                short=d - c + 1 < MIN_SESSIONS_ANNUALISED,
            )
        )
    targets, why = replay_schedule(
        {vid: r.decisions for vid, r in by_id.items()}, sessions, folds_at, chosen, labels
    )
    tolerances = {r.config.params.tolerance for r in runs}
    return WalkForwardPlan(
        folds,
        targets,
        why,
        sessions,
        returns,
        runs[0].returns["benchmark"].reindex(sessions),
        select,
        tolerances.pop() if len(tolerances) == 1 else 0.0,
        pd.Series(cash[runs[0].run_id], index=sessions),
    )


def run_cash(run: BacktestResult, sessions: pd.DatetimeIndex) -> np.ndarray:
    """Daily cash returns a saved run's figures use (``engine.cash_rate``: the 3-month T-bill known
    at each session, or its constant ``--risk-free``), on ``sessions``."""
    return run_cash_returns(run.metrics, sessions).to_numpy()


def _label(run: BacktestResult) -> str:
    values = run.config.param_values()
    return f"{run.run_id} ({run.config.strategy} " + ", ".join(
        f"{k}={v}" for k, v in values.items() if k not in ("cash_asset", "tolerance")) + ")"


def _annualised_or_none(metrics: dict, sessions: int) -> dict:
    """``metrics`` with the annualised figures emptied below 63 sessions."""
    if sessions >= MIN_SESSIONS_ANNUALISED:
        return metrics
    return {k: (None if k in ANNUALISED else v) for k, v in metrics.items()}


def efficiency(oos_cagr: float | None, mean_is: float | None) -> tuple[float | None, str]:
    """Walk-forward efficiency (Pardo) and a sentence; null unless the mean in-sample CAGR is at
    least :data:`MIN_IN_SAMPLE_CAGR` and the out-of-sample CAGR exists."""
    if mean_is is None or oos_cagr is None:
        return (
            None,
            "walk-forward efficiency not reported: no annualised return in or out of sample",
        )
    if mean_is < MIN_IN_SAMPLE_CAGR:
        return None, (
            "walk-forward efficiency not reported: the chosen variants' mean in-sample CAGR "
            f"({mean_is:.2%}) is not clearly positive (below {MIN_IN_SAMPLE_CAGR:.0%}), so a ratio "
            "to it means nothing"
        )
    value = oos_cagr / mean_is
    return value, (
        f"walk-forward efficiency {value:.2f}: out-of-sample CAGR {oos_cagr:.2%} over the chosen "
        f"variants' mean in-sample CAGR {mean_is:.2%}"
    )


def score_folds(
    plan: WalkForwardPlan, oos_returns: pd.Series, cash: pd.Series | None = None
) -> dict:
    """Fill each fold's out-of-sample metric from the replayed run's returns over the test
    windows (sessions before the first test window are ignored); the summary numbers, each
    against the daily ``cash`` returns of its own sessions (default: the plan's)."""
    cash = plan.cash if cash is None else cash
    oos_returns = oos_returns.loc[plan.folds[0].test_start:]

    def measured(r: pd.Series) -> dict:
        return _annualised_or_none(
            window_metrics(r.to_numpy(), cash.reindex(r.index).to_numpy()), len(r)
        )

    for f in plan.folds:
        f.out_of_sample = measured(oos_returns.loc[f.test_start:f.test_end])[plan.select]
    span = oos_returns.index
    oos = measured(oos_returns)
    is_cagr = [f.in_sample_cagr for f in plan.folds if f.in_sample_cagr is not None]
    hindsight = plan.returns.loc[span[0]:span[-1]]
    metrics = {c: measured(hindsight[c]) for c in hindsight.columns}
    best = rank(list(hindsight.columns), plan.select, lambda c: metrics[c])[0]
    bench = measured(plan.benchmark.loc[span[0]:span[-1]])
    mean_is = float(np.mean(is_cagr)) if is_cagr else None
    eff, words = efficiency(oos["cagr"], mean_is)
    short = [i + 1 for i, f in enumerate(plan.folds) if f.short]
    return {
        "oos": oos,
        "mean_in_sample_cagr": mean_is,
        "efficiency": eff,
        "efficiency_words": words,
        "short_folds": short,
        "best_in_hindsight": {"id": best, **metrics[best]},
        "benchmark": bench,
        "switches": int(
            sum(a.chosen != b.chosen for a, b in zip(plan.folds, plan.folds[1:], strict=False))
        ),
    }
