"""Honest warm-up (issue 23): a start that leaves too little history for the strategy's warm-up
is refused, naming the first start that works; every start a hint suggests works, and the run
from it decides on its first measured session."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import assert_one_line_error

from engine.config import RunConfig
from engine.runner import earliest_start

CASES = [("relative_momentum", "2000-05-26", "2000-11-24"),  # the start the old hint suggested
         ("breadth_rotation", "2005-01-03", "2005-03-16")]   # RSP's first session, 50 to go


def _suggested(stderr: str) -> str:
    return re.search(r"use --start (\d{4}-\d{2}-\d{2})", stderr).group(1)


@pytest.mark.parametrize("strategy, too_early, first", CASES)
def test_a_start_inside_the_warm_up_is_refused_with_the_first_that_works(
    cli, tmp_path, strategy, too_early, first
):
    r = cli(
        "backtest", strategy, "--start", too_early, "--end", "2006-12-29", "--out", str(tmp_path)
    )
    assert_one_line_error(
        r, f"start {too_early} leaves 0 sessions of history", "warm-up", f"--start {first}"
    )
    assert not any(tmp_path.iterdir())  # nothing written
    assert earliest_start(RunConfig(strategy=strategy)).isoformat() == first
    r = cli(
        "backtest",
        strategy,
        "--start",
        _suggested(r.stderr),
        "--end",
        "2006-12-29",
        "--no-report",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert r.code == 0, r.stderr
    run = tmp_path / json.loads(r.stdout)["run_dir"].split("/")[-1]
    decisions = pd.read_csv(run / "decisions.csv")
    assert decisions["date"].iloc[0] == first  # it decides on the first measured session
    # benchmark measured from there too
    assert pd.read_csv(run / "returns.csv")["date"].iloc[0] == first


def test_a_start_before_the_data_suggests_one_after_the_warm_up(cli, tmp_path):
    r = cli(
        "backtest",
        "relative_momentum",
        "--start",
        "1999-01-04",
        "--end",
        "2001-12-31",
        "--out",
        str(tmp_path),
    )
    assert_one_line_error(r, "before the data begins on 2000-05-26", "--start 2000-11-24")
    r = cli(
        "backtest",
        "relative_momentum",
        "--start",
        _suggested(r.stderr),
        "--end",
        "2001-12-31",
        "--no-report",
        "--out",
        str(tmp_path),
    )
    assert r.code == 0, r.stderr


def test_the_strategy_page_names_the_first_start(cli):
    doc = json.loads(cli("strategies", "breadth_rotation", "--json").stdout)
    window = doc["data"]["window"]
    assert window["first_start"] == "2005-03-16" and window["warmup"] == 50
    assert "first start 2005-03-16" in " ".join(
        cli("strategies", "breadth_rotation").stdout.split()
    )
