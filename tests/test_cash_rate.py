"""The cash rate (3-month T-bill, DTB3): each session's known yield, lagged like every FRED series,
as one session's simple return; recorded in metrics.json, config.toml and the tearsheet."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.calendar import nyse_sessions
from engine.cash_rate import cash_returns_for, daily_cash_returns, risk_free_spec
from engine.config import RunConfig
from engine.data.catalog import bundled_files
from engine.results import BacktestResult
from engine.runner import run_backtest


def _raw_dtb3() -> pd.Series:
    frame = pd.read_csv(bundled_files()["DTB3"].path, parse_dates=["date"], index_col="date")
    return frame["value"].dropna().astype(float)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_each_session_earns_the_yield_known_then(lag):
    """Independent of the engine's alignment code: with lag L a value dated D is usable from
    the L-th session after D (lag 0: from D itself)."""
    sessions = nyse_sessions(pd.Timestamp("2006-12-01"), pd.Timestamp("2007-03-30"))
    raw = _raw_dtb3()
    cash = daily_cash_returns(sessions, lag_sessions=lag)
    for i, day in enumerate(sessions[5:], 5):
        # lag 0: dated on or before the day; lag L: dated before the session L - 1 sessions earlier
        known = (
            raw[raw.index <= day].iloc[-1]
            if lag == 0
            else raw[raw.index < sessions[i - lag + 1]].iloc[-1]
        )
        assert cash.iloc[i] == pytest.approx((1 + known / 100) ** (1 / 252) - 1, rel=1e-12), (
            lag,
            day,
        )


def test_a_change_in_the_yield_after_a_day_never_reaches_it():
    sessions = nyse_sessions(pd.Timestamp("2008-09-02"), pd.Timestamp("2008-10-31"))
    cash = daily_cash_returns(sessions, lag_sessions=1)
    raw = _raw_dtb3()
    # 2008-09-16..17: the T-bill yield collapsed; the collapse shows a session later, not before
    assert raw["2008-09-17"] < 0.5 * raw["2008-09-16"]
    assert cash["2008-09-17"] == pytest.approx(
        (1 + raw["2008-09-16"] / 100) ** (1 / 252) - 1, rel=1e-12
    )
    assert cash["2008-09-18"] == pytest.approx(
        (1 + raw["2008-09-17"] / 100) ** (1 / 252) - 1, rel=1e-12
    )


def test_a_constant_rate_and_the_spec_round_trip():
    sessions = nyse_sessions(pd.Timestamp("2020-01-02"), pd.Timestamp("2020-03-31"))
    const = cash_returns_for(risk_free_spec(0.03, 1), sessions)
    assert np.allclose(const, 1.03 ** (1 / 252) - 1, rtol=0, atol=1e-15)
    assert risk_free_spec(None, 2) == {"series": "DTB3", "lag": 2}
    assert cash_returns_for({"series": "DTB3", "lag": 2}, sessions).equals(
        daily_cash_returns(sessions, 2)
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    run = run_backtest(
        RunConfig(strategy="relative_momentum", start="2007-01-03", end="2009-12-31")
    )
    return BacktestResult.load(run.save(tmp_path_factory.mktemp("runs")))


def test_sharpe_subtracts_each_sessions_cash_return(saved):
    m, r = saved.metrics, saved.returns["strategy"].to_numpy()
    cash = daily_cash_returns(saved.returns.index, 1).to_numpy()
    assert (
        cash.max() > 10 * cash[-60:].mean() > 0
    )  # 2007-2009: 5% down to ~0%: a constant is far off
    excess = r - cash
    assert m["sharpe"] == pytest.approx(
        excess.mean() / excess.std(ddof=1) * np.sqrt(252), rel=1e-12
    )
    assert m["risk_free_rate"] == pytest.approx((1 + cash.mean()) ** 252 - 1, rel=1e-12)
    assert m["risk_free"] == {"series": "DTB3", "lag": 1}


def test_the_rate_is_named_in_config_toml_and_the_tearsheet(saved, tmp_path):
    from reports.tearsheet import write_tearsheet

    text = (saved.run_dir / "config.toml").read_text()
    assert text.startswith(
        "# cash rate (risk-free) used: 3-month T-bill, bundled DTB3, as-of with lag 1"
    )
    page = write_tearsheet(saved.run_dir, tmp_path / "t.html").read_text()
    assert "3-month T-bill (bundled DTB3, as-of, lag 1 session): mean" in page


def test_risk_free_constant_is_recorded_as_one(tmp_path):
    run = run_backtest(
        RunConfig(strategy="buy_and_hold", start="2015-01-02", end="2015-12-31", risk_free=0.02)
    )
    folder = run.save(tmp_path)
    m = json.loads((folder / "metrics.json").read_text())
    assert m["risk_free"] == {"constant": 0.02} and m["risk_free_rate"] == pytest.approx(
        0.02, rel=1e-12
    )
    assert "constant 0.02" in (folder / "config.toml").read_text()
