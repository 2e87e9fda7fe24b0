"""The engine on real bundled data: parity with independent computations, money, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import COST_PRESETS, RunConfig
from engine.data import load_market_data
from engine.results import BacktestResult
from engine.runner import run_backtest

EXACT = {"fill": "close", "fractional": True, **COST_PRESETS["none"]}  # frictionless: said so


def _adj_close(bundled, symbol: str) -> pd.Series:
    """Read a bundled file with plain pandas: independent of the engine's data layer."""
    frame = pd.read_csv(bundled / "etf" / f"{symbol}.csv", index_col="date", parse_dates=["date"])
    return frame["adj_close"]


@pytest.mark.slow
def test_buy_and_hold_spy_grows_exactly_like_adj_close_over_the_whole_history(bundled):
    result = run_backtest(
        RunConfig(strategy="buy_and_hold", params={"symbol": "SPY"}, broker=EXACT)
    )
    adj = _adj_close(bundled, "SPY")
    growth = result.equity["equity"] / result.equity["equity"].iloc[0]
    expected = (adj / adj.iloc[0]).reindex(growth.index)
    assert len(growth) == len(adj) == 8222
    assert np.max(np.abs(growth / expected - 1)) < 1e-9
    assert result.metrics["trades"] == 1 and result.metrics["rejected_orders"] == 0


def _vectorized_momentum(bundled, assets, lookback, start, end) -> pd.Series:
    """Monthly relative momentum written from scratch with pandas: decide at the close of the first
    session on/after ``start`` and of every month's last session; hold the best trailing return."""
    closes = pd.DataFrame({s: _adj_close(bundled, s) for s in assets}).dropna()
    dates = closes.index
    month_end = pd.Series(dates.to_period("M"), index=dates) != pd.Series(
        dates.to_period("M"), index=dates
    ).shift(-1)
    score = closes / closes.shift(lookback) - 1
    first = dates[dates >= pd.Timestamp(start)][0]
    decide = (dates == first) | (month_end.to_numpy() & (dates > first))
    best = score.fillna(-np.inf).to_numpy().argmax(axis=1)  # ties: first asset, as in the rule
    choice = pd.Series(np.array(assets, dtype=object)[best], index=dates).where(decide).ffill()
    choice[dates < first] = None
    daily = closes.pct_change()
    held = choice.shift(1)  # decided at the close of t-1, earns day t
    rets = pd.Series(
        [daily.at[d, h] if isinstance(h, str) else 0.0 for d, h in zip(dates, held, strict=True)],
        index=dates,
    )
    return rets.loc[first:end]


@pytest.mark.parametrize("start,end", [("2004-01-02", "2012-12-31"), ("2015-06-15", "2024-12-31")])
def test_monthly_momentum_matches_an_independent_vectorized_computation(bundled, start, end):
    cfg = RunConfig(
        strategy="relative_momentum",
        params={"assets": ["IWM", "SPY"], "lookback": 63, "tolerance": 0},
        start=start,
        end=end,
        broker=EXACT,
    )
    result = run_backtest(cfg)
    expected = _vectorized_momentum(bundled, ["IWM", "SPY"], 63, start, end)
    got = result.returns["strategy"]
    assert list(got.index) == list(expected.index)
    assert np.max(np.abs(got.to_numpy() - expected.to_numpy())) < 1e-9
    assert result.metrics["switches"] > 10  # the rule really rotates in this window


@pytest.fixture(scope="module")
def costly_run():
    cfg = RunConfig(
        strategy="relative_momentum",
        start="2007-01-03",
        end="2011-12-30",
        broker={
            "commission_bps": 5,
            "commission_per_share": 0.005,
            "commission_min": 1.0,
            "slippage_bps": 5,
        },
    )
    return run_backtest(cfg)


def test_money_is_conserved_at_every_bar(costly_run):
    r = costly_run
    md = load_market_data(["IWM", "SPY", "QQQ"])
    closes = md.closes(["IWM", "SPY", "QQQ"]).loc[r.equity.index]
    pos = r.positions.pivot(index="date", columns="symbol", values="size").reindex(
        r.equity.index.strftime("%Y-%m-%d")).fillna(0.0)
    pos.index = r.equity.index
    held_value = (pos.reindex(columns=closes.columns, fill_value=0.0) * closes).sum(axis=1)
    gap = (r.equity["cash"] + held_value - r.equity["equity"]).abs()
    assert gap.max() < 1e-6, gap.idxmax()
    assert (r.equity["cash"] >= -1e-9).all()


def test_costs_are_charged_as_configured(costly_run):
    filled = costly_run.orders[costly_run.orders["status"] == "completed"]
    expected = np.maximum(filled["value"] * 5e-4 + filled["size"].abs() * 0.005, 1.0)
    assert np.allclose(filled["commission"], expected, rtol=1e-9)
    assert filled["commission"].sum() > 0


def test_open_fills_use_the_next_sessions_open_with_slippage(bundled):
    # 2024-07-10 -> 07-11: IWM gapped up 2.2% at the open, more than the 1% cash buffer: the first
    # buy is refused for cash, reported, then resized and resent until an open fills it.
    r = run_backtest(
        RunConfig(
            strategy="buy_and_hold",
            params={"symbol": "IWM"},
            start="2024-07-10",
            end="2024-07-31",
            broker={"slippage_bps": 10},
        )
    )
    md = load_market_data(["IWM"])
    bars = md.prices["IWM"]
    refused, filled = r.orders.iloc[:-1], r.orders.iloc[-1]
    assert refused["created"].iloc[0] == "2024-07-10" and (refused["status"] == "margin").all()
    assert r.metrics["rejected_orders"] == len(refused) >= 1 and r.warnings
    assert filled["status"] == "completed" and filled["date"] > filled["created"]
    bar = bars.loc[filled["date"]]
    assert filled["price"] == pytest.approx(bar["open"], rel=1e-12)  # the open: slippage is charged
    assert filled["slippage"] == pytest.approx(filled["value"] * 0.001, rel=1e-12)
    equity = r.equity.loc[filled["created"], "equity"]
    assert filled["size"] == int(equity * 0.99 / bars.loc[filled["created"], "close"])


def test_same_config_twice_gives_byte_identical_files(tmp_path):
    cfg = RunConfig(strategy="relative_momentum", start="2018-01-02", end="2020-12-31")
    dirs = [run_backtest(cfg).save(tmp_path, name=f"run{i}") for i in range(2)]
    for name in ("returns.csv", "metrics.json", "orders.csv", "positions.csv", "config.toml"):
        assert (dirs[0] / name).read_bytes() == (dirs[1] / name).read_bytes(), name
    assert (dirs[0] / "returns.csv").read_text().splitlines()[0] == "date,strategy,benchmark,twin"


def test_run_directory_round_trip_and_never_overwritten(tmp_path):
    result = run_backtest(RunConfig(strategy="buy_and_hold", start="2024-01-02", end="2024-03-28"))
    first = result.save(tmp_path, name="same")
    second = result.save(tmp_path, name="same")
    assert first.name == "same" and second.name == "same-2"
    loaded = BacktestResult.load(first)
    assert loaded.metrics == result.metrics
    assert loaded.config == result.config
    assert np.allclose(loaded.returns["strategy"], result.returns["strategy"], rtol=0, atol=1e-15)
    manifest = loaded.manifest
    assert manifest["versions"]["backtrader"] == "1.9.78.123"
    assert manifest["data"]["sha256"]["SPY"] and manifest["fill"] == "open"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_a_crash_while_saving_leaves_no_run_directory(tmp_path, monkeypatch):
    result = run_backtest(RunConfig(strategy="buy_and_hold", start="2024-01-02", end="2024-03-28"))

    def boom(self, folder):
        (folder / "returns.csv").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(BacktestResult, "write_files", boom)
    with pytest.raises(KeyboardInterrupt):
        result.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_warmup_history_before_start_is_used_but_not_measured():
    r = run_backtest(RunConfig(strategy="relative_momentum", start="2010-01-04", end="2010-06-30"))
    assert r.returns.index[0] == pd.Timestamp("2010-01-04")
    # signals ready on the first measured session
    assert r.decisions["date"].iloc[0] == "2010-01-04"
