"""Overfitting statistics where the truth is known: the papers' worked examples, hand-checkable
PBO cases, a sweep over a market of pure random walks (luck only) and one with a planted edge."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import write_csv
from scipy import stats

from core.calendar import nyse_sessions
from research.bootstrap import bootstrap_intervals
from research.pbo import probability_of_backtest_overfitting
from research.sharpe import deflated_sharpe, expected_max_sharpe, probabilistic_sharpe


# ----- PSR and DSR: the papers' numbers -----------------------------------------------------------
def test_deflated_sharpe_matches_the_papers_worked_example():
    """Bailey & Lopez de Prado (2014), numerical example: annualised SR 2.5 over 1,250 daily
    returns (250 a year), skew -3, kurtosis 10, 100 trials whose annualised Sharpe ratios have
    variance 0.5: E[max SR] = 0.1132 per day and DSR = 0.9004."""
    sr, var = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(var, 100) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe(sr, 1250, -3.0, 10.0, var, 100) == pytest.approx(0.9004, abs=5e-5)


def test_psr_reduces_to_the_normal_case_and_punishes_fat_left_tails():
    """Bailey & Lopez de Prado (2012): with skew 0 and kurtosis 3 the PSR is
    Phi((SR - SR*) sqrt(n - 1) / sqrt(1 + SR^2 / 2)); negative skew and fat tails lower it."""
    sr, n = 0.1, 500
    normal = stats.norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 + sr**2 / 2))
    assert probabilistic_sharpe(sr, 0.0, n) == pytest.approx(normal, rel=1e-12)
    assert probabilistic_sharpe(sr, 0.0, n, skew=-2.0, kurtosis=9.0) < normal
    assert probabilistic_sharpe(sr, sr, n) == pytest.approx(0.5)


# ----- PBO: cases computed by hand ----------------------------------------------------------------
def _pbo_by_loops(m: np.ndarray, blocks: int) -> float:
    """A literal CSCV: every split, Sharpe by np.std, winner's rank by scipy's rankdata."""
    size = len(m) // blocks
    parts = [m[i * size:(i + 1) * size] for i in range(blocks)]
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        train = np.vstack([parts[i] for i in chosen])
        test = np.vstack([parts[i] for i in range(blocks) if i not in chosen])
        sharpe = lambda x: x.mean(axis=0) / x.std(axis=0, ddof=1)  # noqa: E731
        best = int(np.argmax(sharpe(train)))
        rank = stats.rankdata(sharpe(test))[best]
        w = rank / (m.shape[1] + 1)
        logits.append(math.log(w / (1 - w)))
    return float(np.mean(np.array(logits) <= 0))


def test_pbo_is_1_when_the_in_sample_winner_always_loses_out_of_sample():
    """A and B = -A, A summing to exactly zero: whichever wins in sample has the negative sum out
    of sample, so it ranks last in every split: every logit is ln(1/3 / 2/3) and PBO = 1."""
    a = np.array([0.03, -0.01, 0.02, 0.01, -0.04, 0.02, -0.02, -0.01])
    m = np.column_stack([a, -a])
    r = probability_of_backtest_overfitting(m, blocks=4)
    assert r.splits == 6 and r.pbo == 1.0
    assert np.allclose(r.logits, math.log(0.5))


def test_pbo_is_0_when_one_variant_is_better_in_every_block():
    """B = A + 1%: B is the best in and out of sample in every split (logit ln 2), PBO = 0."""
    a = np.random.default_rng(3).normal(0, 0.01, 40)
    r = probability_of_backtest_overfitting(np.column_stack([a, a + 0.01]), blocks=4)
    assert r.pbo == 0.0 and np.allclose(r.logits, math.log(2.0))


@pytest.mark.parametrize("blocks", [4, 6, 8])
def test_vectorised_pbo_equals_the_literal_loops(blocks):
    m = np.random.default_rng(blocks).normal(0.0002, 0.01, (96, 7))
    assert probability_of_backtest_overfitting(m, blocks).pbo == pytest.approx(
        _pbo_by_loops(m, blocks)
    )


def test_bootstrap_intervals_equal_a_direct_computation_on_arch_draws():
    """The fast path (session counts x features) against statistics computed on each resample."""
    from arch.bootstrap import StationaryBootstrap

    rng = np.random.default_rng(5)
    r, b = rng.normal(0.0005, 0.01, (300, 3)), rng.normal(0.0003, 0.01, 300)
    fast = bootstrap_intervals(r, b, 0.02, reps=200, seed=11, block=4.0)
    rf = 1.02 ** (1 / 252) - 1
    draws = []
    for (x, _y), _ in StationaryBootstrap(4.0, r, b, seed=np.random.default_rng(11)).bootstrap(200):
        excess = x - rf
        draws.append(np.concatenate([np.prod(1 + x, axis=0) ** (252 / 300) - 1,
                                     excess.mean(0) / excess.std(0, ddof=1) * math.sqrt(252)]))
    low, high = np.quantile(np.array(draws), [0.05, 0.95], axis=0)
    assert np.allclose(fast.cagr[:, 0], low[:3]) and np.allclose(fast.cagr[:, 1], high[:3])
    assert np.allclose(fast.sharpe[:, 0], low[3:]) and np.allclose(fast.sharpe[:, 1], high[3:])


# ----- whole sweeps on synthetic markets ----------------------------------------------------------
def _write_market(folder: Path, closes: dict[str, np.ndarray]) -> str:
    days = nyse_sessions("2010-01-04", "2030-12-31")[: len(next(iter(closes.values())))]
    for name, c in closes.items():
        rows = [
            f"{d.date()},{v:.6f},{v:.6f},{v:.6f},{v:.6f},{v:.6f},1000"
            for d, v in zip(days, c, strict=True)
        ]
        write_csv(
            folder / f"{name}.csv", "date,open,high,low,close,adj_close,volume\n" + "\n".join(rows)
        )
    return f"csv:{folder}"


def _sweep(
    cli,
    tmp_path,
    source: str,
    executor: str = "serial",
    assets: tuple[str, ...] = ("IWM", "SPY"),
    top_n: tuple[int, ...] = (1,),
) -> dict:
    exp = tmp_path / f"exp-{executor}.toml"
    exp.write_text(
        f'name = "synthetic"\n[defaults]\nrisk_free = 0.0\nbenchmark = "SPY"\n'
        f'broker = {{ fill = "close", fractional = true }}\ndata = {{ source = "{source}" }}\n'
        '[[variants]]\nstrategy = "relative_momentum"\n'
        f"params = {{ assets = {json.dumps(list(assets))}, "
        'rebalance = "daily", tolerance = 0.0 }\n'
        f'grid = {{ lookback = [5, 10, 21, 42, 63, 126], top_n = {json.dumps(list(top_n))} }}\n'
    )
    out = tmp_path / f"sweep-{executor}"
    r = cli(
        "sweep",
        str(exp),
        "--executor",
        executor,
        "--workers",
        "2",
        "--out",
        str(out),
        "--no-report",
        "--json",
    )
    assert r.code == 0, r.stderr
    return json.loads((out / "stats.json").read_text())


def test_under_no_skill_pbo_is_high_and_dsr_is_calibrated():
    """Many markets of pure noise (20 variants x 1,000 sessions, no skill anywhere): PBO averages
    above one half, and the best variant's DSR clears 0.95 about as rarely as a 5% test should."""
    pbos, dsr_hits = [], 0
    for seed in range(40):
        m = np.random.default_rng(seed).normal(0, 0.01, (1000, 20))
        pbos.append(probability_of_backtest_overfitting(m, 8).pbo)
        sr = m.mean(0) / m.std(0, ddof=1)
        j = int(np.argmax(sr))
        moments = stats.skew(m[:, j]), stats.kurtosis(m[:, j], fisher=False)
        dsr_hits += deflated_sharpe(sr[j], 1000, *moments, float(np.var(sr, ddof=1)), 20) >= 0.95
    assert np.mean(pbos) > 0.5
    assert dsr_hits <= 6  # 40 markets at a nominal 5%: 2 expected, 6 would be p < 0.05


def test_a_market_of_random_walks_shows_luck(cli, tmp_path):
    """Four independent zero-drift random walks and 18 momentum variants (six lookbacks x top 1-3):
    no rule has skill, so the in-sample winner is luck: PBO above one half and the best deflated
    Sharpe well below 0.95. (Seeds 1-6 gave PBO 0.34-0.63, median 0.58, best DSR 0.55-0.93:
    one market can mislead, which is the point of reporting these numbers.)"""
    rng = np.random.default_rng(1)
    n = 1500
    assets = ("IWM", "SPY", "QQQ", "MDY")
    closes = {s: 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))) for s in assets}
    luck = _sweep(
        cli, tmp_path, _write_market(tmp_path / "walks", closes), "process", assets, (1, 2, 3)
    )
    best = luck["variants"][luck["best"]]
    assert luck["n_trials"] == 18
    assert luck["pbo"] > 0.5, luck["pbo"]
    assert best["dsr"] < 0.8, best["dsr"]
    assert luck["spa_pvalue"] > 0.1


def test_a_planted_edge_is_found_and_trusted(cli, tmp_path):
    """Leadership that persists for about 80 sessions, then flips: short-lookback momentum has
    real skill. PBO is low and the best deflated Sharpe is above 0.95."""
    rng = np.random.default_rng(7)
    n = 1500
    regime = np.repeat(rng.choice([-1.0, 1.0], size=n // 80 + 1), 80)[:n]
    iwm = 100 * np.exp(np.cumsum(0.004 * regime + rng.normal(0, 0.01, n)))
    spy = 100 * np.exp(np.cumsum(-0.004 * regime + rng.normal(0, 0.01, n)))
    luck = _sweep(cli, tmp_path, _write_market(tmp_path / "edge", {"IWM": iwm, "SPY": spy}))
    best = luck["variants"][luck["best"]]
    assert luck["pbo"] <= 0.1, luck["pbo"]
    assert best["dsr"] > 0.95, best["dsr"]
    assert best["sharpe_ci"][0] > 0
    assert luck["best"] in luck["mcs"]


def test_statistics_are_identical_from_serial_and_process_sweeps_and_reruns(cli, tmp_path):
    rng = np.random.default_rng(1)
    closes = {s: 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, 400))) for s in ("IWM", "SPY")}
    source = _write_market(tmp_path / "m", closes)
    serial = _sweep(cli, tmp_path, source, "serial")
    process = _sweep(cli, tmp_path, source, "process")
    assert serial == process
    from research.luck import luck_from_runs

    again = luck_from_runs(sorted((tmp_path / "sweep-serial" / "variants").iterdir())).to_dict()
    assert json.loads(json.dumps(again, default=float)) == serial


# ----- MCS with identical variants ----------------------------------------------------------------
def test_mcs_treats_identical_variants_as_one_model():
    """A large grid holds copies (a filter that never triggers): arch's MCS raises on their zero
    variance. Copies must share their representative's membership, and the set of the distinct
    columns must be what it is without the copies. Planted truth: 'edge' has a clearly higher mean;
    'flat' and 'worse' are below it; 'edge copy' duplicates 'edge', 'flat copy' duplicates
    'flat'."""
    from research.superiority import model_confidence_set

    rng = np.random.default_rng(7)
    n = 1500
    edge = rng.normal(0.002, 0.01, n)
    flat = rng.normal(0.0, 0.01, n)
    worse = rng.normal(-0.001, 0.01, n)
    distinct = model_confidence_set(
        np.column_stack([edge, flat, worse]), ["edge", "flat", "worse"], 5.0
    )
    assert distinct == ["edge"]
    copies = model_confidence_set(np.column_stack([edge, flat, worse, edge, flat]),
                                  ["edge", "flat", "worse", "edge copy", "flat copy"], 5.0)
    assert copies == ["edge", "edge copy"]
    same = model_confidence_set(np.column_stack([flat, flat]), ["a", "b"], 5.0)
    assert same == ["a", "b"]


def test_quick_spa_equals_arch_spa():
    """The FFT variances equal arch's lag-by-lag sums, and so do the p-values: a planted edge
    (one variant with a higher mean) and pure luck (none)."""
    from arch.bootstrap import SPA

    from research.superiority import QuickSPA

    rng = np.random.default_rng(11)
    n, k = 800, 12
    bench = rng.normal(0.0003, 0.01, n)
    luck = rng.normal(0.0003, 0.01, (n, k)) + 0.3 * bench[:, None]
    edge = luck.copy()
    edge[:, 3] += 0.0015
    for returns in (luck, edge):
        args = dict(block_size=6, reps=300, bootstrap="stationary")
        ours = QuickSPA(-bench, -returns, seed=np.random.default_rng(5), **args)
        theirs = SPA(-bench, -returns, seed=np.random.default_rng(5), **args)
        ours.compute()
        theirs.compute()
        np.testing.assert_allclose(ours._loss_diff_var, theirs._loss_diff_var, rtol=1e-10)
        np.testing.assert_allclose(ours._simulated_vals, theirs._simulated_vals, rtol=0, atol=1e-15)
        assert dict(ours.pvalues) == pytest.approx(dict(theirs.pvalues), abs=1e-12)
    assert theirs.pvalues["consistent"] < 0.05  # the planted edge is found


def test_luck_of_runs_never_saved_is_a_one_line_error():
    """Luck statistics name variants by their run folders: a run held only in memory has none,
    and saying so beats an AttributeError on ``None.name``."""
    from core.errors import UserError
    from engine.config import RunConfig
    from engine.runner import run_backtest
    from research.luck import luck_from_results

    window = {"start": "2019-01-02", "end": "2019-12-31"}
    runs = [run_backtest(RunConfig(strategy="relative_momentum", params={"lookback": n}, **window),
                         twin=False) for n in (21, 63)]
    with pytest.raises(UserError, match="never saved"):
        luck_from_results(runs)


def test_quick_mcs_equals_arch_mcs(monkeypatch):
    """The T_max MCS from session counts gives arch's p-values and set: 150 variants whose mean
    returns rise steadily (the best are told apart from the worst, not from each other)."""
    import pandas as pd
    from arch.bootstrap import MCS

    from research import superiority
    from research.superiority import QuickMCS

    monkeypatch.setattr(superiority, "FULL_PVALUES_LIMIT", 1000)  # every model's p-value

    rng = np.random.default_rng(3)
    n, k = 1500, 150
    returns = rng.normal(0.0003, 0.01, (n, k)) + np.linspace(-0.002, 0.002, k)
    losses = pd.DataFrame(-returns, columns=[f"m{i}" for i in range(k)])
    args = dict(size=0.1, reps=200, block_size=5, method="max", bootstrap="stationary")
    ours = QuickMCS(losses, seed=np.random.default_rng(9), **args)
    theirs = MCS(losses, seed=np.random.default_rng(9), **args)
    ours.compute()
    theirs.compute()
    assert sorted(ours.included) == sorted(theirs.included)
    assert 5 < len(ours.included) < k and "m149" in ours.included and "m0" not in ours.included
    pd.testing.assert_frame_equal(ours.pvalues.sort_index(), theirs.pvalues.sort_index(),
                                  rtol=0, atol=1e-12)
