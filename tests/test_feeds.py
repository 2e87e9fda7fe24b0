"""ArrayFeed gives exactly the bars backtrader's PandasData gives, preloaded or not."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pytest

from engine.config import RunConfig
from engine.data import load_market_data
from engine.feeds import ArrayFeed, series_frame
from engine.runner import run_backtest


class _Recorder(bt.Strategy):
    def __init__(self):
        self.rows = []

    def next(self):
        d = self.data
        self.rows.append(
            (d.datetime[0], d.open[0], d.high[0], d.low[0], d.close[0], d.volume[0], len(self))
        )


def _bars(feed, **kw):
    cerebro = bt.Cerebro(stdstats=False, **kw)
    cerebro.adddata(feed)
    cerebro.addstrategy(_Recorder)
    return cerebro.run()[0].rows


@pytest.fixture(scope="module")
def md():
    return load_market_data(["IWM"], ["DGS2"]).window("2019-01-02", "2021-12-31")


@pytest.mark.parametrize("preload", [True, False])
def test_price_bars_identical_to_pandasdata(md, preload):
    frame = md.prices["IWM"]
    stock = _bars(bt.feeds.PandasData(dataname=frame), preload=preload)
    fast = _bars(ArrayFeed.from_frame(frame, "IWM"), preload=preload)
    assert len(fast) == len(frame) == len(stock)
    assert fast == stock
    assert bt.num2date(fast[0][0]).date().isoformat() == "2019-01-02"


def test_series_feed_close_is_the_value(md):
    values = md.series["DGS2"]
    fast = _bars(ArrayFeed.from_series(values, "DGS2"))
    stock = _bars(bt.feeds.PandasData(dataname=series_frame(values)))
    assert fast == stock
    assert np.allclose([r[4] for r in fast], values.to_numpy())


def _same_run(a, b) -> None:
    assert a.metrics == b.metrics
    for frame in ("returns", "equity", "orders", "trades", "positions", "decisions"):
        assert getattr(a, frame).equals(getattr(b, frame)), frame


def test_whole_backtest_identical_with_stock_machinery():
    """The lean machinery (ArrayFeed, CashStockBroker, returns from the ledger) equals backtrader's
    own (PandasData, BackBroker, TimeReturn) bit for bit."""
    cfg = RunConfig(strategy="relative_momentum", start="2012-01-03", end="2014-12-31")
    _same_run(run_backtest(cfg), run_backtest(cfg, machinery="stock"))


BROKERS = {
    "open-whole-costs": {
        "commission_bps": 5,
        "commission_per_share": 0.005,
        "commission_min": 1.0,
        "slippage_bps": 10,
    },
    "close-fractional-costs": {
        "fill": "close",
        "fractional": True,
        "commission_bps": 5,
        "slippage_bps": 10,
    },
    "open-tight-buffer": {"cash_buffer": 0.0},  # buys refused for cash, resized and resent
}


@pytest.mark.parametrize("broker", BROKERS)
@pytest.mark.parametrize("strategy", ["relative_momentum", "breadth_streak", "composite"])
def test_cash_stock_broker_equals_backbroker(strategy, broker):
    """Costs, slippage, refusals, whole and fractional shares, short windows of three strategies:
    every value, order and return the same as with backtrader's BackBroker."""
    cfg = RunConfig(strategy=strategy, start="2019-06-03", end="2021-06-30", broker=BROKERS[broker],
                    params={"rebalance": "weekly"} if strategy == "relative_momentum" else {})
    _same_run(run_backtest(cfg), run_backtest(cfg, machinery="stock"))


@pytest.mark.parametrize("shortcash", [True, False])
def test_cash_stock_broker_values_short_positions_as_backbroker(shortcash):
    """A short position, with and without short cash: the account value backtrader's way."""
    from engine.broker import CashStockBroker

    class ShortThenCover(bt.Strategy):
        def __init__(self):
            self.values = []

        def next(self):
            if len(self) == 5:
                self.sell(size=20)
            if len(self) == 40:
                self.close()
            self.values.append((self.broker.getvalue(), self.broker.getcash(), self.position.size))

    frame = load_market_data(["IWM"]).window("2019-01-02", "2019-06-28").prices["IWM"]
    values = []
    for broker in (
        bt.brokers.BackBroker(shortcash=shortcash),
        CashStockBroker(shortcash=shortcash),
    ):
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.broker = broker
        cerebro.adddata(ArrayFeed.from_frame(frame, "IWM"))
        cerebro.addstrategy(ShortThenCover)
        values.append(cerebro.run()[0].values)
    assert values[0] == values[1] and len(values[0]) > 100
    assert min(size for _, _, size in values[0]) == -20  # the short was open
