"""`smallcap backtest` from the command line: JSON output and every kind of bad input."""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error


def test_backtest_json_prints_run_dir_and_metrics(tmp_path, cli):
    result = cli(
        "backtest",
        "buy_and_hold",
        "-p",
        "symbol=IWM",
        "--start",
        "2024-07-01",
        "--end",
        "2024-09-30",
        "--out",
        str(tmp_path),
        "--json",
        "--no-report",
    )
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    run_dir = tmp_path / doc["run_dir"].split("/")[-1]
    assert run_dir.is_dir() and json.loads((run_dir / "metrics.json").read_text()) == doc["metrics"]
    assert doc["metrics"]["start"] == "2024-07-01"


BAD = {
    "unknown strategy": (["backtest", "relative_momentumm"], "did you mean 'relative_momentum'"),
    "unknown parameter": (
        ["backtest", "relative_momentum", "-p", "lookbak=5"],
        "did you mean 'lookback'",
    ),
    "wrong type": (["backtest", "relative_momentum", "-p", "lookback=abc"], "lookback"),
    "out of bounds": (
        ["backtest", "relative_momentum", "-p", "lookback=1"],
        "greater than or equal to 5",
    ),
    "start after end": (
        ["backtest", "buy_and_hold", "--start", "2020-01-01", "--end", "2019-01-01"],
        "after end",
    ),
    "before the data": (
        ["backtest", "relative_momentum", "--start", "1995-01-03"],
        "IWM starts then",
    ),
    "after the data": (["backtest", "buy_and_hold", "--end", "2030-01-01"], "after the data ends"),
    "unknown symbol": (["backtest", "buy_and_hold", "-p", "symbol=XYZ"], "unknown symbol 'XYZ'"),
    "negative cash": (["backtest", "buy_and_hold", "--cash", "-5"], "cash"),
    "negative costs": (["backtest", "buy_and_hold", "--commission-bps", "-1"], "commission_bps"),
    "unknown cost preset": (
        ["backtest", "buy_and_hold", "--costs", "nonee"],
        "did you mean 'none'",
    ),
    "bad fill": (["backtest", "buy_and_hold", "--fill", "noon"], "fill"),
    "bad date": (["backtest", "buy_and_hold", "--start", "2020-02-30"], "not a date"),
    "not key=value": (["backtest", "buy_and_hold", "-p", "symbol"], "key=value"),
    "index not tradable": (["backtest", "buy_and_hold", "-p", "symbol=RUT"], "not a tradable"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, cli, case):
    argv, needle = BAD[case]
    result = cli(*argv, "--out", str(tmp_path / "runs"), "--no-report")
    assert_one_line_error(result, needle)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
