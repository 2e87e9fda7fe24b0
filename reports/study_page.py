"""A simple study page (findings, tables, plotly charts) and the timing-luck page built on it.

Reads saved runs only. plotly.js is shared by the runs folder or inline (``reports.assets``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from core.atomic import write_text_atomic
from engine.results import BacktestResult
from reports._render import environment, number
from reports.assets import plotly_script
from reports.compare import fig_html


@dataclass
class StudyTable:
    """A table for the page: ``text_columns`` leading columns are left-aligned text."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    text_columns: int = 1
    id: str = ""  # the table element's id (pages and tests find it by it)


@dataclass
class StudyPage:
    title: str
    subtitle: str
    findings: list[str] = field(default_factory=list)
    tables: list[StudyTable] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (title, plotly HTML fragment)
    kind: str = "study"  # what the runs index lists it as (walk-forward, timing, costs...)


def write_study_page(page: StudyPage, path: str | Path, self_contained: bool = False) -> Path:
    """Write ``page`` to ``path`` (atomically); plotly.js as ``reports.assets`` says; return the
    path."""
    path = Path(path)
    html = (
        environment()
        .get_template("study.html")
        .render(
            title=page.title,
            subtitle=page.subtitle + f" · generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
            findings=page.findings,
            tables=page.tables,
            charts=page.charts,
            page_kind=page.kind,
            plotly_script=plotly_script(path, self_contained),
        )
    )
    return write_text_atomic(path, html, "the page")


def growth_chart(curves: dict[str, tuple], log: bool = True) -> str:
    """Growth-of-1 lines: label -> (returns Series, line style dict)."""
    fig = go.Figure()
    for label, (returns, line) in curves.items():
        growth = (1 + returns).cumprod()
        fig.add_trace(go.Scatter(x=growth.index, y=growth.to_numpy(), name=label, line=line))
    if log:
        fig.update_yaxes(type="log", title="growth of 1")
    return fig_html(fig, f"growth{len(curves)}")


def write_timing_page(summary: dict, variants_dir: Path, path: str | Path, strategy: str) -> Path:
    """The timing-luck page: spread table, metric by offset, growth of every offset and the
    tranched run."""
    offsets = summary["offsets"]
    rows = [
        [
            f"offset {o['offset']}",
            number(o["cagr"], "pct"),
            number(o["sharpe"]),
            number(o["max_drawdown"], "pct"),
        ]
        for o in offsets
    ]
    t = summary["tranched"]
    rows.append(
        [
            f"{summary['tranches']} tranches",
            number(t["cagr"], "pct"),
            number(t["sharpe"]),
            number(t["max_drawdown"], "pct"),
        ]
    )
    spread = summary["spread"]
    spread_rows = [
        [
            m,
            number(s["min"], f),
            number(s["max"], f),
            number(s["range"], f),
            number(s["std"], f),
            number(s["tranched"], f),
        ]
        for m, s, f in [
            (m, spread[m], "num" if m == "sharpe" else "pct")
            for m in ("cagr", "sharpe", "max_drawdown")
        ]
    ]
    fig = go.Figure(
        go.Bar(
            x=[o["offset"] for o in offsets], y=[o["cagr"] for o in offsets], name="CAGR by offset"
        )
    )
    fig.add_hline(y=t["cagr"], line_dash="dash", line_color="black",
                  annotation_text=f"{summary['tranches']} tranches")
    fig.update_xaxes(title="sessions before the period's last session")
    fig.update_yaxes(tickformat=".1%", title="CAGR")
    curves = {
        f"offset {o['offset']}": (
            BacktestResult.load(variants_dir / o["id"]).returns["strategy"],
            {"width": 1, "color": "rgba(99,110,250,0.45)"},
        )
        for o in offsets
    }
    curves[f"{summary['tranches']} tranches"] = (
        BacktestResult.load(variants_dir / t["id"]).returns["strategy"],
        {"width": 3, "color": "black"},
    )
    cagr = spread["cagr"]
    page = StudyPage(
        kind="timing",
        title=f"Rebalance-timing luck: {strategy}",
        subtitle=(
            f"{summary['schedule']} schedule, {len(offsets)} offsets, "
            f"{summary['tranches']} tranches"
        ),
        findings=[
            f"Deciding on a different session of the {summary['schedule'][:-2]} moved CAGR between "
            f"{cagr['min']:.2%} and {cagr['max']:.2%} (a {cagr['range']:.2%} spread, sd "
            f"{cagr['std']:.2%}); tranched: {cagr['tranched']:.2%}."
        ],
        tables=[
            StudyTable(
                "Spread across offsets",
                ["metric", "min", "max", "range", "sd", "tranched"],
                spread_rows,
            ),
            StudyTable("Every offset", ["run", "CAGR", "Sharpe", "max drawdown"], rows),
        ],
        charts=[
            ("CAGR by rebalance offset", fig_html(fig, "by_offset")),
            ("Growth of 1", growth_chart(curves)),
        ],
    )
    return write_study_page(page, path)


def variant_label(params: dict, varying: list[str]) -> str:
    """A chosen variant named by the values of the parameters that vary (``lookback=63,
    top_n=1``)."""
    shown = [f"{k}={params[k]}" for k in varying if k in params]
    return ", ".join(shown) or "the only variant"


def _fold_rows(doc: dict, fmt: str) -> list[list[str]]:
    varying = doc.get("varying") or []
    rows = []
    for i, f in enumerate(doc["folds"]):
        note = f"short: {f.get('test_sessions')} sessions, not annualised" if f.get("short") else ""
        rows.append(
            [
                f"{i + 1}",
                f"{f['train_start']} .. {f['train_end']}",
                f"{f['test_start']} .. {f['test_end']}",
                variant_label(f["params"], varying),
                number(f["in_sample"], fmt),
                number(f["out_of_sample"], fmt),
                number(f["in_sample_cagr"], "pct"),
                note,
            ]
        )
    return rows


def _timeline(doc: dict) -> str:
    varying = doc.get("varying") or []
    fig = go.Figure()
    for f in doc["folds"]:
        label = variant_label(f["params"], varying)
        fig.add_trace(
            go.Scatter(
                x=[f["test_start"], f["test_end"]],
                y=[label, label],
                mode="lines",
                line={"width": 10},
                showlegend=False,
                hovertext=f"{f['chosen']}: {f['params']}",
            )
        )
    fig.update_yaxes(type="category", title="chosen variant", automargin=True)
    return fig_html(fig, "timeline")


def _findings(doc: dict) -> list[str]:
    s, folds = doc["summary"], doc["folds"]
    hind = s["best_in_hindsight"]
    lines = [
        f"Out of sample ({len(folds)} folds, {folds[0]['test_start']} .. {folds[-1]['test_end']}): "
        f"CAGR {number(s['oos']['cagr'], 'pct')}, Sharpe {number(s['oos']['sharpe'])} (against the "
        "daily cash rate); the chosen variants' in-sample CAGR averaged "
        f"{number(s['mean_in_sample_cagr'], 'pct')}.",
        s.get("efficiency_words") or "",
        "Best variant in hindsight "
        f"({variant_label(hind.get('params') or {}, doc.get('varying') or [])}): "
        f"CAGR {number(hind['cagr'], 'pct')}; benchmark "
        f"{doc['benchmark']}: CAGR {number(s['benchmark']['cagr'], 'pct')}. The choice changed "
        f"{s['switches']} times.",
    ]
    if s.get("short_folds"):
        lines.append(
            f"Fold {', '.join(map(str, s['short_folds']))} tested fewer than 63 sessions: its "
            "out-of-sample figures are not annualised (empty)."
        )
    return [x for x in lines if x]


def write_walkforward_page(doc: dict, oos: pd.Series, hindsight: pd.Series, benchmark: pd.Series,
                           path: str | Path, title: str) -> Path:
    """The walk-forward page: findings, folds table (only the parameters that vary name the
    chosen variant), chosen-variant timeline and the stitched out-of-sample equity against the
    best variant in hindsight and the benchmark, over the test windows."""
    sel = doc["select"]
    fmt = "num" if sel in ("sharpe", "sortino", "calmar") else "pct"
    page = StudyPage(
        kind="walk-forward",
        title=title,
        subtitle=(
            f"select by {sel} · train {doc['train_sessions']} sessions · "
            f"test {doc['test_sessions']} sessions · "
            f"{'anchored' if doc['anchored'] else 'rolling'}"
        ),
        findings=_findings(doc),
        tables=[
            StudyTable(
                "Folds",
                [
                    "fold",
                    "train",
                    "test",
                    "chosen",
                    f"in-sample {sel}",
                    f"out-of-sample {sel}",
                    "in-sample CAGR",
                    "note",
                ],
                _fold_rows(doc, fmt),
                text_columns=4,
                id="folds",
            )
        ],
        charts=[
            ("Chosen variant per test window", _timeline(doc)),
            (
                "Growth of 1 over the test windows",
                growth_chart(
                    {
                        "walk-forward (out of sample)": (oos, {"width": 3, "color": "black"}),
                        "best in hindsight": (hindsight, {"color": "#636efa"}),
                        f"benchmark {doc['benchmark']}": (
                            benchmark,
                            {"color": "grey", "dash": "dot"},
                        ),
                    }
                ),
            ),
        ],
    )
    return write_study_page(page, path)
