"""The register of backtrader's private names this project uses, and the check that they exist.

backtrader (pinned: ``backtrader==1.9.78.123`` in pyproject.toml) has no hooks for the speed-ups
and fixes in four of our subclasses, so they override or read names it does not promise to
keep. Every such name is listed in :data:`PRIVATE`, by the backtrader class that owns it, with
the subclass that relies on it:

* ``engine.lean_cerebro.LeanCerebro`` (``Cerebro``): one pass over aligned feeds per session;
* ``engine.feeds.ArrayFeed`` (``AbstractDataBase``, ``LineBuffer``): preloaded numpy arrays;
* ``engine.broker.CashStockBroker`` and ``CostModel`` (``BackBroker``, ``CommInfoBase``): the
  value of a stock-only cash account, commissions with a minimum;
* ``strategies.base.RotationStrategy`` (``Strategy``): the minimum-period check kept once
  passed, notifications without the broker reads nobody listens to, feeds by name.

Reads outside the per-bar loops go through the functions here (:func:`feed_name`); the per-bar
code reads the names directly (a function call per bar and line would cost what it saves), so
this register is what a reader checks. :func:`missing` names what the installed backtrader
lacks; ``tests/test_private_adapters.py`` runs a real backtest, checks every name on the live
objects and fails naming this module when the pin moves and one is gone.
"""

from __future__ import annotations

from typing import Any

#: The backtrader version these names were checked against.
PINNED = "1.9.78.123"

#: backtrader class -> private names (methods we override or call, attributes we read or set).
PRIVATE: dict[str, tuple[str, ...]] = {
    "Cerebro": ("_runonce", "_brokernotify", "_event_stop", "_timers", "_timerscheat"),
    "Strategy": ("_once", "_oncepost", "_getminperstatus", "_minperstatus", "_notify",
                 "_orderspending", "_tradespending", "_slave_analyzers"),
    "BackBroker": ("_get_value", "_toactivate", "_process_order_history", "_ococheck",
                   "_bracketize", "_try_exec", "_cash_addition", "_fundhist", "_fundshares",
                   "_value", "_fundval", "_valuemkt", "_valuelever", "_valuemktlever",
                   "_leverage", "_unrealized"),
    "CommInfoBase": ("_getcommission",),
    "AbstractDataBase": ("_name", "_dt", "_preloaded", "_load", "_last"),
    "LineBuffer": ("_idx",),
}


def feed_name(data: Any) -> str:
    """The name a feed was added under (``cerebro.adddata(feed, name=...)``): its symbol."""
    return data._name


def missing(objects: dict[str, Any]) -> list[str]:
    """``Class.name`` for each name of :data:`PRIVATE` that the live object given for its class
    in ``objects`` (an instance: a run's cerebro, strategy, broker, feed...) does not have."""
    return [f"{owner}.{name}" for owner, names in PRIVATE.items() if owner in objects
            for name in names if not hasattr(objects[owner], name)]
