"""Holdings over time (issue 28): the weights frame, and its charts on the tearsheet and the
comparison page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.results import BacktestResult
from engine.runner import run_backtest
from reports.holdings import CASH, MAX_POINTS, drawn_points, holdings_weights, run_weights


def test_weights_of_a_hand_made_run():
    days = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="date")
    equity = pd.DataFrame({"equity": [100.0, 110.0, 0.0], "cash": [100.0, 11.0, 0.0]}, index=days)
    positions = pd.DataFrame({"date": ["2024-01-03", "2024-01-03", "2024-01-04"],
                              "symbol": ["SPY", "IWM", "IWM"], "value": [33.0, 66.0, 5.0]})
    w = holdings_weights(positions, equity)
    assert list(w.columns) == ["IWM", "SPY", CASH]  # by average share, cash last
    assert w.loc["2024-01-02"].tolist() == [0.0, 0.0, 1.0]  # nothing held: all cash
    assert w.loc["2024-01-03"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert w.loc["2024-01-04"].tolist() == [0.0, 0.0, 1.0]  # zero equity: all cash, not inf
    assert holdings_weights(positions.iloc[:0], equity)[CASH].tolist() == [1.0, 1.0, 1.0]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cfg = RunConfig(strategy="relative_momentum", params={"top_n": 2}, start="2016-01-04",
                    end="2020-12-31")
    return BacktestResult.load(run_backtest(cfg).save(tmp_path_factory.mktemp("run")))


def test_weights_of_a_real_run_agree_with_its_cash(run):
    """The cash share is the broker's cash over equity (equity.csv, a column the weights do not
    read): positions and equity tell the same story."""
    w = run_weights(run)
    assert len(w) == len(run.equity) and np.allclose(w.sum(axis=1), 1.0)
    cash_share = (run.equity["cash"] / run.equity["equity"]).to_numpy()
    assert np.allclose(w[CASH].to_numpy(), cash_share, atol=1e-9)
    assert (w.drop(columns=CASH).to_numpy() > 0.2).any(axis=0).sum() >= 2  # it rotated


def test_long_histories_are_drawn_at_chart_resolution():
    days = pd.bdate_range("2000-01-03", periods=6300)
    w = pd.DataFrame({"SPY": 1.0, CASH: 0.0}, index=days)
    shown = drawn_points(w)
    assert len(shown) <= MAX_POINTS and shown.index[0] == days[0] and shown.index[-1] == days[-1]
    gaps = np.diff(w.index.get_indexer(shown.index))
    assert gaps.max() <= 11 and gaps.min() >= 1
    assert drawn_points(w.iloc[:100]).equals(w.iloc[:100])


def test_tearsheet_and_comparison_draw_the_holdings(run, tmp_path):
    from reports.compare import write_comparison
    from reports.compare_time import HOLDINGS_PANELS
    from reports.tearsheet import write_tearsheet

    html = write_tearsheet(run.run_dir, tmp_path / "t.html", parallel=False).read_text()
    block = html[html.index('<div id="holdings">'):]
    assert block.index("<svg") < block.index("</div>") and "Holdings over time" in html
    other = run_backtest(RunConfig(strategy="buy_and_hold", params={"symbol": "IWM"},
                                   start="2016-01-04", end="2020-12-31")).save(tmp_path)
    page = write_comparison([run.run_dir, other], tmp_path / "cmp").read_text()
    chart = page[page.index('id="holdings"'):]
    chart = chart[:chart.index("<h2")]
    # IWM in one, 2+ assets in the other
    assert HOLDINGS_PANELS >= 2 and chart.count('"stackgroup"') >= 3
    assert '"text":"buy_and_hold"' in chart and '"text":"relative_momentum' in chart
