"""Fill prices and costs, for every strategy and broker mode: slippage only ever costs, from the
right reference price (the fill bar's open, or the decision bar's close: never a later bar's
range), commission is the stated rate, and a run with costs never ends above the same run without."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import RunConfig
from engine.data.market import load_market_data
from engine.runner import data_needs, run_backtest
from strategies import all_strategies

START, END = "2019-01-02", "2021-12-31"
BPS = 5.0
MODES = {"open-whole": {}, "open-fractional": {"fractional": True}, "close-fractional": {"fill": "close", "fractional": True}}


@pytest.fixture(scope="module")
def data():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = load_market_data(*data_needs(RunConfig(strategy=name)))
        return cache[name]
    return get


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", [s.name for s in all_strategies()])
def test_slippage_costs_from_the_reference_price_and_commission_is_the_rate(data, name, mode):
    md = data(name)
    costs = {**MODES[mode], "commission_bps": BPS, "slippage_bps": BPS}
    run = run_backtest(RunConfig(strategy=name, start=START, end=END, broker=costs), md)
    free = run_backtest(RunConfig(strategy=name, start=START, end=END, broker=MODES[mode]), md)
    fills = run.orders[run.orders["status"] == "completed"]
    assert len(fills) > 0
    for o in fills.itertuples():
        bars = md.prices[o.symbol]
        if MODES[mode].get("fill") == "close":
            reference = bars.loc[o.created, "close"]
            assert o.date == o.created
            expected = reference * (1 + BPS / 1e4) if o.side == "buy" else reference * (1 - BPS / 1e4)
            assert o.price == pytest.approx(expected, rel=1e-12), o  # exact: never capped by another bar
        else:
            reference = bars.loc[o.date, "open"]
            assert o.date > o.created
            if o.side == "buy":
                assert reference <= o.price <= reference * (1 + BPS / 1e4) * (1 + 1e-12), o
                assert o.price <= bars.loc[o.date, "high"] * (1 + 1e-12)
            else:
                assert reference * (1 - BPS / 1e4) * (1 - 1e-12) <= o.price <= reference, o
                assert o.price >= bars.loc[o.date, "low"] * (1 - 1e-12)
        assert o.commission == pytest.approx(abs(o.size) * o.price * BPS / 1e4, rel=1e-9)
    assert run.metrics["final_equity"] <= free.metrics["final_equity"] + 1e-6
    if MODES[mode].get("fill") == "close":  # sized to the cash including costs: nothing refused
        assert run.metrics["rejected_orders"] == 0
    gross = free.orders[free.orders["status"] == "completed"]
    assert np.all(gross["commission"] == 0.0)


def test_minimum_commission_per_order(data):
    """Catches a minimum commission that is not applied: 1 bp with a $10 minimum on a $100,000
    account charges max(1 bp of the value, $10) on every fill (small rebalancing trades hit it)."""
    run = run_backtest(RunConfig(strategy="fixed_mix", start=START, end=END, params={"tolerance": 0.0},
                                 broker={"commission_bps": 1.0, "commission_min": 10.0, "fractional": True}),
                       data("fixed_mix"))
    fills = run.orders[run.orders["status"] == "completed"]
    expected = np.maximum(fills["value"] * 1e-4, 10.0)
    assert np.allclose(fills["commission"], expected, rtol=1e-9)
    assert (fills["commission"] == 10.0).sum() >= 5  # the minimum really bites
