"""Every number in metrics.json recomputed from the saved run files with plain numpy, by the
definitions the README states (252 sessions a year; the risk-free rate each session's 3-month
T-bill yield deannualised geometrically as quantstats does; Sortino's downside deviation over all
sessions, after Red Rock Capital)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.cash_rate import annual_yield, daily_cash_returns
from engine.config import RunConfig
from engine.results import BacktestResult
from engine.runner import run_backtest

N = 252


@pytest.fixture(
    scope="module",
    params=[
        (
            "relative_momentum",
            {"absolute": True, "cash_asset": "SHY"},
            {"commission_bps": 5, "slippage_bps": 5},
        ),
        ("composite", {}, {"fill": "close", "fractional": True}),
    ],
    ids=["momentum-cash-asset", "composite-close"],
)
def saved(request, tmp_path_factory):
    name, params, broker = request.param
    result = run_backtest(
        RunConfig(strategy=name, params=params, broker=broker, start="2008-01-02", end="2013-12-31")
    )
    return BacktestResult.load(result.save(tmp_path_factory.mktemp("runs"))), result.config


def test_return_metrics(saved):
    run, _ = saved
    m = run.metrics
    r = run.returns["strategy"].to_numpy()
    n = len(r)
    growth = np.cumprod(1 + r)
    assert m["sessions"] == n
    assert m["total_return"] == pytest.approx(growth[-1] - 1, rel=1e-12)
    cagr = growth[-1] ** (N / n) - 1
    assert m["cagr"] == pytest.approx(cagr, rel=1e-12)
    assert m["volatility"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(N), rel=1e-12)
    # each session's T-bill
    rf = daily_cash_returns(run.returns.index, run.config.data.macro_lag).to_numpy()
    excess = r - rf
    assert m["sharpe"] == pytest.approx(
        excess.mean() / np.std(excess, ddof=1) * np.sqrt(N), rel=1e-12
    )
    downside = np.sqrt(np.sum(excess[excess < 0] ** 2) / n)
    assert m["sortino"] == pytest.approx(excess.mean() / downside * np.sqrt(N), rel=1e-12)
    peak = np.maximum.accumulate(np.concatenate([[1.0], growth]))[1:]
    max_dd = np.min(growth / peak - 1)
    assert m["max_drawdown"] == pytest.approx(max_dd, rel=1e-12)
    assert m["calmar"] == pytest.approx(cagr / abs(max_dd), rel=1e-12)
    b = run.returns["benchmark"].to_numpy()
    assert m["benchmark_cagr"] == pytest.approx(np.prod(1 + b) ** (N / n) - 1, rel=1e-12)


def test_equity_and_returns_agree(saved):
    run, config = saved
    equity = run.equity["equity"].to_numpy()
    assert np.allclose(
        equity[1:] / equity[:-1] - 1, run.returns["strategy"].to_numpy()[1:], rtol=0, atol=1e-12
    )
    assert run.metrics["final_equity"] == pytest.approx(equity[-1], rel=1e-12)


def test_trading_metrics(saved):
    run, config = saved
    m = run.metrics
    fills = run.orders[run.orders["status"] == "completed"]
    assert m["trades"] == len(fills)
    n = len(run.returns)
    turnover = (fills["size"].abs() * fills["price"]).sum() / run.equity["equity"].mean() / (n / N)
    assert m["turnover"] == pytest.approx(turnover, rel=1e-12)
    cash_asset = config.params.cash_asset
    risk = run.positions[run.positions["symbol"] != cash_asset]
    held = risk.groupby("date")["symbol"].apply(lambda s: tuple(sorted(s)))
    days = run.equity.index.strftime("%Y-%m-%d")
    held = held.reindex(days)
    assert m["exposure"] == pytest.approx(held.notna().mean(), rel=1e-12)
    sets = [h if isinstance(h, tuple) else () for h in held]
    assert m["switches"] == sum(a != b for a, b in zip(sets, sets[1:], strict=False))
    assert m["switches"] > 0 and 0 < m["exposure"] <= 1


def test_positions_are_valued_at_the_close(saved):
    run, _ = saved
    pos = run.positions
    assert np.allclose(pos["value"], pos["size"] * pos["price"], rtol=1e-12)
    assert pd.Index(pos["date"]).isin(run.equity.index.strftime("%Y-%m-%d")).all()


def test_metrics_equal_quantstats_functions(saved):
    """quantstats is the oracle the numpy metrics follow (it is imported only for tearsheets)."""
    import warnings

    from quantstats import stats as qs

    run, _ = saved
    m, r, b = run.metrics, run.returns["strategy"], run.returns["benchmark"]
    # annual decimals: quantstats deannualises each
    rf = annual_yield(r.index, run.config.data.macro_lag)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oracle = {
            "cagr": qs.cagr(r, periods=N),
            "volatility": qs.volatility(r, periods=N),
            "sharpe": qs.sharpe(r, rf=rf, periods=N),
            "sortino": qs.sortino(r, rf=rf, periods=N),
            "max_drawdown": qs.max_drawdown(r),
            "calmar": qs.calmar(r, periods=N),
            "benchmark_cagr": qs.cagr(b, periods=N),
            "benchmark_sharpe": qs.sharpe(b, rf=rf, periods=N),
            "benchmark_max_drawdown": qs.max_drawdown(b),
        }
    for key, value in oracle.items():
        assert m[key] == pytest.approx(float(value), rel=1e-12, abs=1e-15), key


def test_a_backtest_does_not_import_quantstats():
    import subprocess
    import sys

    code = (
        "import sys; from engine import RunConfig, run_backtest; "
        "run_backtest(RunConfig(strategy='buy_and_hold', start='2015-01-02', end='2015-06-30')); "
        "print('quantstats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
