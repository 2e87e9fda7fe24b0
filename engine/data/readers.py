"""Read one CSV (ours or Yahoo-style) into a raw, typed frame; parsing errors name file and line.

Accepted layouts (headers case-insensitive, spaces or dashes read as underscores):

* price:  ``date,open,high,low,close,adj_close,volume`` (Yahoo's ``Date,Open,High,Low,Close,
  Adj Close,Volume`` is the same thing; without ``adj_close`` the close is taken as adjusted);
* index:  ``date,close``  (a level, e.g. the Russell 2000);
* macro:  ``date,value``  (a published number, e.g. a Treasury yield in percent).

The returned frame is indexed by naive ``date`` and keeps a ``_line`` column with the file's line
number of each row, so the validator can point at the exact line.

Two paths, one result: a clean file (every needed cell a plain number, every date YYYY-MM-DD)
is parsed by pandas' C reader with typed columns in one pass; anything else goes through the
careful path, which reads text and finds the exact line and cell to blame. The fast path never
reports an error itself: when it is unsure it hands the file to the careful one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import DataError

PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]
KIND_COLUMNS = {"price": PRICE_COLUMNS, "index": ["close"], "macro": ["value"]}
_ALIASES = {
    "adjclose": "adj_close",
    "adj_close": "adj_close",
    "datetime": "date",
    "timestamp": "date",
}


def normalize_header(name: str) -> str:
    """``'Adj Close'`` -> ``'adj_close'``; ``'Date'`` -> ``'date'``."""
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


def infer_kind(columns: list[str]) -> str | None:
    """``price``/``index``/``macro`` from normalized column names, or None if none fits."""
    cols = set(columns)
    if cols & {"open", "high", "low", "adj_close", "volume"}:
        return "price"  # a price file, perhaps with a column missing (reported by the caller)
    if "value" in cols:
        return "macro"
    if "close" in cols:
        return "index"
    return None


def _typed(raw: pd.DataFrame, dates: pd.Series, kind: str,
           columns: Callable[[str], np.ndarray]) -> pd.DataFrame:
    """The returned frame: the kind's columns of ``raw`` (``columns(name)``: its floats) on the
    dates, plus ``_line``."""
    out = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    for col in KIND_COLUMNS[kind]:
        if col in raw.columns:
            out[col] = columns(col)
    if kind == "price" and "adj_close" not in raw.columns:
        out["adj_close"] = out["close"]
    out["_line"] = np.arange(2, len(raw) + 2)
    return out


def _read_clean(path: Path, kind: str | None) -> tuple[str, pd.DataFrame] | None:
    """The fast path: ``(kind, frame)`` for a clean file, else None (the careful path decides)."""
    try:
        raw = pd.read_csv(path, keep_default_na=False, skipinitialspace=True)
    except Exception:  # whatever it is, the careful path explains it
        return None
    raw.columns = [normalize_header(c) for c in raw.columns]
    kind = kind or infer_kind(list(raw.columns))
    if kind is None or "date" not in raw.columns or len(raw) == 0 or \
            any(c not in raw.columns for c in KIND_COLUMNS[kind] if c != "adj_close"):
        return None
    if any(raw[c].dtype.kind not in "fi" for c in KIND_COLUMNS[kind] if c in raw.columns):
        return None  # a cell that is not a plain number
    try:
        dates = pd.to_datetime(raw["date"], format="%Y-%m-%d")
    except (ValueError, TypeError):
        return None
    return kind, _typed(raw, dates, kind, lambda col: raw[col].to_numpy(dtype=float))


def read_series_csv(path: Path, kind: str | None = None) -> tuple[str, pd.DataFrame]:
    """Parse ``path`` into ``(kind, frame)``; raise :class:`DataError` naming file, line and rule.

    ``kind`` forces the expected layout; by default it is inferred from the header.
    Checks done here are the ones parsing needs (empty file, delimiter, columns, dates, numbers);
    the market rules (order, NaN, positivity, OHLC bracket, sessions) live in ``validate``.
    """
    return _read_clean(path, kind) or _read_careful(path, kind)


def _read_text(path: Path, name: str) -> pd.DataFrame:
    """Every cell of ``path`` as text, headers normalised; a file that is not a CSV with a date
    column is a :class:`DataError` naming the rule."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: empty file (rule: a header and at least one row)",
                        "export the data again; the file has no content") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be parsed as CSV ({str(exc).splitlines()[0]})",
                        "use comma-separated values with one header line") from None
    if raw.shape[1] == 1 and any(sep in str(raw.columns[0]) for sep in (";", "\t", "|")):
        raise DataError(f"{name}: line 1: wrong delimiter (rule: comma-separated columns)",
                        "save the file with ',' between columns")
    raw.columns = [normalize_header(c) for c in raw.columns]
    if "date" not in raw.columns:
        raise DataError(f"{name}: line 1: missing column 'date' (rule: a date column)",
                        f"header found: {', '.join(raw.columns)}")
    return raw


def _checked_layout(raw: pd.DataFrame, kind: str | None, name: str) -> str:
    """The file's kind (given, else inferred from its header), its columns and rows checked."""
    if kind is None:
        kind = infer_kind(list(raw.columns))
        if kind is None:
            raise DataError(
                f"{name}: line 1: unknown layout {list(raw.columns)} (rule: price, index or macro "
                "columns)",
                "expected date,open,high,low,close[,adj_close],volume or date,close or date,value",
            )
    needed = [c for c in KIND_COLUMNS[kind] if c != "adj_close"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise DataError(
            f"{name}: line 1: missing column '{missing[0]}' "
            f"(rule: {kind} files need {', '.join(KIND_COLUMNS[kind])})",
            f"header found: {', '.join(raw.columns)}",
        )
    if len(raw) == 0:
        raise DataError(
            f"{name}: no data rows (rule: at least one row)", "the file has only a header"
        )
    return kind


def _read_careful(path: Path, kind: str | None) -> tuple[str, pd.DataFrame]:
    """The careful path: text first, then each date and number checked, errors naming the line."""
    name = str(path)
    raw = _read_text(path, name)
    kind = _checked_layout(raw, kind, name)
    lines = np.arange(2, len(raw) + 2)
    try:
        dates = pd.to_datetime(raw["date"].str.strip(), format="ISO8601", errors="coerce")
    except (ValueError, TypeError):
        dates = None
    if dates is None or not pd.api.types.is_datetime64_any_dtype(dates):
        raise DataError(
            f"{name}: the dates mix time zones or formats (rule: dates as YYYY-MM-DD, one zone)",
            "write plain session dates, e.g. 2024-07-16, without times or offsets",
        )
    bad = dates.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{name}: line {lines[i]}: unparseable date '{raw['date'].iloc[i]}' (rule: dates as "
            "YYYY-MM-DD)",
            "write dates as ISO dates, e.g. 2024-07-16",
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)

    def numbers(col: str) -> np.ndarray:
        text = raw[col].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        nonnum = (
            values.isna() & (text != "") & ~text.str.lower().isin(["nan", "null", "na", "."])
        ).to_numpy()
        if nonnum.any():
            i = int(np.argmax(nonnum))
            raise DataError(
                f"{name}: line {lines[i]}: column '{col}' has non-numeric value '{text.iloc[i]}' "
                "(rule: numbers only)",
                "fix or remove that row",
            )
        return values.to_numpy(dtype=float)

    return kind, _typed(raw, dates.dt.normalize(), kind, numbers)
