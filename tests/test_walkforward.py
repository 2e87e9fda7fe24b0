"""Walk-forward analysis and rebalance-timing luck."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.config import RunConfig
from engine.results import is_complete_run
from engine.runner import run_backtest
from research.walkforward import choose, make_folds, parse_window
from strategies.schedule import period_end_mask, tranche_offsets

CLOSE = ["--executor", "serial"]


@pytest.mark.parametrize("n, train, test, anchored", [(100, 30, 20, False), (100, 30, 20, True), (101, 7, 13, False),
                                                       (50, 49, 5, False), (1000, 252, 63, True)])
def test_test_windows_tile_the_period_without_gap_or_overlap(n, train, test, anchored):
    sessions = nyse_sessions("2000-01-03", "2010-12-31")[:n]
    folds = make_folds(sessions, train, test, anchored)
    covered = np.concatenate([np.arange(c, d + 1) for _, _, c, d in folds])
    assert list(covered) == list(range(train, n))  # every session after the first train window, once
    for a, b, c, d in folds:
        assert b == c - 1 and (a == 0 if anchored else b - a + 1 == train) and d - c + 1 <= test


def test_window_parsing():
    assert parse_window("3y", "--train") == 756 and parse_window("6m", "--test") == 126
    assert parse_window("400", "--train") == 400 and parse_window("1.5y", "--train") == 378
    for bad in ("3 years", "abc", "2"):
        with pytest.raises(UserError):
            parse_window(bad, "--train")


def test_a_folds_choice_reads_only_its_train_window():
    """Scrambling every return after the train window leaves the choice unchanged."""
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0.0003, 0.01, (400, 5)), columns=list("abcde"))
    chosen, value = choose(returns, 50, 249, "sharpe", {})
    scrambled = returns.copy()
    scrambled.iloc[250:] = rng.normal(0.01, 0.05, (150, 5))
    assert choose(scrambled, 50, 249, "sharpe", {}) == (chosen, value)
    assert choose(returns, 250, 399, "sharpe", {})[0] != chosen or True  # a later window may differ


@pytest.fixture(scope="module")
def one_variant(tmp_path_factory):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("wf") / "one"
    r = run_cli("walkforward", "--strategy", "relative_momentum", "--grid", "lookback=63", "-p", "tolerance=0",
                "--start", "2012-01-03", "--end", "2016-12-30", "--train", "1y", "--test", "6m", *CLOSE,
                "--out", str(out), "--json")
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def test_walk_forward_json_and_an_ordinary_out_of_sample_run(one_variant):
    doc = one_variant
    assert set(doc) >= {"folds", "oos_run_dir", "efficiency"}
    for f in doc["folds"]:
        assert set(f) >= {"train_start", "train_end", "test_start", "test_end", "chosen"}
    oos = doc["oos_run_dir"]
    from pathlib import Path

    assert is_complete_run(Path(oos)) and (Path(oos) / "tearsheet.html").exists()
    assert Path(doc["page"]).exists()


def test_walk_forward_of_one_variant_equals_its_plain_run(tmp_path):
    """Close fills, fractional shares, no costs: the replayed out-of-sample path earns exactly
    what the variant itself earned over the test windows (after the first session, on whose close
    the out-of-sample run buys in)."""
    from cli.study_glue import walkforward_from_cli

    exp = tmp_path / "one.toml"
    exp.write_text('name = "one"\n[defaults]\nstart = 2012-01-03\nend = 2016-12-30\n'
                   'broker = { fill = "close", fractional = true }\n[[variants]]\nstrategy = "relative_momentum"\n'
                   'params = { tolerance = 0.0, lookback = 63 }\n')
    doc = walkforward_from_cli(str(exp), None, {}, {}, None, None, str(tmp_path / "wf"), "1y", "6m",
                               report=False, executor="serial")
    from engine.results import BacktestResult

    oos = BacktestResult.load(doc["oos_run_dir"]).returns["strategy"]
    variant = BacktestResult.load(tmp_path / "wf" / "variants" / doc["folds"][0]["chosen"]).returns["strategy"]
    assert len(doc["folds"]) >= 6
    assert np.allclose(oos.iloc[1:].to_numpy(), variant.loc[oos.index[1:]].to_numpy(), rtol=0, atol=1e-9)


def test_walk_forward_switches_variants_and_pays_at_the_boundary(tmp_path):
    from cli.study_glue import walkforward_from_cli
    from engine.results import BacktestResult

    doc = walkforward_from_cli(None, "relative_momentum", {"lookback": ["21", "252"]}, {}, "2006-01-03",
                               "2016-12-30", str(tmp_path / "wf"), "2y", "1y", report=False, executor="serial")
    chosen = [f["chosen"] for f in doc["folds"]]
    assert len(set(chosen)) == 2 and doc["summary"]["switches"] >= 1
    oos = BacktestResult.load(doc["oos_run_dir"])
    assert oos.config.strategy == "replay_targets"
    boundary = next(f for f, g in zip(doc["folds"][1:], doc["folds"], strict=False) if f["chosen"] != g["chosen"])
    reasons = oos.decisions.set_index("date")["reason"]
    assert reasons.loc[boundary["test_start"]].startswith("fold start")


@pytest.mark.parametrize("argv, needle", [(["--train", "three"], "is not a window"), (["--select", "trades"], "cannot be computed"),
                                          (["--train", "30y"], "fewer than the train window")])
def test_walkforward_bad_input_is_one_line(cli, tmp_path, argv, needle):
    r = cli("walkforward", "--strategy", "relative_momentum", "--grid", "lookback=63", "--start", "2015-01-02",
            "--end", "2016-12-30", *CLOSE, "--out", str(tmp_path / "x"), *argv)
    assert_one_line_error(r, needle)


# ----- rebalance timing ---------------------------------------------------------------------------
def test_offset_3_decides_three_sessions_before_each_months_last_session():
    r = run_backtest(RunConfig(strategy="relative_momentum", params={"rebalance_offset": 3},
                               start="2018-01-02", end="2019-12-31"))
    cal = nyse_sessions("2017-12-01", "2020-01-31")
    last = cal.to_series().groupby(cal.to_period("M")).max()
    expected = [cal[cal.get_loc(d) - 3] for d in last]
    expected = [d for d in expected if pd.Timestamp("2018-01-02") < d <= pd.Timestamp("2019-12-31")]
    assert list(pd.DatetimeIndex(r.decisions["date"][1:])) == expected


def test_offsets_on_the_calendar_not_the_data():
    """A data set cut before the month's end still decides 3 sessions before that end."""
    days = nyse_sessions("2024-06-03", "2024-06-25")
    assert days[period_end_mask(days, "monthly", 3)].tolist() == [pd.Timestamp("2024-06-25")]


def test_tranches_hold_the_average_of_their_sleeves():
    """Two sleeves at offsets 0 and 10: each decision's weights are the mean of the two plain
    runs' latest targets as of that session."""
    common = {"start": "2015-01-02", "end": "2016-12-30"}
    sleeves = tranche_offsets("monthly", 0, 2)
    plain = [run_backtest(RunConfig(strategy="relative_momentum", params={"rebalance_offset": k}, **common))
             for k in sleeves]
    tranched = run_backtest(RunConfig(strategy="relative_momentum", params={"tranches": 2}, **common))
    for day, weights in zip(tranched.decisions["date"], tranched.decisions["weights"], strict=True):
        expected: dict[str, float] = {}
        for run in plain:
            latest = json.loads(run.decisions[run.decisions["date"] <= day]["weights"].iloc[-1])
            for s, w in latest.items():
                expected[s] = expected.get(s, 0.0) + w / 2
        assert json.loads(weights) == pytest.approx(expected), day


def test_tranches_1_is_the_plain_run():
    a = run_backtest(RunConfig(strategy="relative_momentum", start="2015-01-02", end="2016-12-30"))
    b = run_backtest(RunConfig(strategy="relative_momentum", params={"tranches": 1, "rebalance_offset": 0},
                               start="2015-01-02", end="2016-12-30"))
    assert a.returns.equals(b.returns) and a.orders.equals(b.orders)


@pytest.mark.parametrize("params, needle", [(["-p", "rebalance=daily", "-p", "rebalance_offset=2"], "need a weekly"),
                                            (["-p", "rebalance_offset=30"], "too large for monthly")])
def test_bad_timing_parameters_are_one_line(cli, params, needle):
    assert_one_line_error(cli("backtest", "relative_momentum", *params, "--no-report"), needle)


def test_timing_command_reports_the_spread_beside_the_tranched_run(cli, tmp_path):
    r = cli("timing", "relative_momentum", "-p", "rebalance=weekly", "--start", "2019-01-02", "--end", "2020-12-31",
            "--workers", "2", "--out", str(tmp_path / "t"), "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [o["offset"] for o in doc["offsets"]] == [0, 1, 2, 3, 4] and doc["tranches"] == 5
    cagr = doc["spread"]["cagr"]
    values = [o["cagr"] for o in doc["offsets"]]
    assert cagr["min"] == min(values) and cagr["max"] == max(values) and cagr["range"] > 0
    assert cagr["tranched"] == doc["tranched"]["cagr"]
    assert (tmp_path / "t" / "timing.html").exists()
