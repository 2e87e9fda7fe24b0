"""Process helpers: is a process still there (to tell a live writer's temporary folder from a dead
one's), and the C library, for the few calls Python does not wrap."""

from __future__ import annotations

import os
from functools import lru_cache


def pid_alive(pid: int) -> bool:
    """True if a process with ``pid`` exists (ours or someone else's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@lru_cache(maxsize=1)
def libc():
    """glibc (``ctypes.CDLL``, errno kept), or None where there is none (macOS, musl)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None
