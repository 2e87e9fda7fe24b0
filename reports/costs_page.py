"""The cost-sensitivity page of one rule: breakeven costs in words, the table of reruns at each cost
per side, and CAGR against cost beside the benchmark and the twin. Renders the saved study
(``costs.json``, ``research.costs.CostStudy.to_dict``), nothing is rerun."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from reports._render import number
from reports.compare import fig_html
from reports.study_page import StudyPage, StudyTable, write_study_page

COLUMNS = [
    "cost (bps/side)",
    "CAGR",
    "Sharpe",
    "excess vs benchmark",
    "excess vs twin",
    "turnover (x/yr)",
    "costs paid (%/yr)",
    "trades",
]


def breakeven_words(doc: dict[str, Any], reference: str) -> str:
    """One sentence: the breakeven cost per side against ``reference`` (benchmark or twin)."""
    value = doc["breakeven_bps"][reference]
    what = (
        f"the benchmark {doc['benchmark']}"
        if reference == "benchmark"
        else f"the twin ({doc['twin']})"
    )
    if value is None:
        return f"Against {what}: no edge to lose, it trails even without costs."
    if isinstance(value, str):
        return (
            f"Against {what}: the edge survives every cost shown, breakeven {value} bps per side."
        )
    return (
        f"Against {what}: the edge is gone at {value:.1f} bps per side (breakeven, by bisection "
        f"on reruns to {doc['tolerance_bps']:g} bps)."
    )


def cost_rows(doc: dict[str, Any]) -> list[list[str]]:
    """The table rows, formatted as the page and the terminal show them."""
    return [
        [
            f"{r['cost_bps']:g}",
            number(r["cagr"], "pct"),
            number(r["sharpe"]),
            number(r["excess_benchmark"], "pct"),
            number(r["excess_twin"], "pct"),
            number(r["turnover"]),
            number(r["cost_paid"], "pct"),
            str(r["trades"]),
        ]
        for r in doc["rows"]
    ]


def _chart(doc: dict[str, Any]) -> str:
    costs = [r["cost_bps"] for r in doc["rows"]]
    fig = go.Figure(
        go.Scatter(
            x=costs,
            y=[r["cagr"] for r in doc["rows"]],
            name=doc["strategy"],
            mode="lines+markers",
            line={"width": 3, "color": "black"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=costs,
            y=[r["twin_cagr"] for r in doc["rows"]],
            name=f"twin ({doc['twin']})",
            mode="lines+markers",
            line={"color": "#636efa"},
        )
    )
    if doc["benchmark_cagr"] is not None:
        fig.add_hline(
            y=doc["benchmark_cagr"],
            line_dash="dot",
            line_color="grey",
            annotation_text=f"benchmark {doc['benchmark']} (no costs)",
        )
    fig.update_xaxes(title="cost per side, bps (slippage, no commission)")
    fig.update_yaxes(tickformat=".1%", title="CAGR")
    return fig_html(fig, "cagr_by_cost")


def write_costs_page(doc: dict[str, Any], path: str | Path, self_contained: bool = False) -> Path:
    """Write the page of a cost study ``doc`` to ``path``; return the path."""
    params = ", ".join(f"{k}={v}" for k, v in doc["params"].items())
    page = StudyPage(
        title=f"Costs: {doc['strategy']}",
        subtitle=f"{params or 'default parameters'} · {doc['start']} .. {doc['end']} · "
        f"cost per side = "
        f"{doc['cost_definition']} · turnover = {doc['turnover_definition']}",
        findings=[breakeven_words(doc, "benchmark"), breakeven_words(doc, "twin")],
        tables=[
            StudyTable(
                "Reruns at each cost per side (excess: CAGR minus the reference's CAGR)",
                COLUMNS,
                cost_rows(doc),
            )
        ],
        charts=[("CAGR against cost per side", _chart(doc))],
        kind="costs",
    )
    return write_study_page(page, path, self_contained=self_contained)
