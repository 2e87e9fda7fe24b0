"""Shared rendering helpers: the Jinja2 environment and number formatting."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2


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
