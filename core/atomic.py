"""Writing files so that a failure leaves nothing half-written, and says so in one line.

Every writer of the tool (run folders, pages, tables) shares this: the file is written to a hidden
temporary name beside the target and renamed into place; an ``OSError`` (full disk, read-only
folder, no permission, a file where a folder should be) becomes one :class:`UserError` naming the
path and the reason, and the temporary file is removed by an unlink that never hides that first
error (on a read-only mount the unlink fails too).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import UserError

#: The hint of a write failure, by its cause.
HINTS = {errno.ENOSPC: "free some disk space, or write elsewhere (--out, --html)",
         errno.EDQUOT: "free some disk space, or write elsewhere (--out, --html)",
         errno.EEXIST: "a file is in the way of a folder on that path: choose another path",
         errno.ENOTDIR: "a file is in the way of a folder on that path: choose another path"}
OTHER_HINT = "write elsewhere (--out, --html), or check the folder's permissions"


def write_failure(exc: OSError, what: str, where: str | Path) -> UserError:
    """The one-line error for ``exc`` raised while writing ``what`` to ``where``."""
    reason = exc.strerror or type(exc).__name__
    return UserError(
        f"could not write {what} to {where}: {reason}", HINTS.get(exc.errno or 0, OTHER_HINT)
    )


def discard(path: Path) -> None:
    """Remove ``path`` (a file or a folder) if it is there; never raises (a cleanup's own failure
    must not replace the error that made it necessary)."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def temp_beside(path: Path) -> Path:
    """A hidden temporary name beside ``path``, unique to this process."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def writing(path: str | Path, what: str = "the page") -> Iterator[Path]:
    """``with writing(page) as tmp:`` write ``tmp``; on leaving it is renamed to ``page``. Creates
    the parent folder. An ``OSError`` becomes a :class:`UserError` (see the module docstring);
    the temporary file never stays behind, whatever ends the block."""
    path = Path(path)
    tmp = temp_beside(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise write_failure(exc, what, path) from None
    finally:
        discard(tmp)


def write_text_atomic(path: str | Path, text: str, what: str = "the page") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`writing`); return the path."""
    path = Path(path)
    with writing(path, what) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
