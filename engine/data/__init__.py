"""Market data: sources (bundled, csv:DIR, yahoo), one validator, adjustment and alignment."""

from engine.data.market import (
           MarketData,
           SeriesInfo,
           adjust_total_return,
           align_asof,
           load_market_data,
)
from engine.data.sources import Source, open_source

__all__ = [
    "MarketData",
    "SeriesInfo",
    "Source",
    "adjust_total_return",
    "align_asof",
    "load_market_data",
    "open_source",
]
