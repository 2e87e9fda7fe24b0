"""Terminal output that never breaks a word, number, date, path or id across lines.

Text: :class:`WordConsole` wraps plain lines at spaces only (:func:`wrapped`); a path longer
than a line stays whole. Tables:

rich fits a table that is too wide by narrowing its wrapable columns, below their longest word
if need be ("symbo" / "l"). :class:`FittedTable` works the widths out first: every column at
least as wide as its longest token (its longest line when it must not wrap), the room left
shared by how much each column wants; and when even that is wider than the terminal, the
rightmost columns are left out and the caption names them.
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Column, Table
from rich.text import Text


def _plain(cell: object) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return cell if isinstance(cell, str) else ""


def _span(column: Column) -> tuple[int, int]:
    """(narrowest width that breaks no token, width that needs no wrapping) of ``column``."""
    texts = [_plain(column.header), *(_plain(c) for c in column.cells)]
    lines = [line for t in texts for line in t.splitlines()] or [""]
    widest = max(len(line) for line in lines)
    if column.no_wrap:
        return widest, widest
    lo = max((len(w) for line in lines for w in line.split()), default=1)
    return lo, max(lo, min(widest, column.max_width or widest))


def _overhead(table: Table, console: Console, n: int) -> int:
    """Columns' padding, edges and dividers of ``table`` with its first ``n`` columns."""
    probe = copy.copy(table)
    probe.columns = [copy.copy(c) for c in table.columns[:n]]
    for c in probe.columns:
        c.width, c.min_width, c.max_width = 1, None, None
    probe.title = probe.caption = None
    return console.measure(probe).minimum - n


def fit_columns(table: Table, console: Console, width: int) -> Table:
    """A copy of ``table`` with every column's width set so that it fits ``width`` columns
    without breaking a token (see the module docstring)."""
    spans = [_span(c) for c in table.columns]
    n = len(spans)
    while n > 1 and sum(lo for lo, _ in spans[:n]) + _overhead(table, console, n) > width:
        n -= 1
    slack = width - _overhead(table, console, n) - sum(lo for lo, _ in spans[:n])
    wants = [hi - lo for lo, hi in spans[:n]]
    fitted = copy.copy(table)
    fitted.columns = []
    for (lo, hi), want, column in zip(spans[:n], wants, table.columns[:n], strict=True):
        extra = min(want, slack * want // max(1, sum(wants))) if slack > 0 else 0
        sized = copy.copy(column)
        sized.width, sized.min_width, sized.max_width, sized.ratio = (
            min(hi, lo + extra),
            None,
            None,
            None,
        )
        fitted.columns.append(sized)
    dropped = [_plain(c.header) for c in table.columns[n:]]
    if dropped:
        fitted.caption = (f"not shown at {width} columns: {', '.join(dropped)} "
                          "(a wider terminal or --json shows them)")
        fitted.caption_justify = "left"
    return fitted


class FittedTable(Table):
    """A :class:`rich.table.Table` laid out by :func:`fit_columns` when it is rendered."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fitted = fit_columns(self, console, options.max_width)
        yield from Table.__rich_console__(fitted, console, options)


def wrapped(text: str, width: int = 80, indent: str = "  ") -> str:
    """``text`` wrapped at spaces to ``width`` columns (following lines indented by ``indent``
    more than the first); a word or path longer than a line stays whole."""
    lines = []
    for line in text.splitlines() or [""]:
        if len(line) <= width:
            lines.append(line)
            continue
        lead = line[:len(line) - len(line.lstrip())]
        lines.append(textwrap.fill(line, width=width, subsequent_indent=lead + indent,
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


class WordConsole(Console):
    """A console whose plain-text lines (``print`` of strings with ``markup=False``) wrap at
    spaces only, never inside a word (rich folds a word longer than the line)."""

    def print(self, *objects: Any, **options: Any) -> None:  # rich's method name
        plain = (
            objects and all(isinstance(o, str) for o in objects) and options.get("markup") is False
        )
        if plain and not options.get("soft_wrap"):
            objects = (wrapped(str(options.get("sep", " ")).join(objects), self.width),)
            options = {**options, "soft_wrap": True, "sep": " "}
        super().print(*objects, **options)
