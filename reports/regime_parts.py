"""The "when and why it works" parts of the pages: returns by regime, factor attribution and
style analysis (``research.regimes``, ``research.run_attribution``), rendered from saved runs.

``when_and_why_html(run_dir)`` is the tearsheet's section; ``comparison_html(...)`` the
comparison page's (one row per run, the best :data:`COMPARED` by the ranking metric).
"""

from __future__ import annotations

import contextlib
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from core import __version__
from core.atomic import write_text_atomic
from core.errors import UserError
from engine.data.catalog import bundled_root
from engine.store_records import fingerprint
from engine.sweep_store import STORE
from reports._render import environment
from research.regimes import regime_report
from research.run_attribution import attribute_run

#: Runs attributed on a comparison page (best first): each costs a regression, a style fit and
#: a bootstrap; every run's own tearsheet has its full section.
COMPARED = 20
LOADING_COLORS = {"mkt_rf": "#348dc1", "smb": "#e15759", "hml": "#59a14f", "mom": "#b07aa1"}


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _axes(title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.set_title(title, fontweight="bold")
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def loadings_svg(loadings: pd.DataFrame) -> str:
    """Rolling 252-session factor loadings as lines (empty text when there are none)."""
    frame = loadings.drop(columns="alpha", errors="ignore").dropna()
    if frame.empty:
        return ""
    fig, ax = _axes("Rolling 252-session factor loadings (Carhart)")
    for name in frame.columns:
        ax.plot(
            frame.index,
            frame[name].to_numpy(),
            linewidth=1.2,
            label=name,
            color=LOADING_COLORS.get(name),
        )
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.legend(frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return _svg(fig)


def style_svg(style: pd.DataFrame) -> str:
    """Rolling 252-session style weights as stacked areas (empty text when there are none)."""
    weights = style.drop(columns="r2", errors="ignore")
    if weights.empty:
        return ""
    fig, ax = _axes("Rolling 252-session style weights (what it effectively held)")
    ax.stackplot(
        weights.index,
        *(weights[c].to_numpy() for c in weights.columns),
        labels=list(weights.columns),
        alpha=0.85,
    )
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, ncol=min(6, len(weights.columns)), loc="upper left")
    fig.tight_layout()
    return _svg(fig)


def when_and_why_html(run_dir: str | Path, benchmark: str, holdings_html: str = "") -> str:
    """The tearsheet's section for the saved run in ``run_dir``: regime tables, the factor
    regression with its rolling loadings, and style weights beside the real holdings;
    ``holdings_html``: the real-weights chart to show under them, if the caller has one."""
    parts = environment().get_template("regime_parts.html").module
    report = regime_report(run_dir)
    attributed = attribute_run(run_dir)
    return str(parts.regimes(report, benchmark)) + str(
        parts.attribution(
            attributed.summary,
            loadings_svg(attributed.loadings),
            style_svg(attributed.style),
            holdings_html,
        )
    )


def comparison_rows(run_dirs: list[Path], labels: list[str]) -> list[dict]:
    """Per run (in the given order, at most :data:`COMPARED`): label, attribution, regimes."""
    return [
        {"label": label, **_when_and_why(Path(d))}
        for d, label in list(zip(run_dirs, labels, strict=True))[:COMPARED]
    ]


#: A sweep variant's attribution and regimes, kept beside the sweep's store for the next page:
#: each costs seconds (a regression, a style fit, a bootstrap per regime table), and a sweep's
#: page is rewritten on every ``--resume``. Valid while the key (:func:`_key`) holds.
CACHE = "when-and-why"


def _cache_path(run_dir: Path) -> Path | None:
    """``<sweep>/store/when-and-why/<id>.json`` for a variant of a sweep, else None (no cache)."""
    sweep = run_dir.parent.parent
    if run_dir.parent.name != "variants" or not (sweep / "experiment.json").is_file():
        return None
    return sweep / STORE / CACHE / f"{run_dir.name}.json"


def _key(run_dir: Path) -> str:
    """What the cached figures depend on: the run's files (size and time of its returns and
    metrics), the tool's version, and the bundled data the regimes and factors come from."""
    data = bundled_root()
    stamps = sorted(
        (str(f.relative_to(data)), f.stat().st_size, f.stat().st_mtime_ns)
        for sub in ("macro", "events", "factors")
        for f in (data / sub).rglob("*")
        if f.is_file()
    )
    return json.dumps([fingerprint(run_dir), __version__, stamps])


def _when_and_why(run_dir: Path) -> dict:
    """``{"a": attribution summary, "regimes": regime report}`` of the run: for a sweep's
    variant from its cache file when the key still holds (JSON: the figures as written), else
    worked out (and, for a sweep's variant, cached; a folder that cannot be written is left)."""
    path = _cache_path(run_dir)
    key = _key(run_dir) if path else ""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        doc = json.loads(path.read_text())  # type: ignore[union-attr]
        if doc.get("key") == key:
            return {"a": doc["a"], "regimes": doc["regimes"]}
    row = _plain({"a": attribute_run(run_dir, rolling=False).summary,
                  "regimes": regime_report(run_dir)})
    with contextlib.suppress(OSError, UserError, AttributeError):
        path.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        write_text_atomic(path, json.dumps({"key": key, **row}) + "\n", "the attribution cache")
    return row


def _plain(doc: dict) -> dict:
    """``doc`` as its JSON text reads back (tuples as lists, numpy numbers as floats), so a page
    from the cache and a page worked out afresh are the same page."""
    return json.loads(json.dumps(doc, default=_number))


def _number(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def comparison_html(run_dirs: list[Path], labels: list[str], rank_by: str) -> str:
    """The comparison page's factor, style and regime tables for runs ranked best first."""
    rows = comparison_rows(run_dirs, labels)
    families = list(
        dict.fromkeys(
            (f, label)
            for r in rows
            for f, labels_ in r["regimes"]["families"].items()
            for label in labels_
        )
    )
    parts = environment().get_template("regime_parts.html").module
    shown = COMPARED if len(run_dirs) > COMPARED else 0
    return str(parts.comparison(rows, families, shown, rank_by))
