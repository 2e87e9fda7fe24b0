"""Golden statistics: each strategy with defaults on a fixed bundled period reproduces the committed
numbers and order list. After an intended change, run `make golden` and review the diff."""

from __future__ import annotations

import json

import pytest
from regen_golden import (
    GOLDEN,
    MODES,
    PERIOD,
    REGRESSION,
    REGRESSION_PERIOD,
    golden_stats,
    regression_stats,
)

from strategies.registry import all_strategies

PINNED = json.loads(GOLDEN.read_text())



def _ours():
    """The strategies this tool ships (tests register users' files in-process too)."""
    return [s for s in all_strategies() if not s.cls.__module__.startswith("smallcap_user_")]

def test_golden_file_covers_every_strategy_and_period():
    assert PINNED["period"] == PERIOD
    assert set(PINNED["strategies"]) == {s.name for s in _ours()}


@pytest.mark.parametrize("name", sorted(PINNED["strategies"]))
def test_strategy_reproduces_golden_statistics(name):
    got, want = golden_stats(name), PINNED["strategies"][name]
    assert got["trades"] == want["trades"]
    assert got["orders_sha256"] == want["orders_sha256"]
    for key in ("cagr", "sharpe", "max_drawdown"):
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key


REGRESSION_PINNED = json.loads(REGRESSION.read_text())


def test_regression_file_covers_every_strategy_and_mode():
    assert REGRESSION_PINNED["period"] == REGRESSION_PERIOD and REGRESSION_PINNED["modes"] == MODES
    assert set(REGRESSION_PINNED["runs"]) == {f"{s.name}/{m}" for s in _ours() for m in MODES}


@pytest.mark.parametrize("key", sorted(REGRESSION_PINNED["runs"]))
def test_regression_run_reproduces_final_equity_statistics_and_orders(key):
    name, mode = key.split("/")
    got, want = regression_stats(name, mode), REGRESSION_PINNED["runs"][key]
    assert got["orders_sha256"] == want["orders_sha256"]
    for metric, value in want.items():
        if isinstance(value, float):
            assert got[metric] == pytest.approx(value, rel=1e-9, abs=1e-12), metric
        else:
            assert got[metric] == value, metric
