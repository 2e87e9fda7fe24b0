"""Golden statistics: each strategy with defaults on a fixed bundled period reproduces the committed
numbers and order list. After an intended change, run `make golden` and review the diff."""

from __future__ import annotations

import json

import pytest
from regen_golden import GOLDEN, PERIOD, golden_stats

from strategies.registry import all_strategies

PINNED = json.loads(GOLDEN.read_text())


def test_golden_file_covers_every_strategy_and_period():
    assert PINNED["period"] == PERIOD
    assert set(PINNED["strategies"]) == {s.name for s in all_strategies()}


@pytest.mark.parametrize("name", sorted(PINNED["strategies"]))
def test_strategy_reproduces_golden_statistics(name):
    got, want = golden_stats(name), PINNED["strategies"][name]
    assert got["trades"] == want["trades"]
    assert got["orders_sha256"] == want["orders_sha256"]
    for key in ("cagr", "sharpe", "max_drawdown"):
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key
