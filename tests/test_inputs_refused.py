"""Input that used to be accepted without a word (or crashed), now refused in one line or
honoured: NaN weights, future rows, odd option values and config tables, a damaged returns.csv,
a page path through a file, costs blamed on gaps, control characters echoed, shared folders."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error, write_csv

SHORT = ["--start", "2015-01-02", "--end", "2015-06-30", "--no-report"]

NAN = '''
from strategies import register
from strategies.builtin.momentum import RelativeMomentum

@register
class NanMomentum(RelativeMomentum):
    """Relative momentum whose weights turn NaN after a while."""
    name = "nan_momentum"
    # a test's strategy: the golden matrices leave out strategies from users' files

    def targets(self):
        weights, why = super().targets()
        if self.today >= "2015-03-02":
            return {s: float("nan") for s in weights} or {"SPY": float("inf")}, why
        return weights, why
'''


def test_a_nan_target_weight_is_refused_naming_strategy_and_session(cli, tmp_path):
    path = tmp_path / "nan.py"
    path.write_text(NAN)
    r = cli(
        "backtest",
        "nan_momentum",
        "--strategy-file",
        str(path),
        *SHORT,
        "--out",
        str(tmp_path / "r"),
    )
    assert_one_line_error(
        r, "strategy 'nan_momentum' gave", "a target weight of nan on 2015-03-", "finite"
    )


def test_rows_dated_after_today_are_refused(tmp_path):
    from core.errors import DataError
    from engine.data.readers import read_series_csv
    from engine.data.validate import validate_series

    late = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    path = write_csv(
        tmp_path / "X.csv", f"date,close\n2024-07-01,100\n2024-07-02,101\n{late},102\n"
    )
    with pytest.raises(DataError, match=f"{late}.*dated after today"):
        validate_series(read_series_csv(path)[1].drop(columns="_line"), str(path), "index")


@pytest.mark.parametrize(
    "argv, needle",
    [
        (
            [
                "timing",
                "relative_momentum",
                "--tranches",
                "0",
                "--start",
                "2015-01-02",
                "--end",
                "2015-12-31",
            ],
            "--tranches 0 is not between 2",
        ),
        (["data", "show", "IWM", "--rows", "-1"], "--rows"),
        (
            ["backtest", "rate_regime", "-p", "rate_series=SPY", *SHORT],
            "rate_series=SPY is a price series",
        ),
        (
            [
                "walkforward",
                "--strategy",
                "relative_momentum",
                "--grid",
                "lookback=21,63",
                "--start",
                "2015-01-02",
                "--end",
                "2015-12-31",
                "--train",
                "200",
                "--test",
                "100",
                "--executor",
                "serial",
            ],
            "fewer than the train window (200) plus the test window (100)",
        ),
    ],
)
def test_option_values_that_used_to_pass(cli, tmp_path, argv, needle):
    assert_one_line_error(
        cli(*argv, "--out", str(tmp_path / "o")) if argv[0] != "data" else cli(*argv), needle
    )


@pytest.mark.parametrize("text, needle", [('params = "x"', "'params' must be a table"),
                                          ("broker = 5", "'broker' must be a table"),
                                          ("data = 5", "data")])
def test_config_tables_of_the_wrong_type_are_one_line(cli, tmp_path, text, needle):
    config = tmp_path / "c.toml"
    config.write_text(f'strategy = "buy_and_hold"\n{text}\n')
    assert_one_line_error(
        cli("backtest", "--config", str(config), *SHORT, "--out", str(tmp_path / "o")), needle
    )


def test_an_html_path_through_a_file_is_one_line(cli, tmp_path):
    (tmp_path / "f").write_text("a file")
    r = cli(
        "streaks",
        "--start",
        "2015-01-02",
        "--end",
        "2015-12-31",
        "--html",
        str(tmp_path / "f" / "x.html"),
    )
    assert_one_line_error(r, "could not write the streaks page", "a file is in the way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.fixture(scope="module")
def two_variant_sweep(tmp_path_factory, bundled):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("sweep") / "s"
    r = run_cli("sweep", "--strategy", "relative_momentum", "--grid", "lookback=21,63", *SHORT,
                "--executor", "serial", "--out", str(out))
    assert r.code == 0, r.stderr
    return out


def _damage(run: Path) -> None:
    lines = (run / "returns.csv").read_text().splitlines()
    cells = lines[3].split(",")
    lines[3] = ",".join([cells[0], "abc", *cells[2:]])
    (run / "returns.csv").write_text("\n".join(lines) + "\n")


def test_a_returns_csv_with_a_non_number_is_one_line_for_compare_and_redone_on_resume(cli, tmp_path,
                                                                                       two_variant_sweep):
    out = tmp_path / "s"
    shutil.copytree(two_variant_sweep, out)
    runs = sorted(p for p in (out / "variants").iterdir() if p.is_dir())
    _damage(runs[0])
    assert_one_line_error(
        cli("compare", *map(str, runs), "--out", str(tmp_path / "c")), "damaged", "returns.csv"
    )
    r = cli("sweep", "--strategy", "relative_momentum", "--grid", "lookback=21,63", *SHORT,
            "--executor", "serial", "--out", str(out), "--resume", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["skipped"] == 1  # the damaged one ran again
    assert pd.read_csv(runs[0] / "returns.csv")["strategy"].dtype == float


def test_a_refusal_caused_by_costs_names_the_costs(cli, tmp_path):
    r = cli(
        "backtest",
        "relative_momentum",
        *SHORT,
        "--commission-min",
        "50000",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert r.code == 0, r.stderr
    refusals = [w for w in json.loads(r.stdout)["warnings"] if "refused" in w]
    assert all(
        "costs left too little cash" in w and "50,000.00" in w and "gapped" not in w
        for w in refusals
    )


def test_control_characters_in_arguments_are_escaped(cli, tmp_path):
    r = cli("backtest", "buy\x1b[31mand\x07hold", *SHORT, "--out", str(tmp_path))
    assert_one_line_error(r, "buy\\x1b[31mand\\x07hold")
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    r = cli("backtest", "--bogus\x1b[2J", "buy_and_hold")
    assert r.code == 2 and "\x1b" not in r.stderr and "\\x1b[2J" in r.stderr


def test_default_folders_are_unique_within_a_second(tmp_path, monkeypatch):
    from engine.results import fresh_folder

    first, second = fresh_folder("compare", tmp_path), fresh_folder("compare", tmp_path)
    assert (
        first != second and first.is_dir() and second.is_dir() and second.name == f"{first.name}-2"
    )


def test_a_refused_force_sweep_leaves_the_running_sweeps_experiment_json_alone(cli, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    marker = out / "experiment.json"
    marker.write_text('{"ids": ["aaaaaaaa"], "name": "s"}\n')
    before = marker.read_bytes()
    with open(out / ".lock", "a+") as handle:  # a sweep running in that folder
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = cli("sweep", "--strategy", "relative_momentum", "--grid", "lookback=21,63", *SHORT,
                "--executor", "serial", "--out", str(out), "--force")
    assert_one_line_error(r, "another sweep is writing into")
    assert marker.read_bytes() == before


def test_grid_size_is_announced_and_bounded_by_memory():
    from core.errors import UserError
    from engine.sweep import check_size, expand, grid_experiment

    heard: list[int] = []
    exp = grid_experiment("relative_momentum", {"lookback": list(range(5, 25))})
    assert len(expand(exp, on_size=heard.append)) == 20 and heard == []  # small: not announced
    with pytest.raises(UserError, match="more than half the 0.1 GB of memory available"):
        check_size(20_000, memory=100 * 2**20)
    check_size(20_000, memory=8 * 2**30)
    monkey = grid_experiment(
        "relative_momentum", {"lookback": list(range(5, 25)), "top_n": [1, 2, 3]}
    )
    import engine.sweep as sweep

    old, sweep.ANNOUNCE_VARIANTS = sweep.ANNOUNCE_VARIANTS, 10
    try:
        expand(monkey, on_size=heard.append)
    finally:
        sweep.ANNOUNCE_VARIANTS = old
    assert heard == [60]
