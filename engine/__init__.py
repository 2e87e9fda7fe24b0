"""smallcap-rotation engine: data, backtests, sweeps and event studies.

The public API is re-exported here lazily, so ``import engine`` (and the CLI's start-up) stays
fast: pandas, backtrader and quantstats load only when a function that needs them is used.

>>> from engine import load_market_data
>>> md = load_market_data(["IWM", "SPY"])
>>> md.limited_by
'IWM'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "UserError": "engine.errors",
    "DataError": "engine.errors",
    "MarketData": "engine.data.market",
    "load_market_data": "engine.data.market",
    "open_source": "engine.data.sources",
    "RunConfig": "engine.config",
    "BrokerConfig": "engine.config",
    "run_backtest": "engine.runner",
    "BacktestResult": "engine.results",
    "run_sweep": "engine.sweep",
    "find_streaks": "engine.events",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
