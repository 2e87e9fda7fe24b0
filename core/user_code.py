"""A user's strategy code failing: one line of ours plus the user's own frame.

When a strategy from a user's file (or a plug-in) raises, the traceback runs through backtrader's
frames (~50 lines); what helps is the user's own line. :func:`user_frame` finds the innermost
frame outside this tool, the standard library and installed packages; :func:`strategy_failure`
builds the one-line :class:`UserError`.

``SystemExit`` and ``KeyboardInterrupt`` raised by user code are failures of that code like any
other. A real Ctrl-C or SIGTERM is told apart by :func:`note_interrupt`, which the command line's
signal handlers call before raising ``KeyboardInterrupt``.
"""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path
from types import TracebackType

from core.errors import UserError

_TOOL = Path(__file__).resolve().parents[1]
_LAYERS = tuple(
    str(_TOOL / layer) for layer in ("core", "engine", "strategies", "research", "reports", "cli")
)
_LIBRARIES = tuple(
    {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)
_interrupted = False


def note_interrupt() -> None:
    """Record that a real interrupt (Ctrl-C, SIGTERM) arrived: the ``KeyboardInterrupt`` that
    follows is the user stopping the tool, not user code raising it."""
    global _interrupted
    _interrupted = True


def really_interrupted() -> bool:
    """True once :func:`note_interrupt` was called in this process."""
    return _interrupted


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = str(Path(filename).resolve())
    return not path.startswith(_LAYERS) and not path.startswith(_LIBRARIES)


def user_frame(tb: TracebackType | None) -> str:
    """``file, line N, in func: code`` of the innermost frame of user code in ``tb`` ('' if
    none)."""
    frames = [f for f in traceback.extract_tb(tb) if _is_user_file(f.filename)]
    if not frames:
        return ""
    f = frames[-1]
    return f"{f.filename}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}"


def describe(exc: BaseException) -> str:
    """``Type: message``, or what a ``sys.exit(...)`` / ``KeyboardInterrupt`` means."""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "raised KeyboardInterrupt"
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def strategy_failure(strategy: str, exc: BaseException) -> UserError | None:
    """The one-line error for user code of ``strategy`` raising ``exc``, or None when no user
    frame is involved and ``exc`` is an ordinary exception (a bug of this tool: keep its
    traceback). A real interrupt (see :func:`note_interrupt`) is never contained."""
    if isinstance(exc, KeyboardInterrupt) and really_interrupted():
        return None
    where = user_frame(exc.__traceback__)
    if not where and not isinstance(exc, SystemExit | KeyboardInterrupt):
        return None
    at = f" at {where}" if where else ""
    verb = "" if isinstance(exc, SystemExit | KeyboardInterrupt) else "failed: "
    return UserError(
        f"strategy '{strategy}' {verb}{describe(exc)}{at}", "fix the strategy's code at that line"
    )
