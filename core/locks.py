"""Folder locks (``flock`` on ``<folder>/.lock``): who writes into a folder, and short locks that
serialise a read-modify-write (the runs index).

The kernel releases an ``flock`` when its process ends, however it ends, so a lock is never
stale: a folder is "in use" exactly while a live process holds its lock.

``fcntl`` is POSIX-only. Without it (Windows) the package still imports: no folder is known to
be in use, short locks run unlocked, and a command that needs to own a folder (a sweep) stops
with a one-line error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import UserError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    # the name stays, bound to None where the platform lacks the module (callers check for
    # None); typeshed types it as the module, which None is not
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"


def lock_holder(folder: str | Path) -> int | None:
    """The process id written in ``folder/.lock`` if a live process holds that lock (0 if the
    file names none), else None. Never creates the lock file."""
    path = Path(folder) / LOCK_NAME
    if fcntl is None:
        return None
    try:
        handle = open(path)  # noqa: SIM115 - closed below
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else 0
        except OSError:
            return None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextmanager
def folder_lock(folder: str | Path, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.lock`` (creating the folder) for the block, with this
    process's id written in it. Already held: a :class:`UserError` whose cause is ``busy``."""
    if fcntl is None:
        raise UserError(f"cannot lock {folder}: this system has no POSIX file locks (fcntl)",
                        "run it on Linux or macOS (or in WSL)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_NAME, "a+")  # noqa: SIM115 - held for the whole block
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UserError(busy, "wait for it to finish, or pass another --out") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextmanager
def waiting_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` for the block, waiting for other holders (a
    short critical section, such as rewriting an index). Where no lock file can be made
    (read-only folder) the block runs unlocked: it will fail on its own write."""
    try:
        handle = open(path, "a+")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    if fcntl is None:
        handle.close()
        yield
        return
    with handle:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
