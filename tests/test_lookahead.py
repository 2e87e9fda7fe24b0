"""No look-ahead, for every registered strategy: decisions and orders on or before day t do not
depend on anything after t (data cut after t, or replaced after t by other values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.data import load_market_data
from engine.data.market import MarketData
from engine.runner import data_needs, run_backtest
from strategies.registry import all_strategies

START, END = "2007-01-03", "2012-12-31"
CUTS = ["2008-10-10", "2010-05-06", "2011-08-08"]  # crash days: when a leak would matter most


def _data_for(spec) -> MarketData:
    return load_market_data(*data_needs(RunConfig(strategy=spec.name)))


def _scramble_after(md: MarketData, t: pd.Timestamp) -> MarketData:
    """Same history up to t; after t every price and series replaced by other (valid) values."""
    after = md.sessions > t
    rng = np.random.default_rng(7)
    prices = {}
    for s, f in md.prices.items():
        g = f.copy()
        shock = np.exp(np.cumsum(rng.normal(0, 0.03, after.sum())))
        for col in ("open", "high", "low", "close"):
            g.loc[after, col] = g.loc[after, col].to_numpy()[::-1] * shock
        g.loc[after, "high"] = g.loc[after, ["open", "high", "low", "close"]].max(axis=1)
        g.loc[after, "low"] = g.loc[after, ["open", "high", "low", "close"]].min(axis=1)
        prices[s] = g
    series = {s: v.where(~after, v[::-1].to_numpy() * 1.7) for s, v in md.series.items()}
    return MarketData(md.sessions, prices, series, md.info, md.source, md.limited_by, md.macro_lag)


def _upto(result, t: str) -> tuple[list, list]:
    decisions = result.decisions[result.decisions["date"] <= t].to_dict("records")
    orders = result.orders[(result.orders["date"] <= t) & (result.orders["status"] == "completed")]
    return decisions, orders.to_dict("records")


@pytest.mark.parametrize("spec", all_strategies(), ids=lambda s: s.name)
def test_decisions_up_to_t_ignore_everything_after_t(spec):
    md = _data_for(spec)
    cfg = RunConfig(strategy=spec.name, start=START, end=END)
    full = run_backtest(cfg, md)
    assert len(full.decisions) > 0
    for t in CUTS:
        ts = pd.Timestamp(t)
        cut = run_backtest(cfg.model_copy(update={"end": ts.date()}), md.window(None, ts))
        assert _upto(cut, t) == _upto(full, t), f"cut after {t} changed {spec.name}'s past"
        other = run_backtest(cfg, _scramble_after(md, ts))
        assert _upto(other, t) == _upto(full, t), f"data after {t} leaked into {spec.name}"
        assert not other.returns.equals(full.returns)  # the replacement really was different
