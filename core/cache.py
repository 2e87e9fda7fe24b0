"""The one policy for every disk cache: where it lives, how entries are named, when they go.

* **Location.** ``$SMALLCAP_CACHE_DIR`` if set, else the platform's user cache folder; each cache
  has a sub-folder of its own (:meth:`DiskCache.folder`).
* **Keys.** An entry's name is a digest of everything its content derives from: the content
  digests its cache passes (file bytes, code, settings), the versions of the libraries that shape
  the result (pandas and numpy always, plus the cache's own, :data:`ALWAYS`), and this project's
  version. Whatever changes the result changes the name, so an entry is never served stale and
  never rewritten in place.
* **Pruning.** Writing an entry removes the entries of its cache not used for ``max_age_days``,
  and the least recently used beyond ``max_entries``. Reading an entry marks it used. Nothing is
  removed because a newer key exists, so two checkouts (or two versions) sharing one cache folder
  keep their entries side by side instead of evicting each other.
* **Failure.** Writes are atomic (a temporary file, then a rename); an unreadable entry is a
  miss; a cache folder that cannot be written is skipped (the result is still returned).

Every derived disk cache is a :class:`DiskCache` declared in the module that fills it and listed
in :data:`CACHES`: the parsed series (``engine.data.parsed_cache``), the NYSE session table
(``core.calendar``) and the strategy listing (``cli.listing``). The Yahoo price store
(``engine.data.yahoo``) holds downloaded data, not derived results: it takes its folder from
:func:`user_cache_dir` and keeps its own freshness rules.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

from core import __version__

T = TypeVar("T")

#: Environment variable that moves every cache (Yahoo prices, series, session table, listing).
CACHE_ENV = "SMALLCAP_CACHE_DIR"
#: This project's distribution (its version is part of every key).
PROJECT = "smallcap-rotation"
#: Libraries part of every key: they parse, hold and compute every cached frame and array.
ALWAYS = ("numpy", "pandas")
#: Reading an entry older than this marks it used again (one write per day at most).
TOUCH_SECONDS = 86_400

#: Every derived disk cache, by name (filled as the modules that declare them are imported).
CACHES: dict[str, DiskCache] = {}


def user_cache_dir() -> Path:
    """``$SMALLCAP_CACHE_DIR`` if set, else the platform's user cache folder for this tool."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(PROJECT))


@lru_cache(maxsize=64)
def library_version(name: str) -> str:
    """The installed version of distribution ``name`` ("absent" when it is not installed): the
    module's ``__version__`` when it is imported already (free), else the package metadata."""
    module = sys.modules.get(name.replace("-", "_"))
    found = getattr(module, "__version__", None)
    if isinstance(found, str):
        return found
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def versions_tag(libraries: Iterable[str] = ()) -> str:
    """``numpy=2.3.1;pandas=3.0.0;...;smallcap-rotation=0.1.0``: the versions every key holds."""
    names = sorted({*ALWAYS, *libraries})
    return ";".join([*(f"{n}={library_version(n)}" for n in names), f"{PROJECT}={__version__}"])


def digest(parts: Iterable[str | bytes]) -> str:
    """Hex sha256 of ``parts``, each ended by a NUL byte (so ("ab", "c") != ("a", "bc"))."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class DiskCache:
    """One cache: its sub-folder ``name``, the libraries beyond :data:`ALWAYS` that shape its
    entries, the file ``suffix`` of its entries, and the pruning limits."""

    name: str
    suffix: str
    libraries: tuple[str, ...] = ()
    max_age_days: int = 90
    max_entries: int = 1000

    def __post_init__(self) -> None:
        CACHES[self.name] = self

    def folder(self) -> Path:
        """Where the entries live (under :func:`user_cache_dir`)."""
        return user_cache_dir() / self.name

    def path(self, *parts: str, label: str = "") -> Path:
        """The entry of ``parts`` (content digests and settings): its name is ``label`` (for
        people reading the folder) and the digest of the parts and the versions."""
        key = digest([*parts, versions_tag(self.libraries)])[:32]
        return self.folder() / f"{label}{'-' if label else ''}{key}{self.suffix}"

    def read(self, path: Path, reader: Callable[[Path], T]) -> T | None:
        """``reader(path)``, or None when the entry is missing or unreadable (any ``OSError``
        or ``ValueError`` of the reader); a hit marks the entry used."""
        try:
            value = reader(path)
        except (OSError, ValueError):
            return None
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > TOUCH_SECONDS:
                os.utime(path)
        return value

    def write(self, path: Path, writer: Callable[[Path], None]) -> None:
        """``writer(tmp)`` then an atomic rename to ``path``, then pruning; a folder that cannot
        be written leaves the cache as it was."""
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{self.suffix}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(tmp)
            os.replace(tmp, path)
            self.prune(keep=path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def prune(self, keep: Path | None = None) -> None:
        """Remove entries unused for ``max_age_days``, then the least recently used beyond
        ``max_entries`` (``keep`` stays)."""
        too_old = time.time() - self.max_age_days * 86_400
        entries = []
        for entry in self.folder().glob(f"*{self.suffix}"):
            if entry.name.startswith("."):  # another process's write in progress
                continue
            with contextlib.suppress(OSError):
                entries.append((entry.stat().st_mtime, entry))
        entries.sort(reverse=True)
        for rank, (mtime, entry) in enumerate(entries):
            if entry != keep and (mtime < too_old or rank >= self.max_entries):
                entry.unlink(missing_ok=True)
