"""Which folders the tool owns, so it never overwrites a user's ``index.html`` or ``plotly.min.js``.

The runs index (``index.html``) and the shared plotly.js (``plotly.min.js``) are written only into
a folder the tool owns: one holding the marker file ``.smallcap-runs``, or one whose every entry
the tool wrote (runs, sweeps, comparisons, walk-forward and timing folders, empty folders, its
own index and script), which is then marked. Even in a marked folder an ``index.html`` or
``plotly.min.js`` the tool did not write is left alone. Elsewhere the index goes to the user
cache (and the caller says where) and pages carry plotly.js inline.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.run_catalog import item_kind

MARKER = ".smallcap-runs"
MARKER_TEXT = ("This folder holds runs written by smallcap-rotation; its index.html and "
               "plotly.min.js are the tool's and are rewritten.\n")
INDEX_SIGNATURE = "<title>smallcap-rotation runs</title>"  # in every index the tool wrote
PLOTLY_BANNER = b"/**\n* plotly.js v"


def _ours_index(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return INDEX_SIGNATURE in handle.read(4096)
    except OSError:
        return False


def _ours_script(path: Path, marked: bool, expected: bytes) -> bool:
    try:
        if path.stat().st_size == len(expected) and path.read_bytes() == expected:
            return True
        with path.open("rb") as handle:  # an older plotly.js the tool wrote into its own folder
            return marked and handle.read(len(PLOTLY_BANNER)) == PLOTLY_BANNER
    except OSError:
        return False


def _holds_nothing(folder: Path) -> bool:
    return not any(p.is_file() and not any(x.startswith(".") for x in p.relative_to(folder).parts)
                   for p in folder.rglob("*"))


def _tool_entry(path: Path, script: bytes) -> bool:
    if path.name.startswith(".") or path.name == MARKER:
        return True
    if path.is_dir():
        return item_kind(path) is not None or _holds_nothing(path)
    if path.name == "index.html":
        return _ours_index(path)
    if path.name == "plotly.min.js":
        return _ours_script(path, False, script)
    return False


def owns(folder: str | Path, script: bytes = b"") -> bool:
    """True if the tool may write ``index.html`` and ``plotly.min.js`` into ``folder``; a folder
    that does not exist yet, or whose every entry the tool wrote, is created and marked.
    ``script``: the plotly.js the caller would write (a file equal to it is the tool's)."""
    folder = Path(folder)
    marked = (folder / MARKER).is_file()
    if not marked and folder.is_dir() and not all(_tool_entry(p, script) for p in folder.iterdir()):
        return False
    index, shared = folder / "index.html", folder / "plotly.min.js"
    if index.exists() and not _ours_index(index):
        return False
    if shared.exists() and not _ours_script(shared, marked, script):
        return False
    if not marked:
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return True
