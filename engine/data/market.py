"""``MarketData``: total-return adjusted prices on one NYSE session index, plus as-of series.

* Prices (kind ``price``): ``open, high, low, close, volume`` with open/high/low scaled by
  ``adj_close / close`` and ``close = adj_close``, so a buy-and-hold of the close earns the
  total return (dividends reinvested).
* Index levels (kind ``index``) are aligned *as-of*: the level dated D is visible at the close of
  session D (it is the close) and forward-filled after it, never before D.
* Macro series (kind ``macro``: FRED yields, VIX) are aligned by *publication*: FRED publishes
  the value dated D after the equity close of D, so by default it is usable from the close of the
  next session (``macro_lag = 1``); ``macro_lag = 0`` restores as-of alignment.
* The window is common to all price symbols: it starts at the latest first date (the symbol that
  set it is ``limited_by``) and ends at the earliest last date (``ended_by``, when the ends differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.data.sources import RawSeries, Source, open_source

OHLCV = ["open", "high", "low", "close", "volume"]


def adjust_total_return(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale open/high/low by ``adj_close/close`` and set ``close = adj_close``; keep volume."""
    factor = frame["adj_close"] / frame["close"]
    out = pd.DataFrame(index=frame.index)
    for col in ("open", "high", "low"):
        out[col] = frame[col] * factor
    out["close"] = frame["adj_close"].astype(float)
    out["volume"] = frame["volume"].astype(float)
    return out


#: Sessions after its date that a macro value becomes usable by default (see the module docstring).
DEFAULT_MACRO_LAG = 1


def align_asof(values: pd.Series, sessions: pd.DatetimeIndex) -> pd.Series:
    """Value visible at each session: the last observation dated on or before it (NaN before the
    first)."""
    return values.reindex(sessions, method="ffill")


def publish(values: pd.Series, lag: int) -> pd.Series:
    """``values`` re-dated to when they become usable: ``lag`` NYSE sessions after their date.

    ``lag = 0`` keeps the dates. With ``lag = 1`` a value dated on a session D moves to the next
    session; one dated on a non-session day moves to the first session after it. When several
    values land on one session the latest wins.
    """
    if lag == 0 or values.empty:
        return values
    cal = nyse_sessions(
        values.index[0] - pd.Timedelta(days=7), values.index[-1] + pd.Timedelta(days=10 + 3 * lag)
    )
    pos = cal.searchsorted(values.index, side="right") + (lag - 1)
    keep = pos < len(cal)
    moved = pd.Series(values.to_numpy()[keep], index=cal[pos[keep]], name=values.name)
    return moved[~moved.index.duplicated(keep="last")]


@dataclass
class SeriesInfo:
    """Provenance of one series: kind, where it came from, checksum, its own first/last date."""

    symbol: str
    kind: str
    origin: str
    sha256: str
    first: str
    last: str
    rows: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class MarketData:
    """Aligned market data for one run. Build it with :func:`load_market_data`."""

    sessions: pd.DatetimeIndex
    prices: dict[str, pd.DataFrame]
    series: dict[str, pd.Series]
    info: dict[str, SeriesInfo]
    source: str
    limited_by: str | None = None
    macro_lag: int = DEFAULT_MACRO_LAG
    ended_by: str | None = None  # the price symbol whose data ends first, when the ends differ
    latest_end: pd.Timestamp | None = None  # where the others end, then

    @property
    def symbols(self) -> list[str]:
        """Tradable price symbols, in the order asked for."""
        return list(self.prices)

    def close(self, symbol: str) -> pd.Series:
        """Adjusted close (price symbol) or as-of value (index/macro) on the session index."""
        if symbol in self.prices:
            return self.prices[symbol]["close"]
        return self.series[symbol]

    def closes(self, symbols: Iterable[str] | None = None) -> pd.DataFrame:
        """Adjusted closes of several price symbols as columns."""
        return pd.DataFrame({s: self.prices[s]["close"] for s in (symbols or self.symbols)})

    def window(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> MarketData:
        """The same data cut to sessions in ``[start, end]`` (either may be None)."""
        mask = np.ones(len(self.sessions), dtype=bool)
        if start is not None:
            mask &= self.sessions >= pd.Timestamp(start)
        if end is not None:
            mask &= self.sessions <= pd.Timestamp(end)
        sessions = self.sessions[mask]
        return MarketData(sessions, {s: f.loc[mask] for s, f in self.prices.items()},
                          {s: v.loc[mask] for s, v in self.series.items()}, self.info, self.source,
                          self.limited_by, self.macro_lag, self.ended_by, self.latest_end)


def _info(raw: RawSeries) -> SeriesInfo:
    return SeriesInfo(
        raw.symbol,
        raw.kind,
        raw.origin,
        raw.sha256,
        raw.report.first,
        raw.report.last,
        raw.report.rows,
        list(raw.report.warnings),
    )


def _on_sessions(adj: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Adjusted bars on ``sessions``; a tolerated missing session carries the last close, no
    volume."""
    adj = adj.reindex(sessions)
    if adj["close"].isna().any():
        adj["close"] = adj["close"].ffill()
        for col in ("open", "high", "low"):
            adj[col] = adj[col].fillna(adj["close"])
        adj["volume"] = adj["volume"].fillna(0.0)
    return adj


def _signal_values(raw: RawSeries, macro_lag: int) -> pd.Series:
    """The values a signal series contributes: adjusted closes of a price, an index's close, or a
    macro value published ``macro_lag`` sessions after its date."""
    col = "close" if "close" in raw.frame.columns else "value"
    if raw.kind == "price":
        col = "adj_close"
    values = raw.frame[col].astype(float)
    return publish(values, macro_lag) if raw.kind == "macro" else values


def load_market_data(
    symbols: Iterable[str],
    series: Iterable[str] = (),
    source: str | Source = "bundled",
    *,
    cache_dir: str | None = None,
    offline: bool = False,
    macro_lag: int = DEFAULT_MACRO_LAG,
) -> MarketData:
    """Load tradable ``symbols`` and as-of ``series`` from ``source`` into one aligned MarketData.

    ``symbols``: ETFs (kind ``price``) to put on the common session index; ``series``: index or
    macro names (e.g. ``RUT``, ``DGS2``) aligned as-of onto it. ``source``: ``bundled`` (default),
    ``csv:DIR``, ``yahoo`` or a :class:`Source`. ``macro_lag``: sessions after its date that a
    macro value becomes usable (default 1: FRED publishes after the close). Raises
    :class:`UserError` for unknown symbols or for a symbol of the wrong kind.
    """
    src = (
        source
        if isinstance(source, Source)
        else open_source(source, cache_dir=cache_dir, offline=offline)
    )
    symbols = list(dict.fromkeys(s.upper() for s in symbols))
    series = [s.upper() for s in dict.fromkeys(series) if s.upper() not in symbols]
    if not symbols:
        raise UserError(
            "no tradable symbols given", "name at least one ETF, e.g. --symbols IWM,SPY"
        )
    raws = {s: src.load(s) for s in symbols}
    for s, raw in raws.items():
        if raw.kind != "price":
            raise UserError(
                f"'{s}' is a {raw.kind} series, not a tradable price series",
                "trade an ETF (IWM tracks RUT, SPY tracks GSPC); use it as a signal instead",
            )
    first = {s: r.frame.index[0] for s, r in raws.items()}
    last = {s: r.frame.index[-1] for s, r in raws.items()}
    limited_by = max(first, key=lambda s: first[s])
    start, end = first[limited_by], min(last.values())
    if start > end:
        raise UserError(
            f"symbols {', '.join(symbols)} have no dates in common", "choose symbols that overlap"
        )
    sessions = nyse_sessions(start, end)
    prices: dict[str, pd.DataFrame] = {}
    info: dict[str, SeriesInfo] = {}
    for s, raw in raws.items():
        prices[s] = _on_sessions(adjust_total_return(raw.frame), sessions)
        info[s] = _info(raw)
    aligned: dict[str, pd.Series] = {}
    for s in series:
        raw = src.load(s)
        aligned[s] = align_asof(_signal_values(raw, macro_lag), sessions).rename(s)
        info[s] = _info(raw)
    ended_by = min(last, key=lambda s: last[s]) if len(set(last.values())) > 1 else None
    return MarketData(
        sessions,
        prices,
        aligned,
        info,
        src.name,
        limited_by if len(symbols) > 1 else None,
        macro_lag,
        ended_by,
        max(last.values()) if ended_by else None,
    )
