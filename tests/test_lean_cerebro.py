"""``LeanCerebro`` steps aligned feeds itself and hands everything else to backtrader's loop; either
way every bar, order and value is what ``bt.Cerebro`` gives. (Whole runs against backtrader's
own machinery, bit for bit: ``tests/test_feeds.py``.)"""

from __future__ import annotations

import backtrader as bt
import pytest

from engine.config import RunConfig
from engine.data.market import load_market_data
from engine.feeds import ArrayFeed
from engine.lean_cerebro import LeanCerebro
from engine.runner import run_backtest
from strategies.base import RotationStrategy


class Recorder(bt.Strategy):
    """Buys the first feed on bar 3, sells it on bar 30, may stop early; records every bar."""

    params = (("stop_at", None),)

    def __init__(self):
        self.rows = []

    def next(self):
        if len(self) == 3:
            self.buy(data=self.datas[0], size=10)
        if len(self) == 30:
            self.close(data=self.datas[0])
        self.rows.append((self.datetime[0], len(self), tuple(len(d) for d in self.datas),
                          tuple(d.close[0] for d in self.datas), self.broker.getvalue()))
        if self.p.stop_at == len(self):
            self.buy(data=self.datas[1], size=5)  # never filled: the run stops first
            self.env.runstop()


@pytest.fixture(scope="module")
def frames():
    md = load_market_data(["IWM", "SPY"]).window("2019-01-02", "2019-12-31")
    return md.prices["IWM"], md.prices["SPY"]


def _rows(cerebro_cls, frames, **params):
    cerebro = cerebro_cls(stdstats=False)
    for frame, name in zip(frames, ("A", "B"), strict=True):
        cerebro.adddata(ArrayFeed.from_frame(frame, name), name=name)
    cerebro.addstrategy(Recorder, **params)
    strat = cerebro.run()[0]
    return [*strat.rows, ("end", cerebro.broker.getcash(), strat.getposition(strat.datas[1]).size)]


def _refuse_backtraders_loop(monkeypatch):
    def refuse(self, runstrats):
        raise AssertionError("backtrader's loop ran")

    monkeypatch.setattr(bt.Cerebro, "_runonce", refuse)


def test_aligned_feeds_take_the_lean_loop_with_the_same_bars(frames, monkeypatch):
    expected = _rows(bt.Cerebro, frames)
    _refuse_backtraders_loop(monkeypatch)
    assert _rows(LeanCerebro, frames) == expected
    assert len(expected) == len(frames[0]) + 1 == 253


def test_a_stop_request_stops_at_the_same_bar(frames):
    assert _rows(LeanCerebro, frames, stop_at=17) == _rows(bt.Cerebro, frames, stop_at=17)
    assert len(_rows(LeanCerebro, frames, stop_at=17)) == 17 + 1
    assert _rows(LeanCerebro, frames, stop_at=17)[-1][2] == 0  # the last order was not filled


def test_feeds_on_different_dates_run_backtraders_loop(frames):
    shifted = (frames[0], frames[1].iloc[20:])  # B starts 20 sessions later
    lean, plain = _rows(LeanCerebro, shifted), _rows(bt.Cerebro, shifted)
    assert lean == plain and plain[0][2] == (21, 1)  # first full bar: A has 21 bars, B one


def test_a_timer_runs_backtraders_loop(frames, monkeypatch):
    def with_timer(cls):
        cerebro = cls(stdstats=False)
        for frame, name in zip(frames, ("A", "B"), strict=True):
            cerebro.adddata(ArrayFeed.from_frame(frame, name), name=name)
        cerebro.addstrategy(Recorder)
        cerebro.add_timer(when=bt.timer.SESSION_START, monthdays=[1])
        return cerebro.run()[0].rows

    expected = with_timer(bt.Cerebro)
    calls = []
    original = bt.Cerebro._runonce
    monkeypatch.setattr(
        bt.Cerebro, "_runonce", lambda self, runstrats: (calls.append(1), original(self, runstrats))
    )
    assert with_timer(LeanCerebro) == expected and calls == [1]


def test_a_strategy_that_listens_to_cash_and_value_still_hears_them_every_bar(monkeypatch):
    """RotationStrategy skips backtrader's per-bar ``notify_cashvalue``/``notify_fund`` calls
    unless a subclass overrides them."""
    heard = []
    monkeypatch.setattr(RotationStrategy, "notify_cashvalue",
                        lambda self, cash, value: heard.append((cash, value)), raising=False)
    run = run_backtest(
        RunConfig(strategy="relative_momentum", start="2019-06-03", end="2019-09-30"), twin=False
    )  # the twin's run would be heard last
    monkeypatch.undo()
    assert len(heard) >= len(run.returns) and heard[-1][1] == pytest.approx(
        run.equity["equity"].iloc[-1]
    )
