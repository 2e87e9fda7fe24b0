"""Trade statistics and relative risk (issue 28): each figure of metrics.json recomputed here
from the saved files by a separate, direct computation (csv module and plain loops for trades,
numpy for returns)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.relative_risk import capture_ratios, relative_risk
from engine.runner import run_backtest
from engine.trade_stats import trade_statistics


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    cfg = RunConfig(strategy="relative_momentum", params={"lookback": 42}, start="2014-01-02",
                    end="2021-12-31")
    return run_backtest(cfg).save(tmp_path_factory.mktemp("run"))


def test_trade_statistics_recomputed_from_trades_csv(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    with open(run_dir / "trades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    pnl = [float(r["pnl_net"]) for r in rows]
    won = [p for p in pnl if p > 0]
    lost = [p for p in pnl if p < 0]
    assert len(rows) > 10 and lost and won
    assert metrics["round_trips"] == len(rows)
    assert metrics["trades_won"] == len(won)
    assert metrics["win_rate"] == pytest.approx(len(won) / len(rows), rel=1e-12)
    assert metrics["avg_hold_sessions"] == pytest.approx(
        sum(int(r["sessions"]) for r in rows) / len(rows), rel=1e-12)
    assert metrics["avg_win"] == pytest.approx(math.fsum(won) / len(won), rel=1e-9)
    assert metrics["avg_loss"] == pytest.approx(math.fsum(lost) / len(lost), rel=1e-9)
    assert metrics["best_trade"] == max(pnl) and metrics["worst_trade"] == min(pnl)
    assert metrics["profit_factor"] == pytest.approx(math.fsum(won) / -math.fsum(lost), rel=1e-9)


def test_trade_statistics_edge_cases():
    empty = trade_statistics(pd.DataFrame())
    assert empty["round_trips"] == 0 and empty["trades_won"] == 0
    assert empty["win_rate"] is None and empty["profit_factor"] is None
    only_wins = trade_statistics(pd.DataFrame({"sessions": [3, 5], "pnl_net": [10.0, 30.0]}))
    assert only_wins["profit_factor"] is None and only_wins["avg_loss"] is None
    assert only_wins["win_rate"] == 1.0 and only_wins["avg_win"] == 20.0
    flat = trade_statistics(pd.DataFrame({"sessions": [2, 4, 6], "pnl_net": [0.0, 5.0, -10.0]}))
    assert flat["trades_won"] == 1 and flat["win_rate"] == pytest.approx(1 / 3)  # 0 is no win
    assert (
        flat["avg_loss"] == -10.0
        and flat["profit_factor"] == 0.5
        and flat["avg_hold_sessions"] == 4.0
    )


def _monthly(values: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Calendar-month compounded returns, by a loop over the months."""
    keys = index.year * 100 + index.month
    return np.array([np.prod(1 + values[keys == k]) - 1 for k in np.unique(keys)])


def _capture(r: np.ndarray, b: np.ndarray, up: bool) -> float:
    mask = b > 0 if up else b < 0
    n = mask.sum()
    return (np.prod(1 + r[mask]) ** (1 / n) - 1) / (np.prod(1 + b[mask]) ** (1 / n) - 1)


def test_relative_risk_recomputed_with_numpy(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    returns = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=True)
    r, b = returns["strategy"].to_numpy(), returns["benchmark"].to_numpy()
    slope = np.polyfit(b, r, 1)[0]  # OLS slope of r on b is the beta
    assert metrics["beta"] == pytest.approx(slope, rel=1e-9)
    dr, db = r - r.mean(), b - b.mean()
    assert metrics["correlation"] == pytest.approx(
        (dr @ db) / np.sqrt((dr @ dr) * (db @ db)), rel=1e-9
    )
    active = r - b
    te = np.sqrt(((active - active.mean()) ** 2).sum() / (len(active) - 1) * 252)
    assert metrics["tracking_error"] == pytest.approx(te, rel=1e-9)
    assert metrics["information_ratio"] == pytest.approx(active.mean() * 252 / te, rel=1e-9)
    mr, mb = _monthly(r, returns.index), _monthly(b, returns.index)
    assert metrics["up_capture"] == pytest.approx(_capture(mr, mb, True), rel=1e-9)
    assert metrics["down_capture"] == pytest.approx(_capture(mr, mb, False), rel=1e-9)
    twin = r - returns["twin"].to_numpy()  # the run's saved no-rotation twin
    te_twin = np.sqrt(((twin - twin.mean()) ** 2).sum() / (len(twin) - 1) * 252)
    assert metrics["tracking_error_twin"] == pytest.approx(te_twin, rel=1e-9)
    assert metrics["information_ratio_twin"] == pytest.approx(twin.mean() * 252 / te_twin, rel=1e-9)


def test_twin_figures_only_where_there_is_a_twin(run_dir):
    returns = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=True)
    returns = returns[["strategy", "benchmark"]]
    twin = returns["benchmark"] * 0.5 + returns["strategy"] * 0.25
    out = relative_risk(returns.assign(twin=twin))
    active = returns["strategy"].to_numpy() - twin.to_numpy()
    te = np.std(active, ddof=1) * np.sqrt(252)
    assert out["tracking_error_twin"] == pytest.approx(te, rel=1e-9)
    assert out["information_ratio_twin"] == pytest.approx(active.mean() * 252 / te, rel=1e-9)
    assert out["beta"] == relative_risk(returns)["beta"]  # the benchmark figures do not move
    assert "tracking_error_twin" not in relative_risk(returns)  # no twin, no twin figures


def test_planted_relations():
    """A strategy that is the benchmark: beta 1, correlation 1, captures 1, no active risk. Twice
    the benchmark: beta 2. Cash in down months: down capture 0."""
    days = pd.bdate_range("2020-01-01", periods=300)
    b = pd.Series(np.random.default_rng(3).normal(0.0003, 0.01, len(days)), index=days)
    same = relative_risk(pd.DataFrame({"strategy": b, "benchmark": b}))
    assert same["beta"] == pytest.approx(1.0) and same["correlation"] == pytest.approx(1.0)
    assert same["up_capture"] == pytest.approx(1.0) and same["down_capture"] == pytest.approx(1.0)
    assert same["tracking_error"] is None and same["information_ratio"] is None
    assert relative_risk(pd.DataFrame({"strategy": 2 * b, "benchmark": b}))[
        "beta"
    ] == pytest.approx(2.0)
    month = days.year * 100 + days.month
    down = (1 + b).groupby(month).transform("prod") < 1
    up, dn = capture_ratios(pd.DataFrame({"strategy": b.where(~down, 0.0), "benchmark": b}))
    assert dn == 0.0 and up == pytest.approx(1.0)
    short = relative_risk(pd.DataFrame({"strategy": b[:40], "benchmark": b[:40] * 0.9}))
    assert short["tracking_error"] is None and short["beta"] is not None  # too short to annualise


def test_the_terminal_table_shows_trips_and_relative_risk(cli, tmp_path):
    result = cli("backtest", "relative_momentum", "--start", "2018-01-02", "--end", "2020-12-31",
                 "--out", str(tmp_path), "--no-report")
    assert result.code == 0, result.stderr
    run_dir = next(p for p in tmp_path.iterdir() if p.is_dir())
    m = json.loads((run_dir / "metrics.json").read_text())
    lines = result.stdout.splitlines()
    shown = {" ".join(line.split()[:-1]): line.split()[-1] for line in lines if "vs bench" in line}
    assert shown["information ratio vs bench"] == f"{m['information_ratio']:.2f}"
    assert shown["down capture (months) vs bench"] == f"{m['down_capture']:.2%}"
    assert shown["beta vs bench"] == f"{m['beta']:.2f}"
    assert f"{m['win_rate']:.2%} of {m['round_trips']}" in result.stdout
