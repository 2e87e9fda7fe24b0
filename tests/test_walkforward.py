"""Walk-forward analysis and rebalance-timing luck."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import needs_browser
from conftest import assert_one_line_error

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.config import RunConfig
from engine.results import is_complete_run
from engine.runner import run_backtest
from research.walkforward import choose, make_folds, parse_window
from strategies.schedule import period_end_mask, tranche_offsets

CLOSE = ["--executor", "serial"]


@pytest.mark.parametrize(
    "n, train, test, anchored",
    [
        (100, 30, 20, False),
        (100, 30, 20, True),
        (101, 7, 13, False),
        (60, 49, 5, False),
        (1000, 252, 63, True),
    ],
)
def test_test_windows_tile_the_period_without_gap_or_overlap(n, train, test, anchored):
    sessions = nyse_sessions("2000-01-03", "2010-12-31")[:n]
    folds = make_folds(sessions, train, test, anchored)
    covered = np.concatenate([np.arange(c, d + 1) for _, _, c, d in folds])
    # every session after the first train window, once
    assert list(covered) == list(range(train, n))
    for a, b, c, d in folds:
        assert b == c - 1 and (a == 0 if anchored else b - a + 1 == train) and d - c + 1 <= test


def test_window_parsing():
    assert parse_window("3y", "--train") == 756 and parse_window("6m", "--test") == 126
    assert parse_window("400", "--train") == 400 and parse_window("1.5y", "--train") == 378
    for bad in ("3 years", "abc", "2"):
        with pytest.raises(UserError):
            parse_window(bad, "--train")


def test_a_folds_choice_reads_only_its_train_window():
    """Scrambling every return and every cash rate after the train window leaves the choice and its
    figure unchanged, to the bit; the cash rate inside the window counts."""
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0.0003, 0.01, (400, 5)), columns=list("abcde"))
    cash = {c: np.full(400, 0.0001) for c in returns.columns}
    chosen, value = choose(returns, 50, 249, "sharpe", cash)
    scrambled = returns.copy()
    scrambled.iloc[250:] = rng.normal(0.01, 0.05, (150, 5))
    later = {c: np.concatenate([v[:250], rng.uniform(0, 0.01, 150)]) for c, v in cash.items()}
    assert choose(scrambled, 50, 249, "sharpe", later) == (chosen, value)
    inside = {c: np.concatenate([v[:100], np.full(300, 0.002)]) for c, v in cash.items()}
    assert choose(returns, 50, 249, "sharpe", inside)[1] != value


@pytest.fixture(scope="module")
def one_variant(tmp_path_factory):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("wf") / "one"
    r = run_cli(
        "walkforward",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63",
        "-p",
        "tolerance=0",
        "--start",
        "2012-01-03",
        "--end",
        "2016-12-30",
        "--train",
        "1y",
        "--test",
        "6m",
        *CLOSE,
        "--out",
        str(out),
        "--json",
    )
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


FRICTIONLESS = {"fill": "close", "fractional": True, "commission_bps": 0.0, "slippage_bps": 0.0}


def _walk(
    tmp_path,
    name,
    broker,
    lookbacks=("21", "252"),
    period=("2006-01-03", "2014-12-31"),
    test="1y",
    data=None,
):
    from cli.study_glue import walkforward_from_cli

    overrides = {"broker": broker, **({"data": {"source": data}} if data else {})}
    return walkforward_from_cli(
        None,
        "relative_momentum",
        {"lookback": list(lookbacks)},
        {"tolerance": "0"},
        *period,
        str(tmp_path / name),
        "2y",
        test,
        report=False,
        overrides=overrides,
        executor="serial",
    )


def _chosen_returns(doc, root) -> pd.Series:
    """Each test window's returns of the variant chosen for it, stitched."""
    from engine.results import BacktestResult

    parts = [
        BacktestResult.load(root / "variants" / f["chosen"])
        .returns["strategy"]
        .loc[f["test_start"] : f["test_end"]]
        for f in doc["folds"]
    ]
    return pd.concat(parts)


def test_stitched_run_earns_the_chosen_variants_returns_including_the_boundaries(tmp_path):
    """Close fills, fractional shares, no costs: the out-of-sample path earns, on every session of
    every test window (the first session of each included), exactly what the variant chosen for
    that window earned itself - the switch happens at the close of the train window's last
    session, as the chosen variant held it."""
    from engine.results import BacktestResult

    doc = _walk(tmp_path, "wf", FRICTIONLESS)
    assert len({f["chosen"] for f in doc["folds"]}) == 2 and doc["summary"]["switches"] >= 1
    oos = BacktestResult.load(doc["oos_run_dir"])
    assert oos.config.strategy == "replay_targets"
    expected = _chosen_returns(doc, tmp_path / "wf")
    got = oos.returns["strategy"].loc[expected.index[0]:]
    assert got.index.equals(expected.index)
    assert np.allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)
    boundary = next(
        f
        for f, g in zip(doc["folds"][1:], doc["folds"], strict=False)
        if f["chosen"] != g["chosen"]
    )
    reasons = oos.decisions.set_index("date")["reason"]
    # decided at the train end's close
    assert reasons.loc[boundary["train_end"]].startswith("fold start")


def test_with_whole_shares_and_costs_the_gap_is_within_the_cost_of_the_switches(tmp_path):
    """Open fills, whole shares, commission and slippage: per test window, the stitched path's
    growth differs from the chosen variant's by no more than what the switch into it cost (plus
    the cash a whole-share position and the cash buffer leave over)."""
    from engine.results import BacktestResult

    costs = {"commission_bps": 5.0, "slippage_bps": 5.0}
    doc = _walk(tmp_path, "wf", costs)
    oos = BacktestResult.load(doc["oos_run_dir"])
    orders = oos.orders[oos.orders["status"] == "completed"]
    equity = oos.equity["equity"]
    for k, f in enumerate(doc["folds"]):
        # the run starts in cash: its first session earns from the open it bought at, the
        # variant's from the close before (an entry, not a switch)
        mine = (
            1 + oos.returns["strategy"].loc[f["test_start"] : f["test_end"]].iloc[int(k == 0) :]
        ).prod()
        theirs = (1 + _chosen_returns({"folds": [f]}, tmp_path / "wf").iloc[int(k == 0):]).prod()
        switch = orders[(orders["created"] == f["train_end"])]
        paid = float((switch["value"] * 10e-4).sum()) / float(equity.loc[f["train_end"]])
        # cash buffer, whole shares
        leftover = 0.01 + 2 * float(oos.orders["price"].max()) / float(equity.min())
        assert abs(mine / theirs - 1) <= paid + leftover, (f, mine, theirs, paid)


def test_a_refused_buy_is_resized_and_resent_the_next_session():
    """The replay decides only on its dates; a buy the broker refuses (the open gapped above the
    close it was sized at, no cash buffer) is resized and resent on the next session anyway."""
    from engine.data import load_market_data

    md = load_market_data(["IWM", "SPY"], [])
    iwm = md.prices["IWM"].loc["2015-01-02":"2015-12-31"]
    gap = next(d for d, nxt in zip(iwm.index, iwm.index[1:], strict=False)
               if iwm.at[nxt, "open"] > iwm.at[d, "close"] * 1.003)
    day = gap.date().isoformat()
    r = run_backtest(RunConfig(strategy="replay_targets", start="2015-01-02", end="2015-12-31",
                               params={"targets": {day: {"IWM": 1.0}}, "tolerance": 0.0},
                               broker={"fill": "open", "cash_buffer": 0.0}))
    buys = r.orders[(r.orders["symbol"] == "IWM") & (r.orders["side"] == "buy")]
    assert buys["status"].iloc[0] != "completed" and buys["created"].iloc[0] == day
    following = iwm.index[iwm.index.get_loc(gap) + 1].date().isoformat()
    # resized
    assert buys["created"].iloc[1] == following and buys["size"].iloc[1] != buys["size"].iloc[0]
    assert (buys["status"] == "completed").sum() >= 1  # resent each session until it fills
    invested = r.positions[r.positions["symbol"] == "IWM"].set_index("date")["value"] / r.equity[
        "equity"
    ].set_axis(r.equity.index.strftime("%Y-%m-%d"))
    assert invested.iloc[-1] > 0.97


def test_scrambling_every_input_after_a_date_leaves_earlier_folds_unchanged(tmp_path):
    """Every data file (prices, benchmark, macro series) scrambled after t: every fold whose train
    window ends before t keeps its choice and its in-sample figures, to the bit."""
    from test_lookahead import _raw, _scrambled, _write

    from engine.runner import data_needs

    t = pd.Timestamp("2018-09-04")
    prices, series = data_needs(RunConfig(strategy="relative_momentum"))
    raws = {s: _raw(s) for s in dict.fromkeys([*prices, *series, "SPY", "DGS2", "DTB3"])}
    true = _write(tmp_path / "true", raws)
    scrambled = _write(tmp_path / "scrambled", {s: (k, _scrambled(k, f, t, seed=3 + j))
                                                 for j, (s, (k, f)) in enumerate(raws.items())})
    period = ("2016-01-04", "2019-12-31")
    a = _walk(tmp_path, "a", FRICTIONLESS, ("21", "63", "252"), period, "6m", data=true)
    b = _walk(tmp_path, "b", FRICTIONLESS, ("21", "63", "252"), period, "6m", data=scrambled)
    # ids name the data too
    keys = ("train_start", "train_end", "params", "in_sample", "in_sample_cagr")
    before = [f for f in a["folds"] if pd.Timestamp(f["train_end"]) < t]
    assert len(before) >= 2 and len(before) < len(a["folds"])
    for fa, fb in zip(before, b["folds"], strict=False):
        assert {k: fa[k] for k in keys} == {k: fb[k] for k in keys}
    # the scramble bites
    assert [f["in_sample"] for f in a["folds"]] != [f["in_sample"] for f in b["folds"]]


def test_walkforward_and_timing_take_the_backtest_run_options(cli, tmp_path):
    """--data csv:DIR and the broker, cash and benchmark options reach every variant and the
    out-of-sample run (they were refused before)."""
    from test_lookahead import _raw, _write

    from engine.results import BacktestResult

    source = _write(tmp_path / "data", {s: _raw(s) for s in ("IWM", "SPY", "QQQ", "TLT", "DTB3")})
    run = [
        "--data",
        source,
        "--fill",
        "close",
        "--fractional",
        "--commission-bps",
        "3",
        "--cash",
        "50000",
        "--benchmark",
        "QQQ",
        "--executor",
        "serial",
    ]
    r = cli(
        "walkforward",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=21,63",
        "--start",
        "2016-01-04",
        "--end",
        "2017-12-29",
        "--train",
        "1y",
        "--test",
        "6m",
        *run,
        "--out",
        str(tmp_path / "w"),
        "--no-report",
        "--json",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    runs = [BacktestResult.load(p) for p in (tmp_path / "w" / "variants").iterdir()]
    runs.append(BacktestResult.load(doc["oos_run_dir"]))
    for res in runs:
        c = res.config
        assert c.data.source == source and c.broker.fill == "close" and c.broker.fractional
        assert c.broker.commission_bps == 3 and c.cash == 50000 and c.benchmark == "QQQ"
    r = cli(
        "timing",
        "relative_momentum",
        "-p",
        "rebalance=weekly",
        "--start",
        "2016-01-04",
        "--end",
        "2016-12-30",
        *run,
        "--out",
        str(tmp_path / "t"),
        "--json",
    )
    assert r.code == 0, r.stderr
    first = json.loads(r.stdout)["offsets"][0]["id"]
    c = BacktestResult.load(tmp_path / "t" / "variants" / first).config
    assert c.data.source == source and c.broker.commission_bps == 3 and c.benchmark == "QQQ"


def test_efficiency_only_where_the_in_sample_cagr_is_clearly_positive():
    from research.walkforward import efficiency

    assert efficiency(0.06, 0.12)[0] == pytest.approx(0.5)
    assert efficiency(-0.03, 0.10)[0] == pytest.approx(-0.3)
    for oos, mean_is in ((0.08, 0.0007), (0.08, -0.02), (None, 0.1)):
        value, words = efficiency(oos, mean_is)
        assert value is None and words.startswith("walk-forward efficiency not reported")


def test_a_short_last_fold_has_no_annualised_ratio_and_is_flagged(cli, tmp_path):
    """Terminal, JSON and page all say the last fold tested fewer than 63 sessions."""
    argv = [
        "walkforward",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63,126",
        "--start",
        "2012-01-03",
        "--end",
        "2014-02-28",
        "--train",
        "1y",
        "--test",
        "6m",
        *CLOSE,
    ]
    r = cli(*argv, "--out", str(tmp_path / "j"), "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    last = doc["folds"][-1]
    assert last["short"] and last["test_sessions"] < 63 and last["out_of_sample"] is None
    assert not any(f["short"] for f in doc["folds"][:-1]) and doc["summary"]["short_folds"] == [
        len(doc["folds"])
    ]
    text = " ".join(cli(*argv, "--out", str(tmp_path / "t")).stdout.split())
    assert f"short ({last['test_sessions']})" in text and "fewer than 63 test sessions" in text
    page = (tmp_path / "t" / "walkforward.html").read_text()
    assert f"short: {last['test_sessions']} sessions, not annualised" in page


@needs_browser
@pytest.mark.browser
def test_walkforward_page_shows_every_figure_column_at_1280_px(cli, tmp_path):
    """Only the varying parameters name the chosen variant; every column of the folds table lies
    inside a 1280 px window; the timeline labels rows by parameter values, not hashes."""
    from browser import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    r = cli(
        "walkforward",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=21,252",
        "--grid",
        "top_n=1,2",
        "-p",
        "cash_asset=SHY",
        "--start",
        "2008-01-02",
        "--end",
        "2014-12-31",
        "--train",
        "2y",
        "--test",
        "1y",
        *CLOSE,
        "--out",
        str(tmp_path / "w"),
        "--json",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["varying"] == ["lookback", "top_n"]
    html = Path(doc["page"]).read_text()
    assert "train 504 sessions · test 252 sessions · rolling" in html
    best = doc["summary"]["best_in_hindsight"]["params"]
    assert f"Best variant in hindsight (lookback={best['lookback']}, top_n={best['top_n']})" in html
    assert "cash_asset=" not in html and "tolerance=" not in html and "lookback=" in html
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(Path(doc["page"]).resolve().as_uri(), wait_until="networkidle")
        right = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('#folds th, #folds td')]"
            ".map(c => c.getBoundingClientRect().right))"
        )
        headers = page.evaluate(
            "() => [...document.querySelectorAll('#folds th')].map(c => c.textContent)"
        )
        ticks = page.evaluate(
            "() => [...document.querySelectorAll('.ytick text')].map(t => t.textContent)"
        )
        browser.close()
    assert right <= 1280, right
    assert "in-sample sharpe" in headers and "out-of-sample sharpe" in headers
    chosen = {
        f"lookback={f['params']['lookback']}, top_n={f['params']['top_n']}" for f in doc["folds"]
    }
    assert chosen <= set(ticks), (chosen, ticks)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--train", "three"], "is not a window"),
        (["--select", "trades"], "cannot be computed"),
        (["--train", "30y"], "fewer than the train window"),
    ],
)
def test_walkforward_bad_input_is_one_line(cli, tmp_path, argv, needle):
    r = cli(
        "walkforward",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63",
        "--start",
        "2015-01-02",
        "--end",
        "2016-12-30",
        *CLOSE,
        "--out",
        str(tmp_path / "x"),
        *argv,
    )
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
    plain = [
        run_backtest(
            RunConfig(strategy="relative_momentum", params={"rebalance_offset": k}, **common)
        )
        for k in sleeves
    ]
    tranched = run_backtest(
        RunConfig(strategy="relative_momentum", params={"tranches": 2}, **common)
    )
    for day, weights in zip(tranched.decisions["date"], tranched.decisions["weights"], strict=True):
        expected: dict[str, float] = {}
        for run in plain:
            latest = json.loads(run.decisions[run.decisions["date"] <= day]["weights"].iloc[-1])
            for s, w in latest.items():
                expected[s] = expected.get(s, 0.0) + w / 2
        assert json.loads(weights) == pytest.approx(expected), day


def test_tranches_1_is_the_plain_run():
    a = run_backtest(RunConfig(strategy="relative_momentum", start="2015-01-02", end="2016-12-30"))
    b = run_backtest(
        RunConfig(
            strategy="relative_momentum",
            params={"tranches": 1, "rebalance_offset": 0},
            start="2015-01-02",
            end="2016-12-30",
        )
    )
    assert a.returns.equals(b.returns) and a.orders.equals(b.orders)


@pytest.mark.parametrize(
    "params, needle",
    [
        (["-p", "rebalance=daily", "-p", "rebalance_offset=2"], "need a weekly"),
        (["-p", "rebalance_offset=30"], "too large for monthly"),
    ],
)
def test_bad_timing_parameters_are_one_line(cli, params, needle):
    assert_one_line_error(cli("backtest", "relative_momentum", *params, "--no-report"), needle)


def test_timing_command_reports_the_spread_beside_the_tranched_run(cli, tmp_path):
    r = cli(
        "timing",
        "relative_momentum",
        "-p",
        "rebalance=weekly",
        "--start",
        "2019-01-02",
        "--end",
        "2020-12-31",
        "--workers",
        "2",
        "--out",
        str(tmp_path / "t"),
        "--json",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [o["offset"] for o in doc["offsets"]] == [0, 1, 2, 3, 4] and doc["tranches"] == 5
    cagr = doc["spread"]["cagr"]
    values = [o["cagr"] for o in doc["offsets"]]
    assert cagr["min"] == min(values) and cagr["max"] == max(values) and cagr["range"] > 0
    assert cagr["tranched"] == doc["tranched"]["cagr"]
    assert (tmp_path / "t" / "timing.html").exists()
