"""The tearsheet's issue-28 parts: metric tables by reference, rolling returns, worst drawdowns
by depth, one exposure, no placeholders, and two renders that are the same bytes."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.runner import run_backtest
from reports._render import number
from reports.drawdowns import worst_drawdowns
from reports.rolling_returns import rolling_return_table
from reports.tearsheet import DROPPED_ROWS, TRADE_ROWS, write_tearsheet


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    cfg = RunConfig(strategy="relative_momentum", start="2013-01-02", end="2020-12-31")
    return run_backtest(cfg).save(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def page(run_dir, tmp_path_factory):
    return write_tearsheet(
        run_dir, tmp_path_factory.mktemp("page") / "t.html", parallel=False
    ).read_text()


def test_metric_tables_say_what_they_are_measured_against(run_dir, page):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    shown = dict(re.findall(r'<td data-key="(\w+)">([^<]*)</td>', page))
    for _, key, fmt in TRADE_ROWS:
        assert shown[key] == number(metrics[key], fmt), key
    assert shown["up_capture"] == number(metrics["up_capture"], "pct")
    assert "Against the benchmark SPY" in page and "Closed round trips (trades.csv" in page
    has_twin = "twin" in (run_dir / "returns.csv").read_text().splitlines()[0].split(",")
    assert ("Against the no-rotation twin" in page) == has_twin  # shown only where there is one
    if has_twin:
        assert shown["tracking_error_twin"] == number(metrics["tracking_error_twin"], "pct")


def test_one_exposure_and_no_placeholder_rows(page):
    for label in DROPPED_ROWS:
        assert f"<td>{label}</td>" not in page, label
    assert page.count("Exposure (time in market") == 1 and "Time in Market" not in page


def test_rolling_returns_recomputed_by_a_loop(run_dir, page):
    returns = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=True)
    rows = {(r["years"], r["series"]): r for r in rolling_return_table(returns)}
    for (years, series), row in rows.items():
        r = returns[series].to_numpy()
        n = 252 * years
        values = [np.prod(1 + r[i - n + 1:i + 1]) ** (1 / years) - 1 for i in range(n - 1, len(r))]
        assert row["windows"] == len(values)
        assert row["best"] == pytest.approx(max(values), rel=1e-9)
        assert row["worst"] == pytest.approx(min(values), rel=1e-9)
        assert row["median"] == pytest.approx(float(np.median(values)), rel=1e-9)
        assert row["positive"] == pytest.approx(np.mean(np.array(values) > 0), rel=1e-12)
    assert 'id="rolling-returns"' in page and number(rows[(5, "benchmark")]["best"], "pct") in page
    short = rolling_return_table(returns.iloc[:300])
    assert short[0]["best"] is not None and short[2]["best"] is None  # 1 year fits, 3 do not


def test_worst_drawdowns_are_the_deepest_as_quantstats_measures_them(run_dir, page):
    import quantstats as qs

    r = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=True)["strategy"]
    ours = worst_drawdowns(r, 5)
    theirs = (
        qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
        .sort_values("max drawdown")
        .head(5)
    )
    assert ours["depth"].to_numpy() * 100 == pytest.approx(
        theirs["max drawdown"].to_numpy(), rel=1e-9
    )
    assert [d.strftime("%Y-%m-%d") for d in ours["valley"]] == list(theirs["valley"])
    assert list(ours["depth"]) == sorted(ours["depth"])
    longest = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r)).sort_values("days").tail(5)
    assert set(longest["valley"]) != set(theirs["valley"])  # longest and deepest differ here
    assert "Worst 5 drawdowns by depth" in page and "Worst 10 drawdowns, deepest first" in page
    assert "Worst 5 Drawdown Periods" not in page


def test_two_renders_of_a_run_are_the_same_bytes(run_dir, tmp_path):
    first = write_tearsheet(run_dir, tmp_path / "a.html", parallel=False).read_bytes()
    second = write_tearsheet(run_dir, tmp_path / "b.html", parallel=True).read_bytes()
    assert first == second and b"<metadata>" not in first and first.count(b"<svg") > 8


def test_a_run_saved_before_these_figures_gets_them_computed(run_dir, page, tmp_path):
    import shutil

    from engine.relative_risk import RELATIVE_KEYS
    from engine.trade_stats import TRADE_KEYS

    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    metrics = json.loads((old / "metrics.json").read_text())
    for key in (*TRADE_KEYS, *RELATIVE_KEYS):
        metrics.pop(key)
    (old / "metrics.json").write_text(json.dumps(metrics))
    html = write_tearsheet(old, tmp_path / "old.html", parallel=False).read_text()
    shown = dict(re.findall(r'<td data-key="(\w+)">([^<]*)</td>', html))
    expected = dict(re.findall(r'<td data-key="(\w+)">([^<]*)</td>', page))
    for key in ("win_rate", "profit_factor", "beta", "up_capture", "information_ratio"):
        assert shown[key] == expected[key] != "", key
