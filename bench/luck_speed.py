"""Overfitting statistics: how long they take, and what they add to a sweep.

1. The statistics alone for 100 variants x 6,000 sessions (PBO with 16 blocks = 12,870 splits,
   PSR/DSR, 1,000 bootstrap draws for the intervals, SPA and MCS with 500 draws each), on a
   returns matrix built from the bundled data: each variant is IWM, SPY or QQQ's real daily
   total return, mixed with a variant-specific share of the others (so the variants are
   correlated like a real grid; each sits in cash on its own random 5% of sessions, so none is a
   clone and all 100 are candidates), each with its no-rotation twin (IWM/SPY/QQQ equally): the
   candidates, effective trials, DSRs and paired tests against the benchmark and the twins, the
   SPA against both and the intervals over the twins included. Goal: under 10 s on 2 cores.
2. A 16-variant sweep (process pool, 2 workers) timed without and with the statistics, side by
   side in one run. Goal: the statistics add at most 20%.

    .venv/bin/python bench/luck_speed.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.market import load_market_data
from engine.sweep import Experiment, VariantSpec, expand, run_sweep
from research.bootstrap import block_length, bootstrap_intervals
from research.luck import LuckSettings, luck_from_runs, luck_statistics
from research.pbo import probability_of_backtest_overfitting
from research.superiority import model_confidence_set, spa_pvalue
from research.verdict import NullSettings, reference_nulls


def real_returns_matrix(
    variants: int = 100, sessions: int = 6000
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """(variants' returns, SPY's, each variant's twin's: IWM/SPY/QQQ equally)."""
    md = load_market_data(["IWM", "SPY", "QQQ"])
    r = md.closes().pct_change().dropna().iloc[-sessions:]
    rng = np.random.default_rng(0)
    weights = rng.dirichlet([0.5, 0.5, 0.5], size=variants)  # each variant a different real mix
    ids = [f"v{i:03d}" for i in range(variants)]
    mixed = r.to_numpy() @ weights.T
    # each out of the market on its own 5% of sessions: distinct
    mixed[rng.random(mixed.shape) < 0.05] = 0.0
    frame = pd.DataFrame(mixed, index=r.index, columns=ids)
    twins = pd.DataFrame(
        np.repeat(r.mean(axis=1).to_numpy()[:, None], variants, axis=1), index=r.index, columns=ids
    )
    return frame, r["SPY"], twins


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"  {label:<34} {dt:7.2f} s")
    return out, dt


def statistics_alone() -> float:
    returns, bench, twins = real_returns_matrix()
    n, k = returns.shape
    print(
        f"statistics for {k} variants x {n} sessions ({returns.index[0].date()} .. "
        f"{returns.index[-1].date()}):"
    )
    r, b = returns.to_numpy(), bench.to_numpy()
    length, _ = timed("block length (Politis-White)", lambda: block_length(np.column_stack([r, b])))
    timed("PBO, 16 blocks (12,870 splits)", lambda: probability_of_backtest_overfitting(r, 16))
    timed("bootstrap intervals, 1,000 draws", lambda: bootstrap_intervals(r, b, 0.02, block=length))
    timed("SPA, 500 draws", lambda: spa_pvalue(r, b, length, 500))
    timed(
        "MCS at 10%, 500 draws",
        lambda: model_confidence_set(r, list(returns.columns), length, 0.1, 500),
    )
    cash = np.zeros_like(r)
    timed("vs benchmark and twins (verdict)", lambda: reference_nulls(
        r, cash, b, twins.to_numpy(), NullSettings(length, 1000, 500, 0.9, 1)))
    meta = {
        c: {
            "strategy": "relative_momentum",
            "trades": 100,
            "switches": 50,
            "twin_weights": {"IWM": 1 / 3, "SPY": 1 / 3, "QQQ": 1 / 3},
        }
        for c in returns.columns
    }
    report, total = timed(
        "all of it (luck_statistics)",
        lambda: luck_statistics(returns, bench, 0.02, "SPY", twins=twins, meta=meta),
    )
    print(
        f"  ({report.answer.n_effective:.1f} effective trials among "
        f"{len(report.answer.candidates)} candidates, "
        f"{len(report.answer.excluded)} clones collapsed)"
    )
    return total


def sweep_with_and_without() -> tuple[float, float]:
    grid = {"lookback": [21, 42, 63, 126, 189, 252, 378, 504], "top_n": [1, 2]}
    variants = expand(Experiment(name="bench", defaults={"start": "2005-01-03"},
                                 variants=[VariantSpec(strategy="relative_momentum", grid=grid)]))
    with tempfile.TemporaryDirectory() as tmp:
        # warm the imports
        run_sweep(variants[:2], Path(tmp) / "warm", executor="process", workers=2)
        t = time.perf_counter()
        result = run_sweep(variants, Path(tmp) / "s", executor="process", workers=2)
        sweep = time.perf_counter() - t
        t = time.perf_counter()
        luck_from_runs([result.out / "variants" / r["id"] for r in result.rows], LuckSettings())
        stats = time.perf_counter() - t
    print(f"16-variant sweep (process, 2 workers): {sweep:.2f} s; statistics {stats:.2f} s "
          f"(+{stats / sweep:.0%})")
    return sweep, stats


if __name__ == "__main__":
    total = statistics_alone()
    print(f"goal < 10 s: {'met' if total < 10 else 'NOT met'} ({total:.2f} s)\n")
    sweep, stats = sweep_with_and_without()
    print(f"goal <= +20%: {'met' if stats / sweep <= 0.2 else 'NOT met'}")
