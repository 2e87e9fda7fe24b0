"""Yahoo Finance source (yfinance), cached as parquet and refreshed incrementally.

* Downloads with ``auto_adjust=False`` (raw OHLC plus ``Adj Close``), dividends and splits,
  flattens MultiIndex columns, strips the timezone to plain session dates and treats ``end`` as
  inclusive (yfinance's own ``end`` is exclusive).
* Rate limits and network failures are retried with exponential backoff (waits of 2, 4 and 8 s)
  under one deadline of 30 s that also holds behind a proxy that never answers (each attempt is
  given up after 8 s, whatever yfinance waits for); a persistent failure is one
  :class:`UserError` naming the network and the offline alternatives, and leaves the cache as it
  was. yfinance swallows DNS and timeout errors and returns an empty frame: its logged error
  record, else a connect check to Yahoo's host (``engine.data.yahoo_net``), tells a network
  failure from an unknown symbol, which is named as such. yfinance's own log lines and warnings
  never reach the terminal; its cookie and time-zone caches live under ours (``yfinance/``).
* A refresh only reaches back before the cached history when an earlier ``start`` is asked for;
  an empty answer there means "no earlier history", not an error (ETFs listed after 1990).
* A damaged cache file is reported (and fetched again when online).
* Cache: one parquet file per symbol under ``--cache-dir``, ``$SMALLCAP_CACHE_DIR`` or the user
  cache folder (platformdirs). Files are written to a temporary name and renamed into place,
  so a crash mid-write keeps the previous cache. A refresh fetches only the missing range
  (re-reading the last cached session, which also catches a new dividend: if the adjustment
  factor of that session changed, the whole history is fetched again).
* Macro series (FRED: DGS2, DGS10, VIXCLS) are not on Yahoo; they come from the bundled set.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal, overload

import pandas as pd

from core.cache import user_cache_dir
from core.errors import DataError, UserError
from engine.data.catalog import bundled_files
from engine.data.files import bundled_source, content_digest
from engine.data.readers import normalize_header
from engine.data.sources import Fetched, RawSeries, Source, SourceOptions
from engine.data.validate import validate_series
from engine.data.yahoo_net import (
    YahooLog,
    call_with_deadline,
    classify,
    network_problem,
    proxy_for_https,
)

#: Yahoo tickers for the symbols whose Yahoo name differs from ours.
YAHOO_TICKERS = {"RUT": "^RUT", "GSPC": "^GSPC", "VIXCLS": "^VIX"}
DEFAULT_START = pd.Timestamp("1990-01-01")
ATTEMPTS = 4
BASE_DELAY_SECONDS = 2.0
TIMEOUT_SECONDS = 5  # yfinance's own timeout, for the price request
ATTEMPT_SECONDS = 8.0  # one attempt, cookie and crumb requests included, is given up after this
DEADLINE_SECONDS = 30.0  # every attempt and wait of one download, in all


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:160] if lines else "no answer"


def _is_transient(exc: Exception) -> bool:
    from yfinance.exceptions import YFRateLimitError

    if isinstance(exc, YFRateLimitError | ConnectionError | TimeoutError | OSError):
        return True
    name = type(exc).__name__.lower()
    return any(k in name for k in ("timeout", "connection", "ratelimit", "http", "curl", "request"))


def _prepare_yfinance(cache_dir: Path) -> None:
    """Once per process: yfinance's own caches (cookies, time zones, ISINs) under ours, its log
    records kept for us (:class:`YahooLog`) instead of printed, its warnings silenced."""
    import yfinance

    global _PREPARED
    if _PREPARED:
        return
    folder = cache_dir / "yfinance"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        yfinance.set_tz_cache_location(str(folder))
    YahooLog.install()
    warnings.filterwarnings("ignore", module=r"yfinance(\..*)?$")
    _PREPARED = True


_PREPARED = False


def normalize_yahoo_frame(frame: pd.DataFrame, ticker: str, kind: str) -> pd.DataFrame:
    """yfinance output -> our raw layout: flat lower-case columns, naive session-date index."""
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        level = next((i for i in range(frame.columns.nlevels)
                      if "Close" in set(frame.columns.get_level_values(i))), 0)
        other = [i for i in range(frame.columns.nlevels) if i != level]
        if other and ticker in set(frame.columns.get_level_values(other[0])):
            frame = frame.xs(ticker, axis=1, level=other[0])
        frame.columns = (
            frame.columns.get_level_values(level)
            if isinstance(frame.columns, pd.MultiIndex)
            else frame.columns
        )
    frame.columns = [normalize_header(c) for c in frame.columns]
    idx = pd.DatetimeIndex(frame.index)
    if idx.tz is not None:
        idx = idx.tz_convert("America/New_York").tz_localize(None)
    frame.index = idx.normalize().rename("date")
    if "adj_close" not in frame.columns and "close" in frame.columns:
        frame["adj_close"] = frame["close"]
    keep = ["open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits"]
    if kind == "index":
        keep = ["close"]
    frame = frame[[c for c in keep if c in frame.columns]].astype(float)
    return frame.dropna(how="all")


class YahooSource(Source):
    """Prices from Yahoo (cached); ``offline=True`` reads the cache only."""

    name = "yahoo"

    def __init__(self, cache_dir: str | Path | None = None, offline: bool = False,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else user_cache_dir()
        self.offline = offline
        self._sleep = sleep or time.sleep
        self._bundled = bundled_source()
        self._loaded: dict[str, RawSeries] = {}

    def path(self, symbol: str) -> Path:
        """Cache file of ``symbol``."""
        return self.cache_dir / "yahoo" / f"{symbol.upper()}.parquet"

    def available(self) -> dict[str, str]:
        """What this source can deliver: every bundled symbol (fetched on use) and what is cached;
        offline, only what is cached and the FRED series (always from the bundled data)."""
        known = {s: f.kind for s, f in bundled_files().items()
                 if not self.offline or f.kind == "macro"}
        folder = self.cache_dir / "yahoo"
        if folder.is_dir():
            for p in folder.glob("*.parquet"):
                known.setdefault(p.stem, "price")
        return known

    @staticmethod
    def kind_of(symbol: str) -> str:
        """``macro`` for FRED series, ``index`` for index levels, else ``price``."""
        bundled = bundled_files().get(symbol)
        return bundled.kind if bundled else "price"

    @overload
    def _download(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, kind: str,
                  allow_empty: Literal[False] = False) -> pd.DataFrame: ...
    @overload
    def _download(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, kind: str,
                  allow_empty: bool) -> pd.DataFrame | None: ...
    def _download(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, kind: str,
                  allow_empty: bool = False) -> pd.DataFrame | None:
        """Rows of ``ticker`` in ``[start, end]``; None if empty and ``allow_empty``.

        Retries a network failure or a rate limit with waits of 2, 4, 8 s, all within
        :data:`DEADLINE_SECONDS`; then one :class:`UserError` naming the network. An empty answer
        with the network up is an unknown symbol (or no rows in those dates)."""
        import yfinance

        _prepare_yfinance(self.cache_dir)
        log = YahooLog.install()
        began = time.monotonic()
        deadline = began + DEADLINE_SECONDS
        last_problem, attempt = "", 0

        def fetch() -> pd.DataFrame:
            """The call the deadline bounds, in a thread of its own. Thread ids are reused: what
            an earlier, given-up thread with this id logged is dropped first, not read as ours."""
            log.take(threading.get_ident())
            return yfinance.download(
                ticker,
                start=start.strftime("%Y-%m-%d"),
                end=(end + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                auto_adjust=False,
                actions=True,
                progress=False,
                threads=False,
                multi_level_index=False,
                timeout=TIMEOUT_SECONDS,
            )

        while attempt < ATTEMPTS and time.monotonic() < deadline:
            if attempt:
                self._sleep(
                    min(
                        BASE_DELAY_SECONDS * 2 ** (attempt - 1), max(deadline - time.monotonic(), 0)
                    )
                )
            attempt += 1
            left = deadline - time.monotonic()
            state, value, thread = call_with_deadline(fetch, min(ATTEMPT_SECONDS, left))
            messages = log.take(thread)
            if state == "late":
                proxy = proxy_for_https()
                last_problem = f"no answer within {min(ATTEMPT_SECONDS, left):.0f} s" + \
                    (f" through the proxy {proxy}" if proxy else "")
                continue
            if state == "raised":
                if not _is_transient(value):
                    raise UserError(
                        f"yahoo: download of {ticker} failed: {value}",
                        "check the symbol; use --data bundled to work offline",
                    ) from None
                last_problem = f"{type(value).__name__}: {value}"
                continue
            if value is not None and len(value):
                return normalize_yahoo_frame(value, ticker, kind)
            verdict, said = classify(messages)
            if verdict != "network":
                said = said if verdict == "unknown" else ""
                problem = network_problem()
                if not problem:
                    return self._empty(ticker, start, end, allow_empty, said)
                said = problem
            last_problem = said
        raise UserError(
            f"yahoo: no network: could not download {ticker} ({_first_line(last_problem)}; "
            f"{attempt} attempt{'s' if attempt != 1 else ''} in {time.monotonic() - began:.0f} s)",
            "check the connection or proxy and retry later; work offline with --data bundled, "
            "or with --offline on what is cached",
        )

    @staticmethod
    def _empty(
        ticker: str, start: pd.Timestamp, end: pd.Timestamp, allow_empty: bool, said: str
    ) -> None:
        """An empty answer while Yahoo is reachable: no rows there (allowed) or an unknown
        symbol."""
        if allow_empty:
            return None
        why = f" (Yahoo: {_first_line(said)})" if said else ""
        raise DataError(
            f"yahoo:{ticker}: Yahoo has no rows for {ticker} in {start.date()}..{end.date()}{why}: "
            "an unknown symbol, or none in those dates",
            "check the symbol (Yahoo's spelling: ^RUT, BRK-B) and the dates",
        )

    def read_cache(self, symbol: str) -> pd.DataFrame | None:
        """The cached frame of ``symbol`` or None; a damaged file is a :class:`DataError`."""
        path = self.path(symbol)
        if not path.exists():
            return None
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise DataError(
                f"the Yahoo cache file {path} is damaged ({type(exc).__name__})",
                f"run `smallcap data fetch {symbol}` while online to fetch it again, or delete the "
                "file",
            ) from None

    def _write_cache(self, symbol: str, frame: pd.DataFrame) -> None:
        path = self.path(symbol)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            frame.to_parquet(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def refresh(self, symbol: str, start: pd.Timestamp | str | None = None,
                end: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Bring the cache of ``symbol`` up to ``end`` (default yesterday), fetching only what is
        missing.

        Returns the validated cached frame. ``start``: fetch from there when nothing is cached
        (default 1990-01-01), or reach back to it when it is before the cached history (an empty
        answer means there is no earlier history). A damaged cache file is fetched again.
        """
        symbol = symbol.upper()
        kind = self.kind_of(symbol)
        if kind == "macro":
            return self._bundled.load(symbol).frame
        ticker = YAHOO_TICKERS.get(symbol, symbol)
        asked = pd.Timestamp(start) if start is not None else None
        start = asked if asked is not None else DEFAULT_START
        end = (
            pd.Timestamp(end)
            if end is not None
            else pd.Timestamp.today().normalize() - pd.Timedelta(days=1)
        )
        try:
            cached = self.read_cache(symbol)
        except DataError:
            cached = None  # damaged: fetch the whole history again
        if cached is None:
            merged = self._download(ticker, start, end, kind)
        else:
            parts = [cached]
            if asked is not None and asked < cached.index[0]:
                head = self._download(
                    ticker, asked, cached.index[0] - pd.Timedelta(days=1), kind, allow_empty=True
                )
                if head is not None:
                    parts.insert(0, head)
            if end > cached.index[-1]:
                tail = self._download(ticker, cached.index[-1], end, kind)
                if kind == "price" and self._adjustment_changed(cached, tail):
                    parts = [self._download(ticker, min(start, cached.index[0]), end, kind)]
                else:
                    parts.append(tail)
            merged = pd.concat(parts)
            merged = merged[~merged.index.duplicated(keep="last")].sort_index()
        validate_series(merged, f"yahoo:{symbol}", kind)
        if cached is None or not merged.equals(cached):
            self._write_cache(symbol, merged)
        return merged

    @staticmethod
    def _adjustment_changed(cached: pd.DataFrame, tail: pd.DataFrame) -> bool:
        day = cached.index[-1]
        if day not in tail.index:
            return False
        old = cached.loc[day, "adj_close"] / cached.loc[day, "close"]
        new = tail.loc[day, "adj_close"] / tail.loc[day, "close"]
        return abs(new / old - 1) > 1e-6

    def fetch(self, symbol: str, start: str | None = None) -> Fetched:
        """:meth:`refresh` from ``start`` (default 1990-01-01), reported for ``data fetch``."""
        frame = self.refresh(symbol, start=start)
        return Fetched(symbol.upper(), str(frame.index[0].date()), str(frame.index[-1].date()),
                       len(frame), str(self.path(symbol)))

    def load(self, symbol: str) -> RawSeries:
        symbol = symbol.upper()
        known, cached = self._loaded.get(symbol), self.path(symbol)
        if known is not None and cached.is_file() and content_digest(cached) == known.sha256:
            return known  # the cache file holds what was read (edited or refreshed: read again)
        kind = self.kind_of(symbol)
        if kind == "macro":
            return self._bundled.load(symbol)
        if self.offline:
            frame = self.read_cache(symbol)
            if frame is None:
                raise UserError(
                    f"no cached Yahoo data for {symbol} in {self.cache_dir}",
                    f"run 'smallcap data fetch {symbol}' while online, or drop --offline",
                )
        else:
            frame = self.refresh(symbol)
        report = validate_series(frame, f"yahoo:{symbol}", kind)
        raw = RawSeries(symbol, kind, frame, f"yahoo:{YAHOO_TICKERS.get(symbol, symbol)}",
                        content_digest(self.path(symbol)), report)
        self._loaded[symbol] = raw
        return raw


def open_yahoo(argument: str = "", options: SourceOptions | None = None) -> YahooSource:
    """Opener of ``yahoo`` (see ``engine.data.sources.SOURCES``): ``options`` give the cache
    folder and offline mode."""
    options = options or SourceOptions()
    return YahooSource(cache_dir=options.cache_dir, offline=options.offline)
