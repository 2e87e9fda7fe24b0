"""One validator for every data source: the market rules a daily series must obey.

Rules (each error names the file or symbol, the line or date, and the rule):

* dates sorted ascending and unique, none after today (UTC, a day's grace);
* no NaN or infinite values;
* prices > 0 (price and index series); volume >= 0;
* high >= max(open, close) and low <= min(open, close);
* every date an NYSE session (price and index series; macro series only reject weekends,
  since the bond market keeps its own holidays);
* sessions missing inside the series' life are counted: above ``max_missing`` it is an error,
  at or below it a warning in the report.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.calendar import CALENDAR_START, last_calendar_session, nyse_sessions
from core.errors import DataError
from engine.data.readers import KIND_COLUMNS

#: The largest close-to-close move in one session a price or index series may show, as a fraction
#: (0.6: up 60% or down 60%); larger ones are almost always a bad row (a missing decimal point, a
#: split not applied). Override with the environment variable ``SMALLCAP_MAX_DAILY_MOVE``.
MAX_DAILY_MOVE = 0.6
#: No price or level above this (1e308 passed validation once).
MAX_PRICE = 1e7

#: Missing sessions tolerated (as warnings) before a series is rejected.
DEFAULT_MAX_MISSING = 5


@dataclass
class ValidationReport:
    """What the validator found in one series that was not fatal."""

    name: str
    kind: str
    rows: int
    first: str
    last: str
    missing_sessions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _where(frame: pd.DataFrame, i: int) -> str:
    date = frame.index[i].date().isoformat()
    if "_line" in frame.columns:
        return f"line {int(frame['_line'].iloc[i])} ({date})"
    return f"date {date}"


def _first(mask: np.ndarray) -> int | None:
    return int(np.argmax(mask)) if mask.any() else None


def validate_series(  # noqa: C901 - the data rules read as one table, in the order checked
    frame: pd.DataFrame, name: str, kind: str, max_missing: int = DEFAULT_MAX_MISSING,
) -> ValidationReport:
    """Check ``frame`` (as returned by ``read_series_csv`` or the Yahoo source) against every rule.

    ``name`` is what errors point at (a file path or ``yahoo:IWM``); ``kind`` is
    ``price``/``index``/``macro``; ``max_missing`` is how many NYSE sessions may be absent
    (reported as warnings) before the series is rejected. Raises :class:`DataError`.
    """
    def fail(i: int, what: str, rule: str, hint: str) -> None:
        raise DataError(f"{name}: {_where(frame, i)}: {what} (rule: {rule})", hint)

    if len(frame) == 0:
        raise DataError(
            f"{name}: no rows (rule: at least one row)", "check the source and the date range"
        )
    dates = frame.index.to_numpy()
    if len(dates) > 1:
        step = dates[1:] - dates[:-1]
        dup = _first(step == np.timedelta64(0))
        back = _first(step < np.timedelta64(0))
        if back is not None and (dup is None or back < dup):
            fail(
                back + 1,
                "date earlier than the row before",
                "dates sorted ascending",
                "sort the rows by date",
            )
        if dup is not None:
            fail(dup + 1, "duplicate date", "unique dates", "remove the repeated row")
    tomorrow = np.datetime64(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1))
    future = _first(dates > tomorrow)
    if future is not None:  # a typo in a year, or a file of forecasts: never history
        fail(
            future,
            "dated after today",
            "no rows from the future",
            "fix the date, or remove the row",
        )
    cols = [c for c in KIND_COLUMNS[kind] if c in frame.columns]
    values = frame[cols].to_numpy(dtype=float)
    bad = _first(~np.isfinite(values).all(axis=1))
    if bad is not None:
        col = cols[int(np.argmax(~np.isfinite(values[bad])))]
        fail(
            bad,
            f"column '{col}' is missing or not finite",
            "no NaN or inf",
            "fill or remove that row",
        )
    if kind in ("price", "index"):
        price_cols = [c for c in cols if c != "volume"]
        neg = _first((frame[price_cols].to_numpy() <= 0).any(axis=1))
        if neg is not None:
            fail(neg, "price <= 0", "prices > 0", "prices must be positive; check the export")
    if kind in ("price", "index"):
        close = frame["close"].to_numpy(dtype=float)
        big = _first(close > MAX_PRICE)
        if big is not None:
            fail(
                big,
                f"close {close[big]:g} is implausibly large",
                f"prices below {MAX_PRICE:g}",
                "check the units of that row",
            )
        limit = float(os.environ.get("SMALLCAP_MAX_DAILY_MOVE", MAX_DAILY_MOVE))
        if len(close) > 1:
            move = close[1:] / close[:-1] - 1.0
            jump = _first(np.abs(move) > limit)
            if jump is not None:
                fail(
                    jump + 1,
                    f"close moved {move[jump]:+.0%} in one session",
                    f"daily moves within ±{limit:.0%}",
                    "a bad row (decimal point, unapplied split)? fix it, or raise "
                    "SMALLCAP_MAX_DAILY_MOVE",
                )
    if kind == "price":
        o, h, lo, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
        tol = 1e-9 * np.maximum(np.abs(h), 1.0)
        i = _first(h < np.maximum(o, c) - tol)
        if i is not None:
            fail(
                i,
                f"high {h[i]:g} below max(open, close) {max(o[i], c[i]):g}",
                "high >= max(open, close)",
                "the high/low columns may be swapped or mis-scaled",
            )
        i = _first(lo > np.minimum(o, c) + tol)
        if i is not None:
            fail(
                i,
                f"low {lo[i]:g} above min(open, close) {min(o[i], c[i]):g}",
                "low <= min(open, close)",
                "the high/low columns may be swapped or mis-scaled",
            )
        i = _first(frame["volume"].to_numpy() < 0)
        if i is not None:
            fail(i, "negative volume", "volume >= 0", "volume cannot be negative")

    report = ValidationReport(name, kind, len(frame), frame.index[0].date().isoformat(),
                              frame.index[-1].date().isoformat())
    if kind == "macro":
        i = _first(frame.index.day_of_week.to_numpy() >= 5)
        if i is not None:
            fail(i, "weekend date", "observations on weekdays", "remove weekend rows")
        return report
    calendar_end = last_calendar_session()
    calendar_start = pd.Timestamp(CALENDAR_START)
    sessions = nyse_sessions(
        max(frame.index[0], calendar_start), min(frame.index[-1], calendar_end)
    )
    checked = (frame.index <= calendar_end) & (frame.index >= calendar_start)
    if frame.index[0] < calendar_start:
        report.warnings.append(
            f"dates before {CALENDAR_START} are not checked against the NYSE calendar "
            "(the calendar starts then)"
        )
    off = _first(checked & ~frame.index.isin(sessions))
    if off is not None:
        day = frame.index[off].day_name()
        fail(off, f"{day} is not an NYSE session (weekend or holiday)", "dates are NYSE sessions",
             "remove rows for days the exchange was closed")
    missing = sessions.difference(frame.index)
    report.missing_sessions = [d.date().isoformat() for d in missing]
    if len(missing) > max_missing:
        raise DataError(
            f"{name}: {len(missing)} NYSE sessions missing, first {report.missing_sessions[0]} "
            f"(rule: at most {max_missing} missing sessions)",
            "the series has gaps; re-export it or fetch it again")
    if len(missing):
        report.warnings.append(
            f"{len(missing)} missing session(s): {', '.join(report.missing_sessions)}"
        )
    return report
