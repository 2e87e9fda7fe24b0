"""Summaries of a data source for ``smallcap data list|show|verify`` (plain dicts, JSON-ready)."""

from __future__ import annotations

import pandas as pd

from core.errors import UserError
from engine.data.market import DEFAULT_MACRO_LAG, adjust_total_return
from engine.data.sources import Source

#: When a value dated D is usable by a strategy, per kind (macro: the default publication lag).
USABLE = {"price": "close of D", "index": "close of D",
          "macro": f"close of D+{DEFAULT_MACRO_LAG} (published after the close)"}


def list_series(src: Source) -> list[dict]:
    """One row per series: symbol, kind, first, last, rows, source, origin, usable (when a value
    dated D can be used: the close of D for prices and index levels, D+1 for FRED macro series)."""
    rows = []
    for symbol in src.available():
        raw = src.load(symbol)
        rows.append(
            {
                "symbol": symbol,
                "kind": raw.kind,
                "first": raw.report.first,
                "last": raw.report.last,
                "rows": raw.report.rows,
                "source": src.name,
                "origin": raw.origin,
                "usable": USABLE.get(raw.kind, ""),
            }
        )
    return rows


def verify_source(src: Source) -> list[dict]:
    """Validate every series; one row each with ``ok`` and the error or warnings (never raises)."""
    rows = []
    for symbol in src.available():
        try:
            raw = src.load(symbol)
        except UserError as exc:
            rows.append({"symbol": symbol, "kind": "?", "ok": False, "rows": None, "first": None,
                         "last": None, "missing_sessions": None, "message": exc.one_line()})
            continue
        rep = raw.report
        rows.append(
            {
                "symbol": symbol,
                "kind": raw.kind,
                "ok": True,
                "rows": rep.rows,
                "first": rep.first,
                "last": rep.last,
                "missing_sessions": len(rep.missing_sessions),
                "message": "; ".join(rep.warnings),
                "sha256": raw.sha256,
            }
        )
    return rows


def show_series(
    src: Source, symbol: str, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """The series of ``symbol`` as used in backtests (prices total-return adjusted), cut to
    dates."""
    raw = src.load(symbol)
    frame = adjust_total_return(raw.frame) if raw.kind == "price" else raw.frame
    return cut_to_dates(frame, symbol, start, end)


def cut_to_dates(frame: pd.DataFrame | pd.Series, symbol: str, start: str | None,
                 end: str | None) -> pd.DataFrame | pd.Series:
    """``frame`` cut to ``[start, end]`` (ISO dates, either optional); a UserError if nothing is
    left."""
    first, last = frame.index[0], frame.index[-1]
    lo = pd.Timestamp(start) if start else first
    hi = pd.Timestamp(end) if end else last
    if start and end and lo > hi:
        raise UserError(f"start {lo.date()} is after end {hi.date()}", "swap --start and --end")
    if hi < first or lo > last:
        raise UserError(
            f"{symbol} has data from {first.date()} to {last.date()}; nothing in "
            f"{lo.date()}..{hi.date()}",
            "choose dates inside that range",
        )
    return frame.loc[lo:hi]


#: What a "return" means per kind of series.
RETURN_BASIS = {"price": "total return", "index": "price return (index level)"}


def _close_on(closes: pd.Series, symbol: str, day: pd.Timestamp, what: str) -> tuple[int, float]:
    """Position and close of ``symbol`` on session ``day``; a UserError naming the nearest
    sessions."""
    if day not in closes.index:
        before = closes.index[closes.index < day]
        after = closes.index[closes.index > day]
        near = ", ".join(str(d.date()) for d in (before[-1:].append(after[:1])))
        raise UserError(f"{symbol} has no close on {day.date()} ({what})",
                        f"use a session with data{': ' + near if near else ''}")
    i = closes.index.get_loc(day)
    return i, float(closes.iloc[i])


def period_returns(
    src: Source,
    symbols: list[str],
    start: str | None = None,
    end: str | None = None,
    on: str | None = None,
) -> list[dict]:
    """Return of each symbol from the close of ``start`` to the close of ``end`` (ISO dates), or on
    the single session ``on`` (from the previous session's close). ETFs and stocks: total return;
    index levels: price return (``basis`` says which). Macro series are refused (not returns)."""
    if on and (start or end):
        raise UserError(
            "give --on DATE, or --from DATE --to DATE, not both", "e.g. --on 2024-07-11"
        )
    if not on and not (start and end):
        raise UserError("no period given", "pass --from DATE --to DATE, or --on DATE")
    rows = []
    for symbol in symbols:
        raw = src.load(symbol.upper())
        if raw.kind not in RETURN_BASIS:
            raise UserError(
                f"{symbol.upper()} is a {raw.kind} series (a level such as a yield), not a return",
                f"see its values with `smallcap data show {symbol.upper()}`",
            )
        closes = (adjust_total_return(raw.frame) if raw.kind == "price" else raw.frame)["close"]
        if on:
            i, last = _close_on(closes, raw.symbol, pd.Timestamp(on), "--on")
            if i == 0:
                raise UserError(
                    f"{raw.symbol}'s data starts on {on}: no earlier close",
                    "choose a later session",
                )
            first_day, first = closes.index[i - 1], float(closes.iloc[i - 1])
            last_day = closes.index[i]
        else:
            if pd.Timestamp(start) >= pd.Timestamp(end):
                raise UserError(f"--from {start} is not before --to {end}", "swap them")
            i0, first = _close_on(closes, raw.symbol, pd.Timestamp(start), "--from")
            i1, last = _close_on(closes, raw.symbol, pd.Timestamp(end), "--to")
            first_day, last_day = closes.index[i0], closes.index[i1]
        rows.append(
            {
                "symbol": raw.symbol,
                "return": last / first - 1.0,
                "basis": RETURN_BASIS[raw.kind],
                "from_close": str(first_day.date()),
                "to_close": str(last_day.date()),
            }
        )
    return rows
