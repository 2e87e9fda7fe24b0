"""Every terminal table fits 80 columns: no line longer, nothing cut with an ellipsis, dates
whole."""

from __future__ import annotations

import re

import pytest

from strategies import all_strategies

DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
COMMANDS = [
    ["data", "list"],
    ["data", "show", "IWM"],
    ["data", "verify"],
    ["data", "returns", "RUT", "IWM", "RSP", "--from", "2024-07-09", "--to", "2024-07-16"],
    ["strategies"],
    *[["strategies", s.name] for s in all_strategies()],
    [
        "backtest",
        "relative_momentum",
        "--start",
        "2019-01-02",
        "--end",
        "2020-12-31",
        "--no-report",
    ],
    ["streaks", "--target", "IWM", "--context", "RSP,SPY,QQQ,NVDA,MSFT"],
    [
        "streaks",
        "--symbol",
        "IWM",
        "--versus",
        "SPY",
        "--relative",
        "--sessions",
        "3",
        "--min-gain",
        "0.005",
    ],
    ["events", "fomc-cuts", "--target", "IWM", "--versus", "SPY", "--context", "IWM,SPY,QQQ"],
    ["events", "fomc-first-cuts", "--no-overlap"],
    ["signal", "rate_regime"],
    ["costs", "breadth_streak", "--start", "2019-01-02", "--end", "2020-12-31", "--no-report"],
]


def _check(stdout: str) -> None:
    lines = stdout.splitlines()
    # a path alone may be longer
    long = [line for line in lines if len(line) > 80 and " " in line.strip()]
    assert not long, long[:3]
    assert "…" not in stdout, [ln for ln in lines if "…" in ln][:3]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_command_output_fits_80_columns(cli, tmp_path, argv):
    extra = ["--out", str(tmp_path)] if argv[0] in ("backtest", "costs") else []
    r = cli(*argv, *extra)
    assert r.code == 0, r.stderr
    _check(r.stdout)


def test_sweep_compare_runs_timing_and_walkforward_tables_fit(cli, tmp_path):
    root = tmp_path / "runs"
    common = ["--start", "2015-01-02", "--end", "2018-12-31", "--executor", "serial"]
    r = cli(
        "sweep",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63,126",
        "--grid",
        "top_n=1,2",
        *common,
        "--out",
        str(root / "s"),
        "--no-report",
    )
    assert r.code == 0, r.stderr
    _check(r.stdout)
    variants = sorted(str(p) for p in (root / "s" / "variants").iterdir())
    for argv in (
        ["compare", *variants, "--out", str(root / "c")],
        ["runs", "--root", str(root)],
        [
            "timing",
            "relative_momentum",
            "-p",
            "rebalance=weekly",
            "--start",
            "2015-01-02",
            "--end",
            "2016-12-30",
            "--executor",
            "serial",
            "--out",
            str(root / "t"),
        ],
        [
            "walkforward",
            "--strategy",
            "relative_momentum",
            "--grid",
            "lookback=63,126",
            *common,
            "--train",
            "1y",
            "--test",
            "1y",
            "--out",
            str(root / "w"),
            "--no-report",
        ],
    ):
        r = cli(*argv)
        assert r.code == 0, r.stderr
        _check(r.stdout)


def test_no_table_needs_more_than_80_columns(cli):
    """Rich crops (silently) what does not fit: measure the widest tables' minimum widths."""
    import json

    from rich.console import Console

    from cli.present import params_table

    for spec in all_strategies():
        doc = json.loads(cli("strategies", spec.name, "--json").stdout)
        table = params_table(doc["params"])
        console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        assert console.measure(table).minimum <= 80, spec.name
        console.print(table)
        words = console.export_text().split()
        for p in doc["params"]:  # every word of every meaning is printed, none cropped
            for word in p["meaning"].split():
                assert any(word in w or w in word for w in words if len(w) > 2 or w == word), (
                    spec.name,
                    word,
                )
