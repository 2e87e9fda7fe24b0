"""The one error type for problems a user can cause (and fix).

Every such error carries a one-line ``cause`` and a ``hint`` saying what to do about it.
The CLI prints ``error: <cause> (hint: <hint>)`` and exits with code 2, no traceback.
Anything that is *not* a ``UserError`` is a bug in this tool and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A problem in what the user asked for or supplied (symbol, date, parameter, file...)."""

    def __init__(self, cause: str, hint: str = "") -> None:
        self.cause = escape_controls(cause.strip().replace("\n", " "))
        self.hint = escape_controls(hint.strip().replace("\n", " "))
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as the CLI prints it: cause, then the hint in parentheses."""
        return f"{self.cause} (hint: {self.hint})" if self.hint else self.cause


def escape_controls(text: str) -> str:
    """``text`` with control characters (terminal escape sequences, carriage returns, bells)
    written as ``\\x1b``-style escapes, so an echoed argument cannot restyle or rewrite the
    terminal. Tabs stay; newlines become spaces."""
    return "".join(
        c
        if c.isprintable() or c == "\t"
        else (" " if c == "\n" else c.encode("unicode_escape").decode())
        for c in text
    )


class DataError(UserError):
    """Market data that breaks a rule: names the file or symbol, the row or date, and the rule."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` phrase for the closest of ``choices``, or a list of valid ones."""
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'? valid: {', '.join(choices)}"
    return f"valid: {', '.join(choices)}"


class Notice(UserWarning):
    """Something the user should know about a result that is not an error (a page written
    elsewhere than asked, a window shortened, settings that differ between compared runs).
    The CLI prints each as a ``note:`` line on stderr, wrapped; Python callers see a warning."""


def notice(message: str) -> None:
    """Tell the user ``message`` (see :class:`Notice`)."""
    import warnings

    warnings.warn(Notice(message), stacklevel=2)
