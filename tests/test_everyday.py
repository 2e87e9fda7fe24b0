"""Everyday use: sweeps never overwrite, one window per comparison, runs you can find, a signal for
today, and the small things (dates in config.toml, plurals, refusals explained)."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from engine.config import RunConfig
from engine.data.catalog import bundled_root
from engine.runner import run_backtest

GRID = [
    "--strategy",
    "relative_momentum",
    "--grid",
    "lookback=63,252",
    "--executor",
    "serial",
    "--no-report",
]


def test_a_second_sweep_never_overwrites_the_first(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = cli("sweep", *GRID, "--end", "2012-12-31", "--json")
    second = cli("sweep", *GRID[:3], "lookback=21", *GRID[4:], "--end", "2012-12-31", "--json")
    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    a, b = json.loads(first.stdout)["out"], json.loads(second.stdout)["out"]
    assert a != b and Path(a).parent == Path(b).parent == Path("runs")
    # the first sweep's table is intact
    assert len(Path(a, "sweep.csv").read_text().splitlines()) == 3
    before = sorted(p.name for p in Path(a, "variants").iterdir())
    refused = cli("sweep", *GRID[:3], "lookback=21", *GRID[4:], "--end", "2012-12-31", "--out", a)
    assert_one_line_error(refused, "holds another sweep", "--force")
    assert sorted(p.name for p in Path(a, "variants").iterdir()) == before


def test_variants_share_one_measured_window_and_say_so(cli, tmp_path):
    r = cli("sweep", *GRID, "--out", str(tmp_path / "s"), "--json")
    doc = json.loads(r.stdout)
    windows = {(v["metrics"]["start"], v["metrics"]["end"]) for v in doc["ranked"]}
    assert len(windows) == 1
    assert "the latest first session after warm-up (252 sessions" in doc["common_start"]


def test_compare_uses_the_common_window_and_refuses_mixed_benchmarks(cli, tmp_path):
    a = run_backtest(RunConfig(strategy="buy_and_hold", start="2010-01-04", end="2014-12-31")).save(
        tmp_path
    )
    b = run_backtest(RunConfig(strategy="buy_and_hold", start="2012-01-03", end="2016-12-30")).save(
        tmp_path
    )
    r = cli("compare", str(a), str(b), "--out", str(tmp_path / "c"), "--json")
    assert r.code == 0, r.stderr
    ranked = json.loads(r.stdout)["ranked"]
    # every figure on one window
    assert {row["window"] for row in ranked} == {"2012-01-03 .. 2014-12-31"}
    assert len({row["own_window"] for row in ranked}) == 2
    page = (tmp_path / "c" / "comparison.html").read_text()
    assert "2012-01-03 .. 2014-12-31 (common window)" in page
    cagrs = [row["metrics"]["cagr"] for row in json.loads(r.stdout)["ranked"]]
    # the same holding on the same window (own periods: 13% vs 16%)
    assert abs(cagrs[0] - cagrs[1]) < 0.002
    c = run_backtest(
        RunConfig(strategy="buy_and_hold", benchmark="IWM", start="2012-01-03", end="2014-12-31")
    ).save(tmp_path)
    assert_one_line_error(
        cli("compare", str(a), str(c), "--out", str(tmp_path / "d")), "different benchmarks"
    )


def test_runs_list_show_rm_and_gc(cli, tmp_path):
    root = tmp_path / "runs"
    for lb in (63, 126):
        run_backtest(
            RunConfig(
                strategy="relative_momentum",
                params={"lookback": lb},
                start="2015-01-02",
                end="2015-12-31",
            )
        ).save(root)
    rows = json.loads(cli("runs", "--root", str(root), "--json").stdout)
    assert (
        len(rows) == 2
        and {r["kind"] for r in rows} == {"run"}
        and all(r["cagr"] is not None for r in rows)
    )
    shown = json.loads(cli("runs", "show", rows[0]["id"], "--root", str(root), "--json").stdout)
    assert "metrics.json" in shown["files"] and shown["metrics"]["start"] == "2015-01-02"
    assert_one_line_error(cli("runs", "show", "nope", "--root", str(root)), "no run 'nope'")
    stale = root / f".tmp-dead-{2**22 + 12345}"
    stale.mkdir()
    live = root / f".tmp-live-{os.getpid()}"
    live.mkdir()
    assert cli("runs", "gc", "--root", str(root), "--yes").code == 0
    assert not stale.exists() and live.exists()
    assert cli("runs", "rm", rows[0]["id"], "--root", str(root), "--yes").code == 0
    assert len(json.loads(cli("runs", "--root", str(root), "--json").stdout)) == 1


def test_csv_data_without_dtb3_uses_the_bundled_cash_rate_and_says_so(cli, tmp_path):
    for s in ("IWM", "SPY", "QQQ"):
        shutil.copy(bundled_root() / "etf" / f"{s}.csv", tmp_path / f"{s}.csv")
    r = cli(
        "backtest",
        "relative_momentum",
        "--data",
        f"csv:{tmp_path}",
        "--start",
        "2015-01-02",
        "--end",
        "2016-12-30",
        "--no-report",
        "--out",
        str(tmp_path / "runs"),
        "--json",
    )
    assert r.code == 0, r.stderr
    m = json.loads(r.stdout)["metrics"]
    assert "bundled DTB3" in m["risk_free_source"] and m["risk_free"] == {
        "series": "DTB3",
        "lag": 1,
    }


def test_signal_says_what_to_hold_why_and_how_old_the_data_is(cli):
    doc = json.loads(cli("signal", "relative_momentum", "--json").stdout)
    assert doc["last_data"] == "2025-09-26" and doc["decided_on"] == "2025-08-29"
    assert doc["next_decision"] == "2025-09-30"
    assert (
        sum(doc["target"].values()) == pytest.approx(1.0) and "126-session returns" in doc["reason"]
    )
    assert doc["stale_days"] > 0 and doc["stale_sessions"] > 0


def test_config_toml_records_the_dates_used_and_refusals_are_explained(tmp_path):
    r = run_backtest(RunConfig(strategy="buy_and_hold", params={"symbol": "IWM"}))
    run_dir = r.save(tmp_path)
    cfg = tomllib.loads((run_dir / "config.toml").read_text())
    assert cfg["start"] == "2000-05-26" and cfg["end"] == "2025-09-26"
    assert any(
        w.startswith("1 order refused for cash: the open gapped")
        and "IWM +1.44% on 2000-05-30" in w
        for w in r.warnings
    )
