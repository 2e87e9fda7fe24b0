"""Known truths for the answer to "does the rotation beat not rotating, after costs and the
search?": simulated markets without rotation skill and with a planted edge, clone grids, a
paired Sharpe test checked against a direct bootstrap, and buy-and-hold QQQ against its own twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.nulls import sharpe_difference_pvalue, sharpe_difference_pvalues
from research.trials import exclusions
from research.verdict import NullSettings, answer

N = 2520  # ten years of sessions
LOOKBACKS = (5, 10, 21, 63, 126, 252)
SETTINGS = NullSettings(block=5.0, reps=200, test_reps=300, size=0.90, seed=7)


def _market(seed: int, drift: float = 0.0003, vol: float = 0.012) -> np.ndarray:
    """Three correlated assets with the same drift (an equity premium, nothing to rotate for)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, vol * 0.8, N)
    return drift + common[:, None] + rng.normal(0.0, vol * 0.6, (N, 3))


def _momentum_grid(assets: np.ndarray) -> dict[str, np.ndarray]:
    """Long-only rules: hold the best (top 1) or best two (top 2) by trailing return, decided on
    yesterday's close."""
    trailing = pd.DataFrame(np.log1p(assets))
    out = {}
    for lookback in LOOKBACKS:
        score = trailing.rolling(lookback).sum().shift(1).fillna(0.0).to_numpy()
        order = np.argsort(-score, axis=1, kind="stable")
        rows = np.arange(len(assets))
        out[f"top1-{lookback}"] = assets[rows, order[:, 0]]
        out[f"top2-{lookback}"] = (assets[rows, order[:, 0]] + assets[rows, order[:, 1]]) / 2
    return out


def _answer(variants: dict[str, np.ndarray], benchmark: np.ndarray, twin: np.ndarray, meta=None):
    ids = sorted(variants)
    r = np.column_stack([variants[i] for i in ids])
    cash = np.zeros_like(r)
    twins = np.repeat(twin[:, None], len(ids), axis=1)
    sharpe = r.mean(axis=0) / r.std(axis=0, ddof=1)
    return answer(
        r,
        cash,
        benchmark,
        twins,
        ids,
        exclusions(r, ids, meta),
        sharpe,
        SETTINGS,
        "SPY",
        "A/B/C equally",
    )


@pytest.mark.slow
def test_no_rotation_skill_is_not_called_skill():
    """20 markets where every asset has the same positive drift: the best long-only rule's DSR
    against the benchmark and the twin stays below 0.95 in at least 18, and the SPA against the
    twins rejects at 5% in at most 2."""
    dsr_b, dsr_t, spa_t = [], [], []
    for seed in range(20):
        assets = _market(seed)
        a = _answer(_momentum_grid(assets), assets[:, 0], assets.mean(axis=1))
        dsr_b.append(a.per_variant[a.best]["dsr_vs_benchmark"])
        dsr_t.append(a.per_variant[a.best]["dsr_vs_twin"])
        spa_t.append(a.spa_pvalue_twin)
    assert sum(d < 0.95 for d in dsr_b) >= 18, dsr_b
    assert sum(d < 0.95 for d in dsr_t) >= 18, dsr_t
    assert sum(p < 0.05 for p in spa_t) <= 2, spa_t


def test_a_planted_rotation_edge_is_found():
    """Asset A drifts up while a visible regime signal is on and down while it is off; the rule
    that reads the signal is the best variant and beats the twin beyond luck."""
    rng = np.random.default_rng(11)
    assets = _market(3, drift=0.0002)
    regime = np.repeat(rng.random(N // 21 + 1) < 0.5, 21)[
        :N
    ]  # month-long regimes, known a day ahead
    assets[:, 0] += np.where(regime, 0.0015, -0.0010)
    variants = _momentum_grid(assets)
    variants["regime-rule"] = np.where(regime, assets[:, 0], assets[:, 1])
    a = _answer(variants, assets[:, 1], assets.mean(axis=1))
    assert a.best == "regime-rule"
    assert a.per_variant["regime-rule"]["dsr_vs_twin"] >= 0.95 and a.spa_pvalue_twin <= 0.05
    assert (
        "against not rotating (holding A/B/C equally) it has an edge distinguishable from luck"
        in a.verdict
    )


def test_ten_clones_are_one_trial_each():
    """A grid of 3 distinct rules (each rotating between its own two assets) plus 10 clones of
    them (identical, or correlated above 0.999) counts 3 to 5 effective trials and gives the
    best the DSRs of the 3-rule grid. (The benchmark is a calm series here: excess returns over
    one volatile benchmark share its noise, which rightly makes distinct rules count less.)"""
    rng = np.random.default_rng(5)
    assets = rng.normal(0.0003, 0.012, (N, 7))
    assets[:, 0] = rng.normal(0.0002, 0.003, N)
    rules = {}
    for k, lookback in zip((1, 3, 5), (10, 63, 252), strict=True):
        pair = assets[:, k : k + 2]
        score = pd.DataFrame(np.log1p(pair)).rolling(lookback).sum().shift(1).fillna(0.0).to_numpy()
        rules[f"rule{k}"] = pair[np.arange(N), np.argmax(score, axis=1)]
    names = list(rules)
    clones = {
        f"x{i}": rules[names[i % 3]] + (rng.normal(0, 1e-5, N) if i % 2 else 0.0) for i in range(10)
    }
    twin = assets[:, 1:].mean(axis=1)
    three = _answer(rules, assets[:, 0], twin)
    thirteen = _answer({**rules, **clones}, assets[:, 0], twin)
    assert 3 <= thirteen.n_effective <= 5 and 3 <= three.n_effective <= 5
    assert sorted(thirteen.candidates) == names and all(
        "clone of rule" in thirteen.excluded[c] for c in clones
    )
    for key in ("dsr_vs_benchmark", "dsr_vs_twin"):
        assert thirteen.per_variant[thirteen.best][key] == pytest.approx(
            three.per_variant[three.best][key], abs=0.02
        )


def test_benchmarks_and_static_variants_are_reference_rows():
    assets = _market(1)
    grid = _momentum_grid(assets)
    variants = {
        "rule": grid["top1-21"],
        "spy": assets[:, 0],
        "static": assets[:, 1],
        "flat": np.zeros(N),
    }
    meta = {
        "rule": {"strategy": "relative_momentum", "trades": 90, "switches": 80},
        "spy": {
            "strategy": "buy_and_hold",
            "trades": 1,
            "switches": 1,
            "label": "buy_and_hold SPY",
        },
        "static": {"strategy": "breadth_streak", "trades": 1, "switches": 1},
        "flat": {"strategy": "x", "trades": 0},
    }
    a = _answer(variants, assets[:, 0], assets.mean(axis=1), meta)
    assert a.candidates == ["rule"]
    assert a.excluded["spy"].startswith("benchmark (buy_and_hold SPY)")
    assert a.excluded["static"].startswith("never rotated") and a.excluded["flat"].startswith(
        "never traded"
    )


def test_the_paired_sharpe_test_matches_a_direct_bootstrap():
    """Jobson-Korkie-Memmel's standard error of the Sharpe difference against the standard
    deviation of 4,000 bootstrap replications of it (i.i.d. normal returns, correlation 0.8),
    and its p-value against the bootstrap's (the share of centred replications above the
    measured difference)."""
    rng = np.random.default_rng(3)
    t = 1500
    cov = np.array([[1.0, 0.8], [0.8, 1.0]]) * 0.01**2
    x = rng.multivariate_normal([0.0009, 0.0004], cov, t)
    a, b = x[:, 0], x[:, 1]

    def diff(ia: np.ndarray) -> float:
        return a[ia].mean() / a[ia].std(ddof=1) - b[ia].mean() / b[ia].std(ddof=1)

    draws = np.array([diff(rng.integers(0, t, t)) for _ in range(4000)])
    observed = diff(np.arange(t))
    boot_p = float(np.mean(draws - draws.mean() >= observed))
    p = sharpe_difference_pvalue(a, b)
    assert p == pytest.approx(boot_p, abs=0.02)
    assert 0.001 < p < 0.5  # a real difference, not a degenerate one


def test_the_paired_test_of_every_column_equals_the_one_pair_formula(monkeypatch):
    """The column-wise paired Sharpe test gives the one-pair p-value of each column, worked in
    blocks (three columns a block here): correlated and uncorrelated pairs, a pair with a lower
    Sharpe ratio, and a constant column (NaN)."""
    from research import columns

    monkeypatch.setattr(columns, "COLUMN_CELLS", 3 * 400)
    rng = np.random.default_rng(11)
    a = rng.normal(0.0006, 0.01, (400, 8))
    b = 0.7 * a + rng.normal(0.0002, 0.007, (400, 8))
    b[:, 2] = rng.normal(0.0, 0.01, 400)
    b[:, 5] = a[:, 5] + 0.0008  # b better
    a[:, 6] = 0.0  # constant
    ours = sharpe_difference_pvalues(a, b)
    one = [sharpe_difference_pvalue(a[:, j], b[:, j]) for j in range(8)]
    np.testing.assert_allclose(ours, one, rtol=1e-9, atol=1e-12)
    assert np.isnan(ours[6]) and ours[5] > 0.9 and 0.0 < ours[0] < 0.5


def test_buy_and_hold_qqq_is_not_rotation_skill_against_its_twin(tmp_path):
    """QQQ beat SPY over 2010-2020, so against SPY it looks like an edge; against its own twin
    (QQQ) it adds exactly nothing, and among runs it is a reference row, never a candidate."""
    from engine.config import RunConfig
    from engine.results import BacktestResult
    from engine.runner import run_backtest
    from research.luck import luck_from_results

    window = {"start": "2010-01-04", "end": "2020-12-31"}
    runs = [
        BacktestResult.load(
            run_backtest(RunConfig(strategy=name, params=params, **window)).save(tmp_path)
        )
        for name, params in (
            ("buy_and_hold", {"symbol": "QQQ"}),
            ("relative_momentum", {"lookback": 63}),
            ("relative_momentum", {"lookback": 126}),
        )
    ]
    qqq = runs[0]
    assert qqq.metrics["excess_cagr"] > 0.05 and qqq.metrics["excess_cagr_twin"] == 0.0
    report = luck_from_results(runs).to_dict()
    assert report["excluded"][qqq.run_dir.name].startswith("benchmark (buy_and_hold QQQ)")
    assert report["n_candidates"] == 2 and report["best"] != qqq.run_dir.name
    assert report["variants"][qqq.run_dir.name]["dsr_vs_twin"] is None
    assert (
        report["risk_free"] == {"series": "DTB3", "lag": 1}
        and report["twin"]["weights"] is not None
    )


def test_the_vectorised_dsr_equals_the_one_series_formula():
    from research.nulls import deflated_ratio, deflated_ratios

    x = np.random.default_rng(2).standard_t(5, (1500, 6)) * 0.01 + np.linspace(-2e-4, 8e-4, 6)
    x[:, 5] = 0.0  # a constant column has no ratio
    for var, trials in ((0.0, 1), (2e-4, 4.4), (5e-4, 12)):
        many = deflated_ratios(x, var, trials)
        one = [deflated_ratio(x[:, j], var, trials) for j in range(6)]
        np.testing.assert_allclose(many[:5], one[:5], rtol=1e-10)
        assert np.isnan(many[5]) and np.isnan(one[5])


def test_the_verdict_says_when_the_runs_paid_no_costs():
    from research.verdict import verdict_sentence

    args = ("v1", "SPY", "IWM/SPY equally", 4, 3.2, (0.4, 0.5, 0.01), (0.97, 0.02, 0.02))
    assert verdict_sentence(*args).startswith(
        "Net of costs, with 4 candidates (3 effective trials)"
    )
    frictionless = verdict_sentence(*args, costs=False)
    assert frictionless.startswith("Before costs (the runs set none), with 4 candidates")
    assert (
        "against not rotating (holding IWM/SPY equally) it has an edge distinguishable"
        in frictionless
    )


def test_clones_are_those_of_comparing_every_pair():
    """Clones found by bytes and a kept column at a time are those of the plain rule: each
    column against every kept one before it, in order (identical first, then correlated above
    0.999), with the same reason. Planted: copies, near copies, flat columns, distinct ones."""
    from research.trials import CLONE_CORRELATION, collapse_clones, correlation

    rng = np.random.default_rng(4)
    base = rng.normal(0, 0.01, (N, 40))
    cols = []
    for _ in range(150):
        col = base[:, rng.integers(0, 40)].copy()
        u = rng.random()
        if u < 0.3:
            col = col + rng.normal(0, 0.0002, N)  # a near copy: correlation about 0.9998
        elif u < 0.4:
            col = np.zeros(N)  # flat: identical to other flat ones, correlated with none
        elif u < 0.55:
            col = rng.normal(0, 0.01, N)
        cols.append(col)
    r = np.column_stack(cols)
    ids = [f"v{j}" for j in range(r.shape[1])]
    corr, kept, why = correlation(r), [], {}
    for j in range(r.shape[1]):
        for i in kept:
            if np.array_equal(r[:, i], r[:, j]):
                why[ids[j]] = f"clone of {ids[i]} (identical daily returns): one trial"
                break
            if corr[i, j] > CLONE_CORRELATION:
                why[ids[j]] = (f"clone of {ids[i]} (correlation {corr[i, j]:.4f} > "
                               f"{CLONE_CORRELATION}): one trial")
                break
        else:
            kept.append(j)
    assert collapse_clones(r, ids) == (kept, why)
    reasons = " ".join(why.values())
    assert "identical" in reasons and "correlation" in reasons and len(kept) > 20
