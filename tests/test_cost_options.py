"""The cost options, the same on every command that runs a backtest, and what each result says
about costs: ``--costs none`` is frictionless, single options override the preset, sweeps and
studies pass them to every variant, ``compare`` names different costs or fills, and
``smallcap costs`` answers with the breakeven document."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from engine.config import DEFAULT_SLIPPAGE_BPS

WINDOW = ["--start", "2019-01-02", "--end", "2019-12-31"]


def _broker(run_dir: str | Path) -> dict:
    return tomllib.loads((Path(run_dir) / "config.toml").read_text())["broker"]


def test_backtest_defaults_to_realistic_costs_and_costs_none_is_frictionless(cli, tmp_path):
    runs = {}
    for name, extra in (
        ("default", []),
        ("none", ["--costs", "none"]),
        ("override", ["--costs", "none", "--slippage-bps", "7"]),
    ):
        r = cli(
            "backtest",
            "relative_momentum",
            *WINDOW,
            *extra,
            "--out",
            str(tmp_path / name),
            "--json",
            "--no-report",
        )
        assert r.code == 0, r.stderr
        runs[name] = json.loads(r.stdout)
    assert _broker(runs["default"]["run_dir"])["slippage_bps"] == DEFAULT_SLIPPAGE_BPS
    assert _broker(runs["none"]["run_dir"]) | {"fill": "open"} == _broker(runs["none"]["run_dir"])
    free = _broker(runs["none"]["run_dir"])
    assert all(
        free[k] == 0
        for k in ("commission_bps", "commission_per_share", "commission_min", "slippage_bps")
    )
    assert _broker(runs["override"]["run_dir"])["slippage_bps"] == 7.0
    m = {k: v["metrics"] for k, v in runs.items()}
    assert m["none"]["costs_paid"] == 0.0 and m["default"]["costs_paid"] > 0
    assert m["none"]["final_equity"] > m["default"]["final_equity"] > m["override"]["final_equity"]


def test_backtest_prints_its_costs_beside_its_turnover(cli, tmp_path):
    r = cli("backtest", "relative_momentum", *WINDOW, "--out", str(tmp_path), "--no-report")
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())  # wrapped at 80 columns
    line = text[text.index("costs:") :]
    assert line.startswith("costs: 2 bps slippage per side, no commission; paid ")
    assert "of equity a year; turnover" in line and "two-sided" in line


@pytest.mark.parametrize("command", ["sweep", "walkforward"])
def test_grid_studies_take_the_cost_options(cli, tmp_path, command):
    extra = (
        ["--train", "63", "--test", "63", "--no-report"]
        if command == "walkforward"
        else ["--no-report"]
    )
    r = cli(
        command,
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=21,63",
        *WINDOW,
        "--costs",
        "none",
        "--fill",
        "close",
        "--executor",
        "serial",
        "--out",
        str(tmp_path / command),
        *extra,
        "--json",
    )
    assert r.code == 0, r.stderr
    variants = sorted((tmp_path / command / "variants").iterdir())
    assert len(variants) == 2
    for v in variants:
        assert _broker(v)["slippage_bps"] == 0.0 and _broker(v)["fill"] == "close"


def test_sweep_options_override_the_experiment_file_and_sweep_csv_has_breakeven(cli, tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(
        'name = "costly"\n[defaults]\nstart = 2019-01-02\nend = 2019-12-31\n'
        "broker = { commission_bps = 5.0, slippage_bps = 5.0 }\n"
        '[[variants]]\nstrategy = "relative_momentum"\ngrid = { lookback = [21, 63] }\n'
    )
    r = cli(
        "sweep",
        str(exp),
        "--slippage-bps",
        "1",
        "--executor",
        "serial",
        "--out",
        str(tmp_path / "s"),
        "--no-report",
        "--json",
    )
    assert r.code == 0, r.stderr
    for v in (tmp_path / "s" / "variants").iterdir():
        assert _broker(v)["slippage_bps"] == 1.0 and _broker(v)["commission_bps"] == 5.0
    header = (tmp_path / "s" / "sweep.csv").read_text().splitlines()[0].split(",")
    assert "breakeven_bps" in header and "cost_bps" in header and "turnover" in header


def test_timing_and_signal_take_the_cost_options(cli, tmp_path):
    r = cli(
        "timing",
        "relative_momentum",
        *WINDOW,
        "--costs",
        "none",
        "--executor",
        "serial",
        "--out",
        str(tmp_path / "t"),
        "--json",
    )
    assert r.code == 0, r.stderr
    assert all(_broker(v)["slippage_bps"] == 0.0 for v in (tmp_path / "t" / "variants").iterdir())
    r = cli("signal", "relative_momentum", "--costs", "none", "--json")
    assert r.code == 0, r.stderr
    assert_one_line_error(cli("signal", "relative_momentum", "--costs", "free"), "--costs 'free'")


def test_compare_names_runs_with_different_costs_or_fills(cli, tmp_path):
    """The notes are reports.compare_notes' (one implementation); each row shows its costs."""
    dirs = []
    for name, extra in (("a", []), ("b", ["--costs", "none"]), ("c", ["--fill", "close"])):
        r = cli(
            "backtest",
            "relative_momentum",
            *WINDOW,
            *extra,
            "--out",
            str(tmp_path / name),
            "--json",
            "--no-report",
        )
        dirs.append(json.loads(r.stdout)["run_dir"])
    r = cli("compare", *dirs[:2], "--out", str(tmp_path / "cmp"))
    assert r.code == 0, r.stderr
    assert "differ in costs" in " ".join(r.stderr.split())
    page = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "differ in costs" in page and "Breakeven bps (approx.)" in page
    assert "2 bps slippage per side, no commission; next-open fills" in page
    assert "no costs (frictionless); next-open fills" in page
    r = cli("compare", dirs[0], dirs[2], "--out", str(tmp_path / "cmp2"))
    assert "differ in fills" in " ".join(r.stderr.split())


def test_costs_command_json_contract_and_page(cli, tmp_path):
    r = cli("costs", "breadth_streak", *WINDOW, "--out", str(tmp_path / "c"), "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc["breakeven_bps"]) == {"benchmark", "twin"}
    assert [row["cost_bps"] for row in doc["rows"]] == [0, 1, 2, 5, 10, 25, 50]
    for value in doc["breakeven_bps"].values():
        assert value is None or value == "above 50" or 0 < value <= 50
    row = doc["rows"][3]
    assert {"cagr", "sharpe", "excess_benchmark", "excess_twin", "turnover", "cost_paid"} <= set(
        row
    )
    # any row reproduces with a plain backtest at that slippage and no commission
    b = cli(
        "backtest",
        "breadth_streak",
        *WINDOW,
        "--slippage-bps",
        "5",
        "--commission-bps",
        "0",
        "--out",
        str(tmp_path / "b"),
        "--json",
        "--no-report",
    )
    assert json.loads(b.stdout)["metrics"]["cagr"] == pytest.approx(row["cagr"], rel=1e-12)
    page = (tmp_path / "c" / "costs.html").read_text()
    assert "Against the benchmark" in page and "two-sided" in page
    assert json.loads((tmp_path / "c" / "costs.json").read_text())["rows"] == doc["rows"]


def test_costs_command_refuses_bad_input_in_one_line(cli, tmp_path):
    assert_one_line_error(cli("costs", "breadth_streakk", "--out", str(tmp_path)), "did you mean")
    assert_one_line_error(
        cli("costs", "breadth_streak", "--start", "2019-13-01", "--out", str(tmp_path)),
        "not a date",
    )
    assert not any(tmp_path.iterdir())
