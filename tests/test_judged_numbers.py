"""Known-truth checks of figures users judge a strategy by, each written to kill a planted mutant
of ``tests/mutants.py`` that no other test caught: recomputed from scratch or from a case whose
answer is known by construction."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from engine.metrics import returns_metrics
from reports.compare import _holdings_share
from reports.tearsheet import monthly_table
from research.bootstrap import excess_cagr_intervals
from research.luck import LuckSettings, luck_statistics
from research.nulls import information_ratios
from research.trials import Clusters
from research.verdict import NullSettings, _ratio_variance, reference_nulls
from research.walkforward import choose
from strategies.schedule import PERIOD_SESSIONS, tranche_offsets


def test_excess_over_the_twin_is_measured_against_the_twin():
    """A variant that beats its own twin by 1 bp every session: every resampled excess CAGR is
    positive, so the whole interval is above 0 (against itself it would be [0, 0])."""
    rng = np.random.default_rng(5)
    twin = rng.normal(0.0003, 0.01, (500, 2))
    low, high = excess_cagr_intervals(twin + 0.0001, twin, reps=200, seed=1, block=5.0).T
    assert (low > 0).all() and (high > low).all()


def test_the_dsr_against_the_benchmark_is_of_the_excess_over_it():
    """Candidates that are the benchmark plus noise without drift, in a market that rises fast:
    far from certain to beat the benchmark (against 0 they would look certain to)."""
    rng = np.random.default_rng(11)
    bench = rng.normal(0.002, 0.01, 1500)
    r = bench[:, None] + rng.normal(0.0, 0.002, (1500, 3))
    cash = np.zeros_like(r)
    out = reference_nulls(
        r, cash, bench, None, NullSettings(block=5.0, reps=50, test_reps=50, size=0.9, seed=1)
    )
    assert max(out["dsr_vs_benchmark"]) < 0.99
    assert min(out["dsr_absolute"]) > 0.99


def test_the_trials_ratio_variance_is_the_sample_variance():
    """Two clusters of one member each: the sample variance of two ratios is half their squared
    gap."""
    rng = np.random.default_rng(2)
    active = rng.normal([0.001, -0.0005], 0.01, (400, 2))
    ir = [x.mean() / x.std(ddof=1) for x in active.T]
    got = _ratio_variance(active, Clusters(np.array([0, 1]), 2))
    assert got == pytest.approx((ir[0] - ir[1]) ** 2 / 2)
    assert information_ratios(active) == pytest.approx(ir)


def test_a_loss_on_the_first_session_is_a_drawdown():
    assert returns_metrics(np.array([-0.10, 0.05, 0.0]), np.zeros(3))[
        "max_drawdown"
    ] == pytest.approx(-0.10)


@pytest.mark.parametrize("schedule", ["weekly", "monthly", "quarterly"])
def test_tranches_are_spread_over_the_whole_period(schedule):
    n = 4
    offsets = tranche_offsets(schedule, 0, n)
    gaps = np.diff(offsets)
    assert offsets[0] == 0 and len(set(offsets)) == n
    assert (gaps >= PERIOD_SESSIONS[schedule] // n).all() and (
        gaps <= -(-PERIOD_SESSIONS[schedule] // n)
    ).all()


def test_the_monthly_tables_year_is_compounded():
    """Two sessions of +10% in a year: the year made 21.00%, not 20.00%."""
    returns = pd.Series([0.10, 0.10], index=pd.to_datetime(["2021-03-01", "2021-07-01"]))
    table, years = monthly_table(returns)
    assert years == [2021] and table[2021][-1]["text"] == "21.00"


def test_the_comparisons_holdings_share_counts_sessions_without_the_symbol():
    """Held at 100% of equity on 1 of 4 sessions: a 25% average share, not 100%."""
    days = pd.bdate_range("2021-01-04", periods=4)
    run = SimpleNamespace(
        equity=pd.DataFrame({"equity": [100.0] * 4, "cash": [100.0, 0, 100, 100]}, index=days),
        positions=pd.DataFrame({"date": ["2021-01-05"], "symbol": ["IWM"], "value": [100.0]}),
    )
    assert _holdings_share(run).to_dict() == pytest.approx({"IWM": 0.25})


def test_the_psr_against_the_benchmark_uses_the_benchmarks_sharpe():
    """Variants that are the benchmark plus driftless noise in a fast-rising market: their Sharpe
    ratio is about the benchmark's, so the PSR against it is far from 1 (against 0 it is ~1)."""
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2018-01-01", periods=600)
    bench = pd.Series(rng.normal(0.002, 0.01, 600), index=days)
    returns = pd.DataFrame(
        {f"v{j}": bench.to_numpy() + rng.normal(0.0, 0.002, 600) for j in range(3)}, index=days
    )
    report = luck_statistics(returns, bench, settings=LuckSettings(blocks=4, reps=50, test_reps=50))
    for v in report.variants.values():
        assert v["psr"] > 0.99 and v["psr_benchmark"] < 0.99


@pytest.mark.parametrize("select", ["sharpe", "cagr", "max_drawdown"])
def test_a_walk_forward_fold_chooses_its_in_sample_best(select):
    """Two variants, one gaining 0.1% a session more with the same noise: it is chosen by every
    criterion, and only the rows asked for are read."""
    rng = np.random.default_rng(8)
    noise = rng.normal(0.0, 0.01, 300)
    frame = pd.DataFrame({"worse": noise, "better": noise + 0.001})
    best, value = choose(frame, 0, 199, select, {})
    assert best == "better" and value == pytest.approx(
        returns_metrics(frame["better"][:200].to_numpy(), np.zeros(200))[select]
    )
