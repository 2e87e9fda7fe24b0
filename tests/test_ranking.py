"""One ranking function for terminal, JSON and pages: direction per metric, checked up front."""

from __future__ import annotations

import csv
import re

import pytest
from conftest import assert_one_line_error

from cli.parse import parse_assignments, parse_grid
from core.errors import UserError
from engine.metrics import rank

ROWS = [{"id": "a", "volatility": 0.20, "max_drawdown": -0.30, "sharpe": 0.5},
        {"id": "b", "volatility": 0.10, "max_drawdown": -0.50, "sharpe": None},
        {"id": "c", "volatility": 0.15, "max_drawdown": -0.10, "sharpe": 0.9}]


@pytest.mark.parametrize(
    "metric, order", [("volatility", "bca"), ("max_drawdown", "cab"), ("sharpe", "cab")]
)
def test_direction_per_metric_and_missing_last(metric, order):
    assert "".join(r["id"] for r in rank(ROWS, metric)) == order


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(UserError, match="did you mean 'sharpe'"):
        rank(ROWS, "sharp")


def test_rank_by_is_checked_before_any_work(cli, tmp_path):
    r = cli(
        "sweep",
        "--strategy",
        "buy_and_hold",
        "--grid",
        "symbol=SPY,IWM",
        "--rank-by",
        "nonsense",
        "--out",
        str(tmp_path / "s"),
    )
    assert_one_line_error(r, "unknown metric 'nonsense'")
    assert not (tmp_path / "s").exists()


def test_terminal_and_page_rank_volatility_the_same_way(cli, tmp_path):
    r = cli(
        "sweep",
        "--strategy",
        "buy_and_hold",
        "--grid",
        "symbol=SPY,IWM,TLT",
        "--start",
        "2015-01-02",
        "--end",
        "2015-12-31",
        "--executor",
        "serial",
        "--rank-by",
        "volatility",
        "--out",
        str(tmp_path / "s"),
    )
    assert r.code == 0, r.stderr
    terminal = re.findall(r"^ ?([0-9a-f]{8}) ", r.stdout, flags=re.M)
    page = re.findall(r'data-run="([0-9a-f]{8})"', (tmp_path / "s" / "comparison.html").read_text())
    assert len(terminal) == 3 and terminal == page
    with open(tmp_path / "s" / "sweep.csv") as f:
        vols = {row["id"]: float(row["volatility"]) for row in csv.DictReader(f)}
    assert len(set(vols.values())) == 3
    assert [vols[i] for i in terminal] == sorted(vols.values())  # lowest volatility first


def test_key_value_parser():
    assert parse_assignments(["lookback=126", " top_n = 2 "]) == {"lookback": "126", "top_n": "2"}
    assert parse_grid(["lookback=63, 126,252"]) == {"lookback": ["63", "126", "252"]}
    for bad in ("lookback", "=5", "lookback="):
        with pytest.raises(UserError, match="is not key=value"):
            parse_assignments([bad])
