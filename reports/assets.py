"""How pages load plotly.js: one shared copy per runs folder, or inlined for pages that travel.

* Pages inside a runs folder (a sweep's, a comparison's, a walk-forward's, a timing study's:
  ``<root>/<item>/page.html``) load ``<root>/plotly.min.js``, written once, so the runs folder does
  not grow by 4.9 MB of JavaScript per page. If the page is moved without it, it says so in a
  banner instead of showing blank charts.
* Self-contained pages (``--self-contained``, and every page written outside a runs folder, such
  as ``smallcap streaks --html FILE``) carry plotly.js inline and render anywhere, offline.
* The shared copy is written only into a folder the tool owns (``reports.folders``): where
  ``<root>`` holds a user's files (a ``plotly.min.js`` of theirs above all), the page carries
  plotly.js inline instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup
from plotly.offline import get_plotlyjs

from core.atomic import write_text_atomic
from reports.folders import owns

SHARED_NAME = "plotly.min.js"


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return get_plotlyjs()


@lru_cache(maxsize=1)
def _plotly_bytes() -> bytes:
    return _plotly_js().encode()


def write_shared_plotly(folder: Path) -> Path:
    """``folder/plotly.min.js``, written (atomically) unless an identical copy is there. The
    caller checked that the tool owns ``folder`` (``reports.folders.owns``)."""
    target = folder / SHARED_NAME
    js = _plotly_js()
    if not target.exists() or target.stat().st_size != len(_plotly_bytes()):
        write_text_atomic(target, js, "plotly.js")
    return target


def plotly_script(page: Path, self_contained: bool) -> Markup:
    """The ``<script>`` that gives ``page`` plotly.js (see the module docstring)."""
    if self_contained or not owns(page.parent.parent, _plotly_bytes()):
        return Markup("<script>") + Markup(_plotly_js()) + Markup("</script>")
    shared = write_shared_plotly(page.parent.parent)
    rel = Path(os.path.relpath(shared, page.parent)).as_posix()
    note = (f"The charts need {rel}, shared by the pages of this runs folder, and it is not there "
            "(was the page copied alone?). Write a page that travels with --self-contained.")
    return Markup(
        f'<script src="{rel}"></script>\n<script>if (!window.Plotly) {{ document.addEventListener('
        '"DOMContentLoaded", function () { var p = document.createElement("p"); '
        'p.className = "warning"; '
        f'p.id = "missing-plotly"; p.textContent = {note!r}; document.body.prepend(p); '
        "}); }</script>"
    )
