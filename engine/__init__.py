"""smallcap-rotation engine: the backtest core (data, feeds, broker, config, runner, results,
metrics, sweeps). It imports ``strategies`` and ``core`` only, never research, reports or cli.

The public API is re-exported here lazily, so ``import engine`` (and the CLI's start-up) stays
fast: pandas, backtrader and quantstats load only when a function that needs them is used.

>>> from engine import load_market_data
>>> md = load_market_data(["IWM", "SPY"])
>>> md.limited_by
'IWM'
"""

from __future__ import annotations

from core import __version__
from core.lazy import lazy_exports

_EXPORTS = {
    "UserError": "core.errors",
    "DataError": "core.errors",
    "run_sweep": "engine.sweep",
    "Experiment": "engine.sweep",
    "expand": "engine.sweep",
    "MarketData": "engine.data.market",
    "load_market_data": "engine.data.market",
    "open_source": "engine.data.sources",
    "RunConfig": "engine.config",
    "BrokerConfig": "engine.config",
    "run_backtest": "engine.runner",
    "BacktestResult": "engine.results",
}

__all__ = ["__version__", *_EXPORTS]

__getattr__ = lazy_exports(__name__, _EXPORTS)
