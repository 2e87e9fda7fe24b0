"""CSV text of a run's tables, byte for byte what ``DataFrame.to_csv`` writes, faster.

A saved run writes three 6,000-row tables (returns, equity, positions); ``to_csv`` formats their
floats through its generic machinery, a visible share of a command-line backtest
(``bench/`` measures it). Python's own ``repr`` of a float is the shortest string that reads back to
the same number, which is also what pandas writes, so the rows can be joined directly.

The fast path takes the columns a run has: float64 (``NaN`` written as an empty field, as
pandas does), int64, bool and text without a character that needs quoting. Anything else (a
text holding a comma or a quote, a date column, a nullable or categorical dtype) goes through
``to_csv``, so the output is always pandas' own. ``tests/test_csv_writer.py`` compares both on
the bundled run and on frames built to hit each case.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

_NEEDS_QUOTES = (",", '"', "\n", "\r")


def _float_text(values: np.ndarray) -> list[str]:
    if np.isnan(values).any():
        return ["" if math.isnan(x) else repr(x) for x in values.tolist()]
    return list(map(repr, values.tolist()))


def _column_text(values: pd.Series) -> list[str] | None:
    """Each cell as ``to_csv`` writes it, or ``None`` when only pandas should decide."""
    dtype = values.dtype
    if dtype == np.float64:
        return _float_text(values.to_numpy())
    if dtype == np.int64 or dtype == np.bool_:
        return list(map(str, values.to_numpy().tolist()))
    if pd.api.types.is_string_dtype(dtype) and not values.hasnans:
        cells = values.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(cells, skipna=False) == "string" and not _needs_quotes(
            "\0".join(cells)
        ):
            return cells.tolist()
    return None


def _needs_quotes(text: str) -> bool:
    return any(q in text for q in _NEEDS_QUOTES)


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and not _needs_quotes(name)


def csv_text(frame: pd.DataFrame, index: bool) -> str:
    """``frame.to_csv(index=index, lineterminator="\\n")``, formatted directly when every column
    (and the index, if written) is of a kind :func:`_column_text` handles."""
    columns: list[list[str] | None] = []
    names = list(frame.columns)
    if index:
        names.insert(0, frame.index.name if frame.index.name is not None else "")
        columns.append(_column_text(frame.index.to_series()))
    columns += (
        [_column_text(frame[c]) for c in frame.columns] if frame.columns.is_unique else [None]
    )
    # not len(frame): a lone empty field is quoted by pandas (a blank line would end the table)
    if (
        any(c is None for c in columns)
        or not all(_plain_name(n) for n in names)
        or len(columns) < 2
        or not len(frame)
    ):
        return frame.to_csv(index=index, lineterminator="\n")
    rows = [",".join(cells) for cells in zip(*columns, strict=True)]
    return "\n".join([",".join(names), *rows]) + "\n"


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool) -> None:
    """Write ``frame`` as :func:`csv_text` gives it (UTF-8, ``\\n`` line ends)."""
    Path(path).write_text(csv_text(frame, index), encoding="utf-8")
