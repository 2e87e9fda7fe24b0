"""The catalog of a runs folder: an append-only file with one entry per line, so a backtest adds
its row in O(1) instead of rescanning the folder (issue 29).

The file (:data:`NAME`, hidden, beside the runs index) is JSON lines, each wrapped in a call, so
the index page loads it with a ``<script>`` tag straight from disk (a page opened as ``file://``
may not fetch a ``.jsonl``)::

    catalog({"version": 1});
    entry({"path": "20250102T...-relative_momentum-1a2b", "type": "run", ...});
    entry({"path": "sweep-grid-.../comparison.html", "type": "page", ...});

Entries are keyed by ``path`` (relative to the runs folder, ``/``-separated): a later line for a
path replaces an earlier one. Writers hold :func:`locked` (a lock file beside the catalog) and
append with :func:`append_entries`, which only looks at the file's first line and its tail: a
line torn by a killed writer is cut off before the next append, and readers skip it. Removals
(``runs rm``, ``runs gc``, stale entries) rewrite the file atomically (:func:`write_catalog`).
A missing catalog, or one whose first line is not a catalog's, is rebuilt by the caller from the
folder (``reports.index.write_index``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from core.atomic import write_failure, write_text_atomic
from core.locks import waiting_lock

#: The catalog's file name, beside the index page it feeds.
NAME = ".index-catalog.js"
#: The lock writers of the catalog (and the index page) hold, beside it.
LOCK = ".index.lock"
VERSION = 1
HEADER = f'catalog({{"version": {VERSION}}});\n'
OPEN, CLOSE = "entry(", ");"
#: How much of the file's end is read to find the last complete line after a torn write.
TAIL_BLOCK = 65536


def entry_line(entry: dict[str, Any]) -> str:
    """One catalog line for ``entry`` (a dict with a ``path``): JSON, ASCII only, in a call."""
    text = json.dumps(entry, ensure_ascii=True, separators=(",", ":"), default=str)
    return f"{OPEN}{text}{CLOSE}\n"


def parse_line(line: str) -> dict[str, Any] | None:
    """The entry a catalog line holds, or None for anything else (a torn or foreign line)."""
    line = line.strip()
    if not (line.startswith(OPEN) and line.endswith(CLOSE)):
        return None
    try:
        entry = json.loads(line[len(OPEN):-len(CLOSE)])
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("path"), str) else None


@contextmanager
def locked(catalog: Path) -> Iterator[None]:
    """Hold the writers' lock of ``catalog`` for the block (waiting for another writer)."""
    with waiting_lock(catalog.parent / LOCK):
        yield


def read_catalog(catalog: Path) -> tuple[dict[str, dict[str, Any]], int] | None:
    """``(entries by path, number of unreadable lines)`` of ``catalog``, in the order first
    written; None if the file is missing or does not start with a catalog's first line (the
    caller rebuilds it). Reads the whole file: for listings, not for a backtest's update."""
    try:
        text = catalog.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0] != HEADER:
        return None
    entries: dict[str, dict[str, Any]] = {}
    bad = 0
    for line in lines[1:]:
        entry = parse_line(line)
        if entry is None:
            bad += 1
        else:
            entries[entry["path"]] = entry
    return entries, bad


def _sound_start(handle: BinaryIO) -> bool:
    handle.seek(0)
    return handle.read(len(HEADER)) == HEADER.encode()


def _cut_torn_tail(handle: BinaryIO, size: int) -> None:
    """If the file does not end with a newline (a writer was killed mid-line), cut it back to
    the end of its last complete line. Reads at most the last few blocks."""
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    end = size
    while end > len(HEADER):
        start = max(len(HEADER) - 1, end - TAIL_BLOCK)
        handle.seek(start)
        block = handle.read(end - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            handle.truncate(start + newline + 1)
            return
        end = start
    handle.truncate(len(HEADER))


def append_entries(catalog: Path, entries: Iterable[dict[str, Any]]) -> bool:
    """Append ``entries`` to ``catalog`` (the caller holds :func:`locked`); False, writing
    nothing, if the catalog is missing or its first line is not a catalog's (rebuild it then).
    Reads only the first line and the end of the file, never the folder: O(1) in the number of
    runs. A write failure (full disk, read-only folder) is a one-line UserError."""
    text = "".join(entry_line(e) for e in entries)
    try:
        with open(catalog, "rb+") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < len(HEADER) or not _sound_start(handle):
                return False
            _cut_torn_tail(handle, size)
            handle.seek(0, os.SEEK_END)
            handle.write(text.encode())
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise write_failure(exc, "the runs catalog", catalog) from None
    return True


def write_catalog(catalog: Path, entries: Iterable[dict[str, Any]]) -> Path:
    """Replace ``catalog`` with ``entries`` (atomically: a killed rewrite leaves the old file);
    the caller holds :func:`locked`."""
    return write_text_atomic(catalog, HEADER + "".join(entry_line(e) for e in entries),
                             "the runs catalog")
