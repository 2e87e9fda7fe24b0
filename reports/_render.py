"""Shared rendering helpers: the Jinja2 environment and number formatting."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.bccache

from core.cache import user_cache_dir


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates, in the user cache (``$SMALLCAP_CACHE_DIR``): a page
    is rendered by a fresh process each time, and compiling its template costs 5-15 ms. Entries
    are keyed by the template's source and checked against the Jinja2 and Python versions, so an
    edited template is compiled again. A cache that cannot be read or written is skipped."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    folder = user_cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(folder))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja2 environment over ``reports/templates`` with HTML autoescaping."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=_bytecode_cache())
    env.filters["num"] = number
    return env


def number(value, fmt: str = "num") -> str:
    """Format a metric: ``pct`` (12.34%), ``num`` (0.56), ``int`` (12), ``money`` (1,234.56); blank for None."""
    if value is None:
        return ""
    if fmt == "pct":
        return f"{value * 100:.2f}%"
    if fmt == "int":
        return f"{int(value):d}"
    if fmt == "money":
        return f"{value:,.2f}"
    return f"{value:.2f}"
