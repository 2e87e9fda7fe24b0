"""Fill prices and costs, for every strategy and broker mode: every fill is at its reference price
(the fill bar's open, or the decision bar's close: never a later bar's range, never capped by the
bar's high or low), slippage and commission are charged at exactly their stated rates on every
fill (what the broker took from the cash), and a run with costs never ends above the same run
without."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import COST_PRESETS, RunConfig
from engine.data.market import load_market_data
from engine.runner import data_needs, run_backtest
from strategies import all_strategies

START, END = "2019-01-02", "2021-12-31"
BPS = 5.0
SLIP = 7.0
MODES = {
    "open-whole": {},
    "open-fractional": {"fractional": True},
    "close-fractional": {"fill": "close", "fractional": True},
}
FREE = COST_PRESETS["none"]


@pytest.fixture(scope="module")
def data():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = load_market_data(*data_needs(RunConfig(strategy=name)))
        return cache[name]
    return get


def _reference(md, o, mode: str) -> float:
    """The price a fill must get: the decision bar's close (close fills) or the fill bar's open."""
    bars = md.prices[o.symbol]
    if MODES[mode].get("fill") == "close":
        assert o.date == o.created
        return float(bars.loc[o.created, "close"])
    assert o.date > o.created
    return float(bars.loc[o.date, "open"])


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", [s.name for s in all_strategies()])
def test_fills_at_the_reference_price_and_costs_are_the_stated_rates(data, name, mode):
    md = data(name)
    costs = {**MODES[mode], "commission_bps": BPS, "slippage_bps": SLIP}
    run = run_backtest(RunConfig(strategy=name, start=START, end=END, broker=costs), md)
    free = run_backtest(RunConfig(strategy=name, start=START, end=END,
                                  broker={**MODES[mode], **FREE}), md)
    fills = run.orders[run.orders["status"] == "completed"]
    assert len(fills) > 0
    for o in fills.itertuples():
        assert o.price == pytest.approx(_reference(md, o, mode), rel=1e-15, abs=0), o  # not slipped
        assert o.slippage == pytest.approx(abs(o.size) * o.price * SLIP / 1e4, rel=1e-12), o
        assert o.commission == pytest.approx(abs(o.size) * o.price * BPS / 1e4, rel=1e-9), o
    assert run.metrics["final_equity"] <= free.metrics["final_equity"] + 1e-6
    if MODES[mode].get("fill") == "close":  # sized to the cash including costs: nothing refused
        assert run.metrics["rejected_orders"] == 0
    gross = free.orders[free.orders["status"] == "completed"]
    assert np.all(gross["commission"] == 0.0) and np.all(gross["slippage"] == 0.0)


@pytest.mark.parametrize("mode", ["open-fractional", "close-fractional"])
def test_the_cash_pays_the_stated_slippage_on_every_fill(data, mode):
    """What left the cash each session is the fills' value at the reference price plus exactly
    the stated slippage (no commission here): checked on the broker's own cash, not on the
    ledger's cost columns. Catches slippage priced in and then cancelled by a bar's range (an
    open at the day's high paid nothing when slippage was a price shift capped by the bar)."""
    md = data("composite")
    run = run_backtest(RunConfig(strategy="composite", start=START, end=END,
                                 broker={**MODES[mode], "slippage_bps": SLIP}), md)
    fills = run.orders[run.orders["status"] == "completed"].copy()
    fills["reference"] = [_reference(md, o, mode) for o in fills.itertuples()]
    signed = np.where(fills["side"] == "buy", 1.0, -1.0)
    fills["outflow"] = signed * fills["value"] + fills["value"] * SLIP / 1e4  # at the reference
    assert np.allclose(fills["price"], fills["reference"], rtol=1e-15, atol=0)
    paid = fills.groupby("date")["outflow"].sum()
    cash = run.equity["cash"]
    drop = -cash.diff().fillna(cash.iloc[0] - run.config.cash)
    if mode.startswith("close"):  # a close fill is booked while the next session is processed
        drop = drop.shift(-1)
    drop = drop.reindex(pd.DatetimeIndex(paid.index))
    assert len(paid) > 20 and fills["slippage"].sum() > 100
    assert np.allclose(drop.to_numpy(), paid.to_numpy(), rtol=0, atol=1e-6)


def test_minimum_commission_per_order(data):
    """Catches a minimum commission that is not applied: 1 bp with a $10 minimum on a $100,000
    account charges max(1 bp of the value, $10) on every fill (small rebalancing trades hit it)."""
    run = run_backtest(
        RunConfig(
            strategy="fixed_mix",
            start=START,
            end=END,
            params={"tolerance": 0.0},
            broker={
                "commission_bps": 1.0,
                "commission_min": 10.0,
                "fractional": True,
                "slippage_bps": 0.0,
            },
        ),
        data("fixed_mix"),
    )
    fills = run.orders[run.orders["status"] == "completed"]
    expected = np.maximum(fills["value"] * 1e-4, 10.0)
    assert np.allclose(fills["commission"], expected, rtol=1e-9)
    assert (fills["commission"] == 10.0).sum() >= 5  # the minimum really bites
