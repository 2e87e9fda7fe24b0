"""The wider universe: new bundled symbols, symbols ending on different dates, `data returns`,
`breadth_rotation`, `streaks --context`, and the data each strategy needs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_one_line_error
from test_scripted import _market, _run, _targets

from engine.config import RunConfig
from engine.runner import run_backtest


def test_data_returns_json_and_table(cli):
    r = cli("data", "returns", "RUT", "IWM", "--from", "2024-07-09", "--to", "2024-07-16", "--json")
    doc = json.loads(r.stdout)
    assert set(doc) == {"RUT", "IWM"}
    from engine.data.market import load_market_data

    iwm = load_market_data(["IWM"]).prices["IWM"]["close"]
    assert doc["IWM"] == pytest.approx(iwm.loc["2024-07-16"] / iwm.loc["2024-07-09"] - 1, rel=1e-12)
    table = cli("data", "returns", "RUT", "IWM", "--on", "2024-07-11").stdout
    assert "price return (index level)" in table and "total return" in table


@pytest.mark.parametrize("argv, needle", [
    (["IWM", "--from", "2024-07-13", "--to", "2024-07-16"], "no close on 2024-07-13"),
    (["DGS2", "--on", "2024-07-11"], "not a return"),
    (["IWM", "--on", "2024-07-11", "--from", "2024-07-01"], "not both"),
    (["IWM"], "no period given"),
    (["NVDA", "--on", "2005-01-03"], "no close on 2005-01-03"),
    (["NOPE", "--on", "2024-07-11"], "unknown symbol 'NOPE'"),
])
def test_data_returns_bad_input(cli, argv, needle):
    assert_one_line_error(cli("data", "returns", *argv), needle)


def test_a_run_ends_where_the_first_symbol_ends_and_says_so(cli):
    r = run_backtest(
        RunConfig(
            strategy="relative_momentum", params={"assets": ["IWM", "XLK"]}, start="2025-01-02"
        )
    )
    assert r.metrics["end"] == "2025-09-25"
    assert any("XLK's data ends" in w for w in r.warnings)
    bad = cli(
        "backtest",
        "relative_momentum",
        "--symbols",
        "IWM,XLK",
        "--end",
        "2025-09-26",
        "--no-report",
    )
    assert_one_line_error(bad, "XLK ends then")


def test_breadth_rotation_follows_the_equal_weight_ratio(tmp_path):
    """Equal weight pulling ahead of cap weight moves the rule into small caps; falling behind
    moves it back to cap weight; inside the band it keeps what it holds."""
    n = 40
    rsp = (
        [100.0] * 15
        + [100.0 * 1.01**i for i in range(1, 13)]
        + [112.7 * 0.98**i for i in range(1, 14)]
    )
    md, days = _market(tmp_path, {"IWM": [50.0] * n, "SPY": [100.0] * n, "RSP": rsp})
    r = _run(md, "breadth_rotation", trend=10, band=0.01, rebalance="daily", tolerance=0.0)
    t = _targets(r)
    assert t[days[10]] == "SPY:1.0000"  # flat ratio: inside the band, start in cap weight
    assert (
        t[days[20]] == "IWM:1.0000"
        and "broadening" in r.decisions.set_index("date").loc[days[20], "reason"]
    )
    assert t[days[n - 1]] == "SPY:1.0000"


def test_streaks_context_per_episode(cli):
    r = cli("streaks", "--target", "IWM", "--context", "RSP,NVDA", "--json")
    episodes = json.loads(r.stdout)["episodes"]
    july = next(e for e in episodes if e["signal_date"] == "2024-07-16")
    assert set(july["context"]) == {"RSP", "NVDA"}
    assert july["context"]["NVDA"]["run"] < 0 < july["context"]["RSP"]["run"]
    first = episodes[0]  # 1998: neither symbol existed yet
    assert first["context"] == {}
    table = cli("streaks", "--target", "IWM", "--context", "RSP,NVDA").stdout
    assert "context: return over the streak run" in table and "n/a" in table


def test_strategies_show_the_data_they_need_and_the_window(cli):
    doc = json.loads(cli("strategies", "breadth_rotation", "--json").stdout)
    # cash: bundled DTB3
    assert doc["data"]["prices"] == ["IWM", "SPY", "RSP"] and doc["data"]["series"] == []
    assert (
        doc["data"]["window"]["start"] == "2005-01-03"
        and doc["data"]["window"]["limited_by"] == "RSP"
    )
    text = cli("strategies").stdout
    assert "bundled window 2005-01-03 (RSP)" in text


def test_size_momentum_example_reaches_the_new_symbols():
    from engine.sweep import expand, load_experiment

    variants = expand(load_experiment("examples/size_momentum.toml"))
    assert len(variants) == 6
    r = run_backtest(
        variants[0].config.model_copy(update={"end": np.datetime64("2008-12-31").astype(object)})
    )
    held = set(r.positions["symbol"])
    assert held & {"IJR", "VB", "IWB", "XLK"}
