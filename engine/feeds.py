"""Fast backtrader feeds: whole numpy arrays copied into the line buffers in one go.

backtrader's stock ``PandasData`` reads one pandas cell at a time (``df.iloc[i, j]`` for every
field of every bar). ``ArrayFeed`` converts the frame to float64 arrays once and, when cerebro
preloads (the default), fills each line's buffer with a single ``array.frombytes`` call.
It produces the same bars as ``PandasData`` (same ``datetime`` numbers, same values; see
``tests/test_feeds.py``). Without preloading it falls back to per-bar loads from the arrays.

Stepping is lean too: every bar is a whole daily bar, so ``advance`` only moves the line
buffers' index, skipping backtrader's per-bar copy of each field into ``tick_*`` attributes
(which exist for bars built from live ticks); the broker then reads the bar itself, the same
prices. ``advance_peek`` reads the next date straight from the buffer. The backtrader private
names this relies on are registered (and checked) in ``strategies.bt_private``.
"""

from __future__ import annotations

import array
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

#: ``datetime.date.toordinal()`` of 1970-01-01: backtrader stores dates as proleptic ordinals.
_EPOCH_ORDINAL = 719163


def date_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """backtrader's ``date2num`` of each timestamp, vectorized (ordinal days + fraction of day)."""
    ns = index.as_unit("ns").asi8.astype(np.int64)
    days, rem = np.divmod(ns, 86_400 * 10**9)
    return (days + _EPOCH_ORDINAL).astype(np.float64) + rem / (86_400 * 10**9)


def dates_from_numbers(nums: np.ndarray) -> pd.DatetimeIndex:
    """Inverse of :func:`date_numbers` for whole days: backtrader date numbers -> naive dates."""
    days = np.floor(np.asarray(nums, dtype=np.float64)).astype(np.int64) - _EPOCH_ORDINAL
    return pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"))


def series_frame(values: pd.Series) -> pd.DataFrame:
    """An OHLCV frame whose open = high = low = close = ``values`` and volume 0 (index/macro
    feeds)."""
    v = values.to_numpy(dtype=np.float64)
    return pd.DataFrame({"open": v, "high": v, "low": v, "close": v, "volume": np.zeros(len(v))},
                        index=values.index)


class ArrayFeed(bt.feed.DataBase):
    """A daily OHLCV feed from a frame with ``open, high, low, close, volume`` columns.

    Use :meth:`from_frame`; for a single series (an index level or a yield) use
    :meth:`from_series`, which sets open = high = low = close = the value and volume = 0.
    """

    params = (("arrays", None),)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str) -> ArrayFeed:
        """Feed of an OHLCV frame indexed by naive session dates."""
        arrays = {"datetime": date_numbers(pd.DatetimeIndex(frame.index))}
        for col in ("open", "high", "low", "close", "volume"):
            arrays[col] = np.ascontiguousarray(frame[col].to_numpy(dtype=np.float64))
        arrays["openinterest"] = np.zeros(len(frame))
        return cls(arrays=arrays, name=name)

    @classmethod
    def from_series(cls, values: pd.Series, name: str) -> ArrayFeed:
        """Feed whose close (and open/high/low) is ``values``: for index levels and macro series."""
        return cls.from_frame(series_frame(values), name)

    def start(self) -> None:
        super().start()
        self._idx = -1
        self._n = len(self.p.arrays["datetime"])
        self._preloaded = False

    def preload(self) -> None:
        """Copy every column into its line buffer at once (instead of one bar per call)."""
        for name in self.lines.getlinealiases():
            line = getattr(self.lines, name)
            buf = array.array("d")
            buf.frombytes(self.p.arrays[name].tobytes())
            line.array = buf
            line.idx = self._n - 1
            line.lencount = self._n
        self._idx = self._n - 1
        self._last()
        self.home()
        self._buffers = list(self.lines)
        self._dt = self.lines.datetime
        # not with exactbars
        self._preloaded = all(line.mode == line.UnBounded for line in self._buffers)

    def advance(self, size: int = 1, datamaster: Any = None, ticks: bool = True) -> None:
        """Move to the next bar (backtrader's ``advance`` without the ``tick_*`` copies, which
        stay ``None`` so the broker reads ``open[0]``, ``close[0]``... of the bar itself)."""
        if datamaster is not None or not self._preloaded:
            super().advance(size, datamaster, ticks=False)
            return
        for line in self._buffers:  # unbounded buffers: idx is a plain attribute behind a property
            line._idx += size
            line.lencount += size

    def advance_peek(self) -> float:
        """The next bar's date number (``inf`` after the last bar)."""
        if not self._preloaded:
            return super().advance_peek()
        nxt = self._dt._idx + 1
        return self._dt.array[nxt] if nxt < self._n else float("inf")

    def _load(self) -> bool:
        self._idx += 1
        if self._idx >= self._n:
            return False
        for name in self.lines.getlinealiases():
            getattr(self.lines, name)[0] = self.p.arrays[name][self._idx]
        return True
