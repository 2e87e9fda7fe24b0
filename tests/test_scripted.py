"""Every strategy option pinned on tiny hand-written price series (as backtesting.py does): each
test's docstring names the bug it catches. Prices are flat bars (open = high = low = close),
fills at the close, fractional shares, no costs, a zero risk-free rate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.config import RunConfig
from engine.data.market import load_market_data
from engine.data.sources import csv_dir_source
from engine.runner import run_backtest
from strategies.signals import GAIN_TOLERANCE, qualifies

BROKER = {"fill": "close", "fractional": True}


def _market(
    folder: Path,
    prices: dict[str, list[float]],
    levels: dict[str, list[float]] | None = None,
    macro: dict[str, list[float]] | None = None,
):
    """Write hand-made series as csv files (one per symbol) and load them; macro series as-of."""
    n = len(next(iter(prices.values())))
    days = nyse_sessions("2023-01-03", "2025-12-31")[:n]
    for name, closes in prices.items():
        rows = [
            f"{d.date()},{float(c)!r},{float(c)!r},{float(c)!r},{float(c)!r},{float(c)!r},1000"
            for d, c in zip(days, closes, strict=True)
        ]
        write_csv(
            folder / f"{name}.csv", "date,open,high,low,close,adj_close,volume\n" + "\n".join(rows)
        )
    for name, values in (levels or {}).items():
        write_csv(
            folder / f"{name}.csv",
            "date,close\n"
            + "\n".join(f"{d.date()},{v!r}" for d, v in zip(days, values, strict=True)),
        )
    for name, values in (macro or {}).items():
        write_csv(
            folder / f"{name}.csv",
            "date,value\n"
            + "\n".join(f"{d.date()},{v!r}" for d, v in zip(days, values, strict=True)),
        )
    md = load_market_data(
        list(prices), [*(levels or {}), *(macro or {})], csv_dir_source(folder), macro_lag=0
    )
    return md, [d.date().isoformat() for d in days]


def _run(md, strategy: str, **params):
    return run_backtest(RunConfig(strategy=strategy, params=params, risk_free=0.0, broker=BROKER,
                                  data={"macro_lag": 0}), md)


def _targets(result) -> dict[str, str]:
    return dict(zip(result.decisions["date"], result.decisions["targets"], strict=True))


# ----- breadth streak ---------------------------------------------------------------------------
def _exactly_one_percent(n: int, start: str = "100.01") -> list[float]:
    """n+1 levels, each exactly 1% above the one before in decimal arithmetic."""
    levels = [Decimal(start)]
    for _ in range(n):
        levels.append(levels[-1] * Decimal("1.01"))
    return [float(v) for v in levels]


def test_qualifying_gain_boundary():
    """Catches `>` for `>=` in the qualifying rule (and a dropped float tolerance)."""
    assert qualifies(0.01 - GAIN_TOLERANCE, 0.01)
    assert qualifies(0.009999999999999787, 0.01)  # 101.0101 / 100.01 - 1: "1%" computed below 0.01
    assert not qualifies(0.01 - 1e-9, 0.01)


@pytest.mark.parametrize("just_below", [False, True])
def test_streak_triggers_at_exactly_min_gain_and_not_just_below(tmp_path, just_below):
    """Catches `>` for `>=` and a wrong tolerance sign: five sessions of exactly +1% (several of
    which compute to 0.0099999999999997 in floats) trigger; one session at +0.99999% does not."""
    ups = _exactly_one_percent(5)
    gains = [b / a - 1 for a, b in zip(ups, ups[1:], strict=False)]
    assert min(gains) < 0.01  # the case the rule's float slack exists for
    if just_below:
        ups[3] = ups[2] * 1.0099999
        ups[4:] = [ups[3] * 1.01 ** k for k in range(1, 3)]
    rut = [100.01] * 3 + ups[1:] + [ups[-1]] * 4
    flat = [50.0] * len(rut)
    md, days = _market(tmp_path, {"IWM": flat, "SPY": flat}, {"RUT": rut})
    r = _run(md, "breadth_streak", sessions=5, min_gain=0.01, hold_sessions=3, tolerance=0.0)
    t = _targets(r)
    signal_day = days[7]  # the fifth up session
    if just_below:
        assert "IWM:1.0000" not in t.values()
    else:
        assert (
            t[signal_day] == "IWM:1.0000"
            and "trigger" in r.decisions.set_index("date").loc[signal_day, "reason"]
        )
        assert t[days[6]] == "SPY:1.0000"


def test_trailing_stop_exits_once_small_caps_fall_that_far_from_their_peak(tmp_path):
    """Catches the trailing-stop sign (exit on a rise, or never) and a peak that is not tracked."""
    rut = [100.0, 100.0, 102.0, 104.04] + [104.04] * 12
    iwm = [
        100.0,
        100.0,
        100.0,
        100.0,
        105.0,
        110.0,
        104.0,
        100.0,
        98.0,
        97.0,
        99.0,
        100.0,
        100.0,
        100.0,
        100.0,
        100.0,
    ]
    md, days = _market(tmp_path, {"IWM": iwm, "SPY": [50.0] * len(iwm)}, {"RUT": rut})
    r = _run(
        md,
        "breadth_streak",
        sessions=2,
        min_gain=0.01,
        hold_sessions=10,
        trailing_stop=0.1,
        tolerance=0.0,
    )
    t = _targets(r)
    assert t[days[3]] == "IWM:1.0000"  # trigger
    assert t[days[7]] == "IWM:1.0000"  # 100 is -9.1% from the 110 peak: inside the stop
    assert t[days[8]] == "SPY:1.0000"  # 98 is -10.9%: stopped out, long before 10 sessions
    assert "trailing stop" in r.decisions.set_index("date").loc[days[8], "reason"]
    no_stop = _targets(
        _run(md, "breadth_streak", sessions=2, min_gain=0.01, hold_sessions=10, tolerance=0.0)
    )
    assert no_stop[days[8]] == "IWM:1.0000"


# ----- rate regime ------------------------------------------------------------------------------
@pytest.mark.parametrize("small_caps_trend_up", [True, False])
def test_rate_regime_confirm_requires_the_ratio_above_its_average(tmp_path, small_caps_trend_up):
    """Catches an inverted `confirm` test: falling yields alone are not enough with confirm=True."""
    n = 20
    yields = [5.0] * 10 + [4.5] * 10  # -50 bp
    drift = 1.01 if small_caps_trend_up else 0.99
    iwm = [100.0 * drift ** i for i in range(n)]
    md, days = _market(tmp_path, {"IWM": iwm, "SPY": [100.0] * n}, macro={"DGS2": yields})
    r = _run(
        md,
        "rate_regime",
        lookback=5,
        threshold_bp=25,
        confirm=True,
        confirm_window=5,
        rebalance="daily",
    )
    t = _targets(r)
    assert t[days[10]] == ("IWM:1.0000" if small_caps_trend_up else "SPY:1.0000")
    if not small_caps_trend_up:
        assert "not confirmed" in r.decisions.set_index("date").loc[days[10], "reason"]
    plain = _targets(_run(md, "rate_regime", lookback=5, threshold_bp=25, rebalance="daily"))
    assert plain[days[10]] == "IWM:1.0000"  # without confirm the yield move decides


# ----- dual momentum ----------------------------------------------------------------------------
@pytest.mark.parametrize("iwm_gain, expect", [(0.03, "IWM:1.0000"), (0.005, "BIL:1.0000")])
def test_dual_momentum_hurdle_is_the_cash_assets_return(tmp_path, iwm_gain, expect):
    """Catches the hurdle's sign: the best asset is held only if it beats the cash asset's return
    over the lookback (BIL +1%); otherwise everything goes to the cash asset."""
    n = 12
    iwm = [100.0 * (1 + iwm_gain) ** (i / 5) for i in range(n)]
    spy = [100.0 * 0.999 ** i for i in range(n)]
    bil = [100.0 * 1.01 ** (i / 5) for i in range(n)]
    md, days = _market(tmp_path, {"IWM": iwm, "SPY": spy, "BIL": bil})
    r = _run(
        md,
        "relative_momentum",
        assets=["IWM", "SPY"],
        lookback=5,
        absolute=True,
        cash_asset="BIL",
        rebalance="daily",
        tolerance=0.0,
    )
    assert _targets(r)[days[8]] == expect
    held = r.positions[r.positions["date"] == days[9]]
    assert list(held["symbol"]) == [expect.split(":")[0]]  # the cash asset is really bought


@pytest.mark.parametrize("iwm_gain, expect", [(0.0025, "IWM:1.0000"), (0.0015, "AGG:1.0000")])
def test_dual_momentum_hurdle_rate_is_the_bill_yield_accrued(tmp_path, iwm_gain, expect):
    """Catches a hurdle read as a price return or in the wrong unit: with hurdle=DTB3 at 10% a
    year, the best must beat 1.1 ** (5/252) - 1 = +0.189% over 5 sessions, else the cash asset
    (AGG, which itself rose 1%: it is where the money goes, not the bar)."""
    n = 12
    iwm = [100.0 * (1 + iwm_gain) ** (i / 5) for i in range(n)]
    md, days = _market(tmp_path, {"IWM": iwm, "SPY": [100.0 * 0.999 ** i for i in range(n)],
                                  "AGG": [100.0 * 1.01 ** (i / 5) for i in range(n)]},
                       macro={"DTB3": [10.0] * n})
    r = _run(md, "relative_momentum", assets=["IWM", "SPY"], lookback=5, absolute=True,
             cash_asset="AGG", hurdle="DTB3", rebalance="daily", tolerance=0.0)
    assert _targets(r)[days[8]] == expect
    assert ("none beats DTB3 +0.19%" in r.decisions["reason"].iloc[-1]) == expect.startswith("AGG")
    with pytest.raises(UserError, match="absolute"):
        RunConfig(strategy="relative_momentum", params={"hurdle": "DTB3"})


def test_dual_momentum_without_a_cash_asset_goes_to_plain_cash(tmp_path):
    """Catches a zero hurdle with the wrong sign: when every asset fell, hold plain cash."""
    n = 12
    md, days = _market(
        tmp_path,
        {"IWM": [100.0 * 0.99**i for i in range(n)], "SPY": [100.0 * 0.995**i for i in range(n)]},
    )
    r = _run(
        md,
        "relative_momentum",
        assets=["IWM", "SPY"],
        lookback=5,
        absolute=True,
        rebalance="daily",
        tolerance=0.0,
    )
    assert _targets(r)[days[8]] == "cash"
    assert r.equity.loc[days[9], "cash"] == pytest.approx(r.equity.loc[days[9], "equity"])
    assert (
        _targets(
            _run(md, "relative_momentum", assets=["IWM", "SPY"], lookback=5, rebalance="daily")
        )[days[8]]
        == "SPY:1.0000"
    )


# ----- the base class ---------------------------------------------------------------------------
def test_full_exits_go_through_the_tolerance_band(tmp_path, monkeypatch):
    """Catches the band holding back full exits: a position worth less than `tolerance` of equity
    is still sold completely when its target weight goes to zero."""
    monkeypatch.setenv("SMALLCAP_MAX_DAILY_MOVE", "0.99")  # the collapse is meant
    n = 16
    iwm = [100.0] * 6 + [5.0] * (n - 6)  # IWM collapses 95%: ~2.5% of equity, below the 5% band
    spy = [100.0 * 1.002 ** i for i in range(n)]
    qqq = [100.0] * 6 + [100.0 * 1.03 ** (i - 5) for i in range(6, n)]
    md, days = _market(tmp_path, {"IWM": iwm, "SPY": spy, "QQQ": qqq})
    r = _run(
        md,
        "relative_momentum",
        assets=["IWM", "SPY", "QQQ"],
        lookback=5,
        top_n=2,
        rebalance="daily",
        tolerance=0.05,
    )
    exits = r.orders[(r.orders["symbol"] == "IWM") & (r.orders["side"] == "sell")]
    assert len(exits) == 1 and exits["status"].iloc[0] == "completed"
    assert 0 < exits["value"].iloc[0] < 0.05 * r.equity.loc[exits["date"].iloc[0], "equity"]
    assert "IWM" not in set(r.positions[r.positions["date"] > exits["date"].iloc[0]]["symbol"])


@pytest.mark.parametrize("schedule, period", [("weekly", "W-FRI"), ("quarterly", "Q")])
def test_weekly_and_quarterly_decisions_fall_on_the_periods_last_session(schedule, period):
    """Catches a schedule that decides on the first session of a period, or on calendar (not
    NYSE) period ends: Good Friday 2024-03-29 moves both the week's and the quarter's end."""
    r = run_backtest(
        RunConfig(
            strategy="fixed_mix",
            params={"rebalance": schedule, "tolerance": 0.0},
            start="2023-06-01",
            end="2024-12-31",
        )
    )
    dates = pd.DatetimeIndex(r.decisions["date"][1:])
    sessions = nyse_sessions("2023-06-01", "2025-01-31")
    last = sessions.to_series().groupby(sessions.to_period(period)).max()
    expected = last[(last >= pd.Timestamp("2023-06-02")) & (last <= pd.Timestamp("2024-12-31"))]
    assert list(dates) == list(expected)
    assert pd.Timestamp("2024-03-28") in dates and pd.Timestamp("2024-03-29") not in dates


def test_money_is_conserved_at_every_bar_with_costs(tmp_path):
    """Catches a ledger that records equity before or after the fills inconsistently: equity =
    cash + positions at the close, every session, with commission and slippage."""
    r = run_backtest(RunConfig(strategy="composite", start="2019-01-02", end="2020-12-31",
                               broker={"commission_bps": 5, "slippage_bps": 5}))
    value = (
        r.positions.groupby("date")["value"]
        .sum()
        .reindex(r.equity.index.strftime("%Y-%m-%d"), fill_value=0.0)
    )
    assert np.allclose(
        r.equity["cash"].to_numpy() + value.to_numpy(), r.equity["equity"].to_numpy(), rtol=1e-10
    )


def test_relative_value_enters_only_on_a_fresh_cross_of_its_trend(tmp_path, monkeypatch):
    """Catches "no cross needed": on session 99 the z-score arms the rule (a 60 outlier has just
    left the 40-session window, so the ratio looks extreme) while the ratio has been above its
    5-session trend for days; a cross is required, so the rule stays in large caps."""
    monkeypatch.setenv("SMALLCAP_MAX_DAILY_MOVE", "0.99")  # the one-day outlier is meant
    ratio = [100 * (1 + 0.002 * np.sin(i)) for i in range(90)]
    ratio[59] = 60.0
    ratio += list(np.linspace(99, 93, 7)) + list(np.linspace(93.5, 99, 12))
    md, days = _market(tmp_path, {"IWM": ratio, "SPY": [100.0] * len(ratio)})
    r = _run(md, "relative_value", window=40, trend=5, entry_z=1.5, exit_z=3.0, tolerance=0.0)
    t = _targets(r)
    assert t[days[60]] == "IWM:1.0000"  # the bounce after the outlier is a fresh cross: enter
    assert [t[days[i]] for i in (99, 100, 101)] == ["SPY:1.0000"] * 3
