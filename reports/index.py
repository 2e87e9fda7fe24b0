"""``write_index(runs_dir)``: ``runs/index.html``, a browsable list of every run and page.

Scans the folder (runs may sit directly in it or one level down, e.g. inside a sweep folder);
reads only ``metrics.json`` and ``config.toml`` of each run, so it stays fast with many runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import json
import os
import re
import tomllib
from pathlib import Path

from core.atomic import write_failure, write_text_atomic
from core.cache import user_cache_dir
from core.errors import notice
from core.locks import waiting_lock
from reports._render import environment, number
from reports.folders import MARKER, owns


def _runs(root: Path) -> list[Path]:
    """Runs up to three folders down (a walk-forward's ``<wf>/oos/<run>``); a sweep's variants
    are reached through its comparison page."""
    found = []
    for pattern in ("*/metrics.json", "*/*/metrics.json", "*/*/*/metrics.json"):
        for metrics in sorted(root.glob(pattern)):
            parts = metrics.relative_to(root).parts
            if not any(part.startswith(".") for part in parts) and "variants" not in parts[:-2]:
                found.append(metrics.parent)
    return found


#: How deep below the runs folder pages are looked for (``<root>/<study>/<sub>/page.html``).
PAGE_DEPTH = 3
#: ``<meta name="generator" content="smallcap-rotation KIND">``: what every page template writes.
GENERATOR = re.compile(r'<meta name="generator" content="smallcap-rotation ([^"]+)"')
TITLE = re.compile(r"<title>([^<]*)</title>", re.IGNORECASE)


def find_pages(root: Path) -> list[dict]:
    """Every HTML page under ``root`` (up to :data:`PAGE_DEPTH` folders down, hidden ones and
    tearsheets aside: runs are listed with theirs), newest first: ``kind`` (from the page's
    generator tag, which every template of the tool writes, else its file name), ``title``,
    ``link`` (relative to ``root``), ``runs`` (a comparison's rows) and ``updated``. Pages are
    discovered, not listed by name, so a new study's page appears without changing this module."""
    found = []
    for depth in range(1, PAGE_DEPTH + 2):
        for page in root.glob("/".join(["*"] * depth) + ".html"):
            rel = page.relative_to(root)
            if page.name in ("index.html", "tearsheet.html") or any(
                p.startswith(".") for p in rel.parts
            ):
                continue
            with page.open(encoding="utf-8", errors="replace") as handle:
                head = handle.read(8192)
            kind, title = GENERATOR.search(head), TITLE.search(head)
            found.append(
                {
                    "kind": kind.group(1) if kind else page.stem,
                    "title": html_lib.unescape(title.group(1)) if title else "",
                    "name": str(rel.parent) if str(rel.parent) != "." else page.name,
                    "link": rel.as_posix(),
                    "runs": _rows(page) if page.name == "comparison.html" else "",
                    "mtime": page.stat().st_mtime,
                    "updated": dt.datetime.fromtimestamp(page.stat().st_mtime, dt.UTC).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                }
            )
    return sorted(found, key=lambda p: p["mtime"], reverse=True)


def _rows(page: Path) -> int:
    return page.read_text(encoding="utf-8").count('<tr data-run="')


def index_path(root: Path) -> Path:
    """Where the index of ``root`` goes: ``root/index.html`` if the tool owns ``root``
    (``reports.folders``), else a page in the user cache named by ``root``'s absolute path."""
    if owns(root):
        return root / "index.html"
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return user_cache_dir() / "runs-index" / f"{root.resolve().name}-{digest}" / "index.html"


def write_index(runs_dir: str | Path = "runs") -> Path:
    """(Re)write the index of ``runs_dir`` and return its path: ``runs_dir/index.html``, or, when
    ``runs_dir`` holds files that are not the tool's, a page in the user cache (with a
    :class:`core.errors.Notice` saying where), so a user's own ``index.html`` is never replaced.
    Writers take turns (a lock on ``.index.lock`` beside the index), each scanning the folder
    after the one before has written, so the last one lists every run saved before it."""
    root = Path(runs_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "the runs index", root) from None
    out = index_path(root)
    if out.parent != root:
        out.parent.mkdir(parents=True, exist_ok=True)
        notice(
            f"runs index written to {out}: {root} holds files that are not smallcap's, "
            f"so its own index.html is left alone (to make it a runs folder: touch {root / MARKER})"
        )
    with waiting_lock(out.parent / ".index.lock"):
        return _write_index(root, out)


def _write_index(root: Path, out: Path) -> Path:
    base = "" if out.parent == root else os.path.relpath(root.resolve(), out.parent.resolve()) + "/"
    rows = []
    for run in _runs(root):
        try:
            m = json.loads((run / "metrics.json").read_text())
            cfg = tomllib.loads((run / "config.toml").read_text())
        except (OSError, ValueError):
            continue
        tearsheet = run / "tearsheet.html"
        rows.append(
            {
                "name": str(run.relative_to(root)),
                "link": base + str(run.relative_to(root)) + "/",
                "strategy": cfg.get("strategy", "?"),
                "params": ", ".join(f"{k}={v}" for k, v in cfg.get("params", {}).items()),
                "period": f"{m.get('start')} .. {m.get('end')}",
                "cagr": number(m.get("cagr"), "pct"),
                "cagr_raw": m.get("cagr") or 0.0,
                "sharpe": number(m.get("sharpe")),
                "max_dd": number(m.get("max_drawdown"), "pct"),
                "trades": m.get("trades", ""),
                "tearsheet": base + str(tearsheet.relative_to(root)) if tearsheet.exists() else "",
            }
        )
    rows.sort(key=lambda r: r["name"], reverse=True)
    html = (
        environment()
        .get_template("index.html")
        .render(
            folder=str(root),
            runs=rows,
            pages=[{**p, "link": base + p["link"]} for p in find_pages(root)],
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    return write_text_atomic(out, html, "the runs index")
