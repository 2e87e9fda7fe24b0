"""The "when and why it works" parts of the pages: returns by regime, factor attribution and
style analysis (``research.regimes``, ``research.run_attribution``), rendered from saved runs.

``when_and_why_html(run_dir)`` is the tearsheet's section; ``comparison_html(...)`` the
comparison page's (one row per run, the best :data:`COMPARED` by the ranking metric).
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pandas as pd

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
        {"label": label, "a": attribute_run(d, rolling=False).summary, "regimes": regime_report(d)}
        for d, label in list(zip(run_dirs, labels, strict=True))[:COMPARED]
    ]


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
