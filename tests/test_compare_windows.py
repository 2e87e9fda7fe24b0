"""compare says what it compares (issue 23): every figure of a row on one window (the runs'
common window when their periods differ, named in the table's title), and runs with different
fills, costs or risk-free rates named in a note."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.results import BacktestResult
from engine.runner import run_backtest
from engine.window_activity import ACTIVITY, activity_on


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a = run_backtest(RunConfig(strategy="relative_momentum", start="2003-01-02", end="2008-12-31",
                               broker={"slippage_bps": 0.0})).save(root)  # no costs, said so
    b = run_backtest(
        RunConfig(
            strategy="rate_regime",
            start="2005-01-03",
            end="2010-12-31",
            broker={"fill": "close", "commission_bps": 5.0},
            risk_free=0.01,
        )
    ).save(root)
    return root, a, b


@pytest.mark.parametrize(
    "strategy, params",
    [
        ("relative_momentum", {}),
        ("rate_regime", {}),
        ("relative_momentum", {"absolute": True, "cash_asset": "SHY"}),
    ],
)
def test_activity_on_the_own_period_equals_the_saved_metrics(strategy, params):
    run = run_backtest(
        RunConfig(strategy=strategy, params=params, start="2006-01-03", end="2009-12-31")
    )
    got = activity_on(run, run.returns.index)
    for key in ACTIVITY:
        assert got[key] == pytest.approx(run.metrics[key], rel=1e-12), key


def test_every_figure_of_a_row_is_on_the_common_window(cli, two_runs, tmp_path):
    root, a, b = two_runs
    r = cli("compare", str(a), str(b), "--out", str(tmp_path / "c"), "--json")
    assert r.code == 0, r.stderr
    rows = json.loads(r.stdout)["ranked"]
    assert {row["window"] for row in rows} == {"2005-01-03 .. 2008-12-31"}
    assert {row["own_window"] for row in rows} == {
        "2003-01-02 .. 2008-12-31",
        "2005-01-03 .. 2010-12-31",
    }
    for row in rows:  # worked out here from the saved files, without the engine's code
        run = Path(row["run_dir"])
        returns = pd.read_csv(run / "returns.csv", index_col="date")
        window = returns.loc["2005-01-03":"2008-12-31", "strategy"].to_numpy().copy()
        window[0] = 0.0
        cagr = np.prod(1 + window) ** (252 / len(window)) - 1
        assert row["metrics"]["cagr"] == pytest.approx(cagr, rel=1e-10)
        orders = pd.read_csv(run / "orders.csv")
        filled = orders[
            (orders["status"] == "completed") & orders["date"].between("2005-01-03", "2008-12-31")
        ]
        assert row["metrics"]["trades"] == len(filled)
        positions = pd.read_csv(run / "positions.csv")
        held = positions[positions["date"].between("2005-01-03", "2008-12-31")]["date"].nunique()
        assert row["metrics"]["exposure"] == pytest.approx(held / len(window), rel=1e-12)
    own = json.loads((a / "metrics.json").read_text())
    assert own["trades"] != next(x for x in rows if x["run_dir"] == str(a))["metrics"]["trades"]


def test_the_table_title_names_the_window_and_notes_name_what_differs(cli, two_runs, tmp_path):
    root, a, b = two_runs
    r = cli("compare", str(a), str(b), "--out", str(tmp_path / "c"))
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "2 runs ranked by sharpe, 2005-01-03 .. 2008-12-31 (their common window)" in text
    notes = " ".join(r.stderr.split())
    assert "differ in fills:" in notes
    for run in (a, b):  # each setting worded by its owner, as on the run's own pages
        broker = BacktestResult.load(run, tables=()).config.broker
        assert f"{broker.describe_fills()} (" in notes and f"{broker.describe_costs()} (" in notes
    assert "next-open fills, whole shares, 1% cash buffer" in notes and "same-close fills" in notes
    assert "differ in costs: no costs (frictionless)" in notes
    assert "2 bps slippage per side, commission 5 bps" in notes
    assert "differ in risk-free rates" in notes and "constant 1.00% a year" in notes
    assert "subtracts one cash rate: 3-month T-bill" in notes
    page = (tmp_path / "c" / "comparison.html").read_text()
    assert page.count("class=\"warning settings-note\"") == 4
    assert "trades, turnover and exposure are over each run's own period" not in page


def test_runs_alike_get_no_note(cli, two_runs, tmp_path):
    root, a, _ = two_runs
    c = run_backtest(RunConfig(strategy="buy_and_hold", start="2003-01-02", end="2008-12-31",
                               broker={"slippage_bps": 0.0})).save(root / "more")
    r = cli("compare", str(a), str(c), "--out", str(tmp_path / "c"))
    assert r.code == 0, r.stderr
    assert "note:" not in r.stderr and "(their common window)" not in " ".join(r.stdout.split())
