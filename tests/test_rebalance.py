"""RotationStrategy mechanics on real data: tolerance band, sells before buys, schedules."""

from __future__ import annotations

import pandas as pd

from core.calendar import nyse_sessions
from engine.config import RunConfig
from engine.runner import run_backtest

PERIOD = {"start": "2015-01-02", "end": "2019-12-31"}


def _mix(tolerance: float):
    return run_backtest(
        RunConfig(
            strategy="fixed_mix",
            params={"weights": "IWM:0.5,SPY:0.5", "rebalance": "monthly", "tolerance": tolerance},
            **PERIOD,
        )
    )


def test_tolerance_band_skips_small_trades():
    tight, banded = _mix(0.0), _mix(0.03)
    assert banded.metrics["trades"] < tight.metrics["trades"] / 3
    equity = banded.equity["equity"]
    # after the initial buys
    later = banded.orders[(banded.orders["status"] == "completed")].iloc[2:]
    for _, o in later.iterrows():
        decided_at = equity.loc[o["created"]]
        # price moves overnight: 2% slack
        assert o["value"] >= 0.03 * decided_at * 0.98, o.to_dict()


def test_full_switches_sell_first_and_are_never_refused_for_cash():
    r = run_backtest(
        RunConfig(
            strategy="relative_momentum", broker={"fill": "close", "cash_buffer": 0.0}, **PERIOD
        )
    )
    orders = r.orders
    assert r.metrics["rejected_orders"] == 0 and r.metrics["switches"] >= 5
    for _, day in orders.groupby("created", sort=False):
        sides = day["side"].tolist()
        assert sides == sorted(sides, key=lambda s: s != "sell"), sides  # every sell before any buy
    invested = r.equity["cash"] / r.equity["equity"]
    assert invested.iloc[5:].max() < 0.02  # whole shares only leave a share's worth of cash


def test_monthly_schedule_decides_on_the_last_session_of_each_month():
    r = run_backtest(RunConfig(strategy="relative_momentum", **PERIOD))
    dates = pd.DatetimeIndex(r.decisions["date"])
    cal = nyse_sessions("2015-01-01", "2020-01-31")
    nxt = cal[cal.get_indexer(dates[1:]) + 1]
    assert (dates[1:].month != nxt.month).all()  # each later decision is a month's last session
    assert len(dates) == 1 + 60  # the first session, then 60 month ends
    assert pd.Timestamp("2018-11-30") in dates and pd.Timestamp("2019-06-28") in dates


def test_weekly_schedule_and_cash_asset():
    r = run_backtest(
        RunConfig(
            strategy="relative_momentum",
            params={"rebalance": "weekly", "absolute": True, "cash_asset": "SHY"},
            start="2018-01-02",
            end="2018-12-31",
        )
    )
    dates = pd.DatetimeIndex(r.decisions["date"])
    # Friday, not Monday
    assert pd.Timestamp("2018-12-21") in dates and pd.Timestamp("2018-12-24") not in dates
    in_cash = r.decisions[r.decisions["targets"] == "SHY:1.0000"]
    assert len(in_cash) > 0 and "beats cash" in in_cash["reason"].iloc[0]
