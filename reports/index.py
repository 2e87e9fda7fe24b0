"""The runs index: ``runs/index.html``, a browsable list of every run and page in a runs folder.

The page is a static shell that loads the folder's catalog (``engine.catalog_file``: one line
per run or page, beside the page) and draws the tables in the browser. So a command that saves
something only appends its lines (:func:`record`, O(1): the folder is never listed), and
removals rewrite the catalog (:func:`forget`). :func:`write_index` rebuilds the catalog from the
folder (runs one to three folders down, every page up to :data:`PAGE_DEPTH` folders down): on
``smallcap runs index --rebuild``, and by itself when the catalog is missing or is not one.
:func:`refresh_index` drops entries whose files are gone (a folder deleted by hand) and adds
runs saved directly in the folder that it does not list (a writer killed between saving and
recording): ``smallcap runs`` and ``smallcap runs index`` call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.atomic import write_failure, write_text_atomic
from core.cache import user_cache_dir
from core.errors import notice
from engine.catalog_file import (
    NAME,
    append_entries,
    locked,
    read_catalog,
    write_catalog,
)
from engine.results import is_complete_run
from engine.run_catalog import check_listing, list_runs, relative_path, run_entry, saved_runs
from reports.folders import MARKER, owns

#: How deep below the runs folder pages are looked for (``<root>/<study>/<sub>/page.html``).
PAGE_DEPTH = 3
#: ``<meta name="generator" content="smallcap-rotation KIND">``: what every page template writes.
GENERATOR = re.compile(r'<meta name="generator" content="smallcap-rotation ([^"]+)"')
TITLE = re.compile(r"<title>([^<]*)</title>", re.IGNORECASE)
#: In the head of the index page this module writes (a page without it is rewritten).
SHELL_VERSION = '<meta name="smallcap-index" content="catalog-1">'


def page_entry(page: Path, root: Path) -> dict[str, Any]:
    """The catalog entry of the HTML page ``page`` under ``root``: ``path`` (relative to
    ``root``), ``kind`` (from the page's generator tag, which every template of the tool writes,
    else its file name), ``title``, ``name`` (its folder), ``runs`` (a comparison's rows),
    ``mtime`` and ``updated`` (UTC, minutes). Reads the page's head (a comparison: the page)."""
    rel = page.relative_to(root)
    with page.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(8192)
    kind, title = GENERATOR.search(head), TITLE.search(head)
    mtime = page.stat().st_mtime
    return {"path": rel.as_posix(), "type": "page", "kind": kind.group(1) if kind else page.stem,
            "title": html_lib.unescape(title.group(1)) if title else "",
            "name": str(rel.parent) if str(rel.parent) != "." else page.name,
            "runs": _rows(page) if page.name == "comparison.html" else "", "mtime": mtime,
            "updated": dt.datetime.fromtimestamp(mtime, dt.UTC).strftime("%Y-%m-%d %H:%M")}


def find_pages(root: Path) -> list[dict]:
    """Every HTML page under ``root`` (up to :data:`PAGE_DEPTH` folders down, hidden ones and
    tearsheets aside: runs are listed with theirs), newest first, as :func:`page_entry` gives
    them plus ``link`` (relative to ``root``). Pages are discovered, not listed by name, so a new
    study's page appears without changing this module. A full scan: for rebuilding."""
    found = []
    for depth in range(1, PAGE_DEPTH + 2):
        for page in root.glob("/".join(["*"] * depth) + ".html"):
            rel = page.relative_to(root)
            hidden = any(p.startswith(".") for p in rel.parts)
            if page.name in ("index.html", "tearsheet.html") or hidden:
                continue
            entry = page_entry(page, root)
            found.append({**entry, "link": entry["path"]})
    return sorted(found, key=lambda p: p["mtime"], reverse=True)


def _rows(page: Path) -> int:
    return page.read_text(encoding="utf-8").count('<tr data-run="')


def index_path(root: Path) -> Path:
    """Where the index of ``root`` goes: ``root/index.html`` if the tool owns ``root``
    (``reports.folders``), else a page in the user cache named by ``root``'s absolute path."""
    if owns(root):
        return root / "index.html"
    return _cache_page(root)


def _cache_page(root: Path) -> Path:
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return user_cache_dir() / "runs-index" / f"{root.resolve().name}-{digest}" / "index.html"


def catalog_path(root: str | Path) -> Path | None:
    """The catalog of the runs folder ``root`` (beside its index page: :func:`index_path`) if
    one was written, else None."""
    catalog = index_path(Path(root)).parent / NAME
    return catalog if catalog.is_file() else None


def _entry(item: Path, root: Path) -> dict[str, Any] | None:
    if item.suffix != ".html":
        return run_entry(item, root)
    if not item.is_file() or relative_path(item, root) is None:
        return None
    return page_entry(item.absolute(), root.absolute())


def _index_of(runs_dir: str | Path) -> tuple[Path, Path]:
    """(runs folder, its index page), the folder created; a page in the user cache is noticed."""
    root = Path(runs_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "the runs index", root) from None
    out = index_path(root)
    if out.parent != root:
        out.parent.mkdir(parents=True, exist_ok=True)
        notice(f"runs index written to {out}: {root} holds files that are not smallcap's, "
               f"so its own index.html is left alone (to make it a runs folder: "
               f"touch {root / MARKER})")
    return root, out


def record(runs_dir: str | Path, items: Iterable[str | Path]) -> Path:
    """Add ``items`` (run folders and HTML pages under ``runs_dir``) to the index of
    ``runs_dir`` and return the index page. O(1) in the number of saved runs: reads each item's
    own files, appends to the catalog, never lists the folder; a missing or foreign catalog is
    rebuilt (:func:`write_index`). Writers take turns (a lock beside the catalog); a later
    entry for the same path replaces the earlier one."""
    root, out = _index_of(runs_dir)
    entries = [e for e in (_entry(Path(i), root) for i in items) if e is not None]
    catalog = out.parent / NAME
    with locked(catalog):
        if not append_entries(catalog, entries):
            _rebuild(root, out)
        elif not _current_shell(out):
            _write_shell(root, out)
    return out


def record_in_place(item: str | Path) -> Path | None:
    """Add ``item`` to the index of the runs folder it sits in and return the index page: for
    an HTML page, the nearest folder above it (at most :data:`PAGE_DEPTH` + 1 levels up) marked
    as the tool's; for a run folder, its parent if marked. None (nothing written) when it is
    not inside a runs folder."""
    item = Path(item).absolute()
    for folder in list(item.parents)[:PAGE_DEPTH + 1 if item.suffix == ".html" else 1]:
        if (folder / MARKER).is_file():
            return record(folder, [item])
    return None


def write_index(runs_dir: str | Path = "runs") -> Path:
    """Rebuild the index of ``runs_dir`` from the folder and return the page: ``runs_dir/
    index.html``, or, when ``runs_dir`` holds files that are not the tool's, a page in the user
    cache (with a :class:`core.errors.Notice` saying where), so a user's own ``index.html`` is
    never replaced. A full scan (every run and page): :func:`record` is the everyday path."""
    root, out = _index_of(runs_dir)
    with locked(out.parent / NAME):
        return _rebuild(root, out)


def _rebuild(root: Path, out: Path) -> Path:
    """Scan ``root`` and rewrite the catalog and the page (the caller holds the lock)."""
    runs = [e for e in (run_entry(r, root) for r in saved_runs(root)) if e is not None]
    pages = [{k: v for k, v in p.items() if k != "link"} for p in find_pages(root)]
    write_catalog(out.parent / NAME, [*runs, *pages])
    return _write_shell(root, out)


def refresh_index(runs_dir: str | Path = "runs") -> dict[str, dict[str, Any]]:
    """Bring the catalog of ``runs_dir`` in step with the folder cheaply, and return its entries
    by path: entries whose file or folder is gone are dropped, complete runs saved directly in
    the folder but missing from the catalog (a writer killed before recording) are added,
    unreadable lines (a killed write) are cut; a missing or foreign catalog is rebuilt. Checks
    each entry's path and lists only the folder's own names (one ``stat`` each, no file read)."""
    root, out = _index_of(runs_dir)
    catalog = out.parent / NAME
    with locked(catalog):
        read = read_catalog(catalog)
        if read is None:
            _rebuild(root, out)
            read = read_catalog(catalog) or ({}, 0)
        entries, bad = read
        kept = {p: e for p, e in entries.items() if (root / p).exists()}
        new = [run_entry(d, root) for d in root.iterdir()
               if d.name not in kept and not d.name.startswith(".") and is_complete_run(d)]
        kept.update({e["path"]: e for e in new if e is not None})
        if bad or kept.keys() != entries.keys():
            write_catalog(catalog, kept.values())
        if not _current_shell(out):
            _write_shell(root, out)
    return kept


def forget(runs_dir: str | Path, paths: Iterable[str | Path]) -> None:
    """Drop ``paths`` (removed runs, pages or folders under ``runs_dir``, with whatever they
    held) from its catalog, if it has one: ``runs rm`` and ``runs gc`` call it."""
    root = Path(runs_dir)
    catalog = catalog_path(root)
    if catalog is None:
        return
    gone = [rel for rel in (relative_path(Path(p), root) for p in paths) if rel]
    with locked(catalog):
        read = read_catalog(catalog)
        if read is None:
            return
        entries = read[0]
        kept = [e for p, e in entries.items()
                if not any(p == g or p.startswith(g + "/") for g in gone)]
        if len(kept) != len(entries) or read[1]:
            write_catalog(catalog, kept)


def index_status(runs_dir: str | Path = "runs", rebuild: bool = False) -> dict[str, Any]:
    """``smallcap runs index``: :func:`refresh_index` (``rebuild``: :func:`write_index`) of
    ``runs_dir``; the document it prints: ``index`` (the page), ``catalog``, ``runs``,
    ``pages``. A ``runs_dir`` that is a file is a one-line UserError."""
    check_listing(runs_dir)
    if rebuild:
        page = write_index(runs_dir)
        entries = (read_catalog(page.parent / NAME) or ({}, 0))[0]
    else:
        entries = refresh_index(runs_dir)
        page = index_path(Path(runs_dir))
    kinds = [e.get("type") for e in entries.values()]
    return {"index": str(page), "catalog": str(page.parent / NAME), "runs": kinds.count("run"),
            "pages": kinds.count("page")}


def runs_listing(root: str | Path = "runs", kind: str | None = None,
                 strategy: str | None = None) -> list[dict]:
    """``smallcap runs``: :func:`engine.run_catalog.list_runs` of ``root``, with runs read from
    the catalog when there is one (after :func:`refresh_index`, so entries of deleted folders go).
    A folder without a catalog is listed from its files and left as it is."""
    check_listing(root, kind)
    entries = None
    if Path(root).is_dir() and catalog_path(root) is not None:
        entries = refresh_index(root)
    return list_runs(root, kind, strategy, entries)


def _current_shell(out: Path) -> bool:
    try:
        with out.open(encoding="utf-8", errors="replace") as handle:
            return SHELL_VERSION in handle.read(4096)
    except OSError:
        return False


def _write_shell(root: Path, out: Path) -> Path:
    from reports._render import environment

    base = "" if out.parent == root else os.path.relpath(root.resolve(), out.parent.resolve()) + "/"
    html = environment().get_template("index.html").render(
        folder=str(root), base=base, catalog=NAME, version=SHELL_VERSION)
    return write_text_atomic(out, html, "the runs index")
