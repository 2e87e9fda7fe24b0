"""Canaries: the private names of backtrader and quantstats this project relies on are all
there in the installed versions. When a pin moves, these fail naming the adapter to update."""

from __future__ import annotations

from importlib.metadata import version

import engine.runner as runner
from engine.config import RunConfig
from reports import qs_private
from strategies import bt_private


def _live_backtrader_objects(monkeypatch) -> dict:
    """The objects of a real (short) backtest: cerebro, strategy, broker, a feed, a line."""
    seen: dict = {}
    replay = runner._replay

    def keep(cerebro, strategy):
        strat = replay(cerebro, strategy)
        feed = cerebro.datas[0]
        seen.update(Cerebro=cerebro, Strategy=strat, BackBroker=cerebro.broker,
                    CommInfoBase=cerebro.broker.getcommissioninfo(feed),
                    AbstractDataBase=feed, LineBuffer=feed.lines.close)
        return strat

    monkeypatch.setattr(runner, "_replay", keep)
    runner.run_backtest(RunConfig(strategy="relative_momentum", start="2024-01-02",
                                  end="2024-03-28"))
    return seen


def test_backtrader_still_has_every_private_name_we_use(monkeypatch):
    installed = version("backtrader")
    assert installed == bt_private.PINNED, (
        f"backtrader is {installed}, but strategies/bt_private.py was checked against "
        f"{bt_private.PINNED}: check every name of its PRIVATE register, then update PINNED")
    objects = _live_backtrader_objects(monkeypatch)
    assert set(objects) == set(bt_private.PRIVATE)
    gone = bt_private.missing(objects)
    assert gone == [], f"backtrader {installed} lacks {gone}: see strategies/bt_private.py"


def test_quantstats_still_has_every_private_name_we_use():
    installed = version("quantstats")
    assert installed == qs_private.PINNED, (
        f"quantstats is {installed}, but reports/qs_private.py was checked against "
        f"{qs_private.PINNED}: check every name of its PRIVATE list, then update PINNED")
    assert qs_private.missing() == [], \
        f"quantstats {installed} lacks {qs_private.missing()}: see reports/qs_private.py"


def test_the_canaries_can_fail(monkeypatch):
    """A name the library does not have is reported, for each adapter."""
    monkeypatch.setitem(bt_private.PRIVATE, "Cerebro", ("_runonce", "_no_such_thing"))
    assert bt_private.missing({"Cerebro": object()}) == [
        "Cerebro._runonce",
        "Cerebro._no_such_thing",
    ]
    monkeypatch.setattr(qs_private, "PRIVATE", (*qs_private.PRIVATE, "quantstats.utils:_gone"))
    assert qs_private.missing() == ["quantstats.utils:_gone"]


def test_no_private_quantstats_name_outside_its_adapter():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    users = {str(p.relative_to(root)) for package in ("reports", "research", "engine", "cli")
             for p in (root / package).rglob("*.py")
             if re.search(r"quantstats\._", p.read_text())}
    assert users == {"reports/qs_private.py"}, users
