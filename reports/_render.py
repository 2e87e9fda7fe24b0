"""Shared rendering helpers: the Jinja2 environment, number formatting, chart dates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja2 environment over ``reports/templates`` with HTML autoescaping."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["num"] = number
    return env


def number(value, fmt: str = "num") -> str:
    """Format a metric: ``pct`` (12.34%), ``num`` (0.56), ``int`` (12), ``money`` (1,234.56); blank
    for None."""
    if value is None:
        return ""
    if fmt == "pct":
        return f"{value * 100:.2f}%"
    if fmt == "int":
        return f"{int(value):d}"
    if fmt == "money":
        return f"{value:,.2f}"
    return f"{value:.2f}"


def chart_values(values) -> np.ndarray:
    """A chart line's values as float32: plotly embeds numeric arrays as base64 of their bytes,
    and float32's 7 digits are finer than a pixel (half the bytes of float64)."""
    return np.asarray(values, dtype=np.float32)


def chart_dates(index) -> list[str]:
    """Session dates as ``YYYY-MM-DD`` for a chart's x axis: plotly reads them as dates, and a
    date written out as a timestamp (``2024-07-16T00:00:00.000000``) costs twice the bytes in
    every line of every chart."""
    return pd.DatetimeIndex(index).strftime("%Y-%m-%d").tolist()
