"""Process helpers: is a process still there (to tell a live writer's temporary folder from a dead
one's), the C library for the few calls Python does not wrap, and peak memory.

``resource`` is POSIX-only: without it (Windows) the package still imports and the peak memory
is unknown (``core.locks`` does the same for ``fcntl``).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    # the name stays, bound to None where the platform lacks the module (callers check for
    # None); typeshed types it as the module, which None is not
    resource = None  # type: ignore[assignment]


def pid_alive(pid: int) -> bool:
    """True if a process with ``pid`` exists (ours or someone else's) and is not a zombie (a
    process that has ended and waits for its parent to collect it counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return not _zombie(pid)
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """True if ``/proc/<pid>/stat`` says the process is a zombie (state Z, or X: being reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (macOS): kill(pid, 0) is all we know
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


@lru_cache(maxsize=1)
def libc() -> ctypes.CDLL | None:
    """glibc (``ctypes.CDLL``, errno kept), or None where there is none (macOS, musl)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB, or None where the system does not say."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def available_memory() -> int | None:
    """Bytes of memory available to new work now (``MemAvailable`` of ``/proc/meminfo``, else
    the free pages), or None where neither is known."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None
