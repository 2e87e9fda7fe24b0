"""``write_streaks_html(study, out)``: the event study as one offline page (table, chart, distributions)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from markupsafe import Markup

from core.atomic import write_text_atomic
from reports._render import environment, number
from reports.assets import plotly_script
from reports.compare import fig_html
from research.events import StreakStudy


def _cell(v) -> Markup:
    if v is None:
        return Markup('<td class="missing">missing</td>')
    return Markup(f'<td class="{"neg" if v < 0 else "pos"}">{v * 100:.2f}%</td>')


def write_streaks_html(study: StreakStudy, out: str | Path) -> Path:
    """Write the page to ``out`` (an .html file), self-contained (plotly.js inline: it renders
    wherever it is copied, and nothing else is dropped beside it); return the path."""


    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    p = study.params
    series = study.series
    chart = go.Figure(go.Scatter(x=series.index, y=series.to_numpy(), name=p.get("symbol", "signal"),
                                 line={"color": "#348dc1"}))
    dates = [e.signal_date for e in study.episodes]
    chart.add_trace(go.Scatter(x=dates, y=series.reindex(dates).to_numpy(), mode="markers", name="signal date",
                               marker={"color": "#d62728", "size": 10, "symbol": "triangle-up"}))
    chart.update_yaxes(type="log")
    dist = go.Figure()
    for h in p["horizons"]:
        vals = [e.forward[str(h)] for e in study.episodes if e.forward[str(h)] is not None]
        dist.add_trace(go.Box(y=vals, name=f"{p.get('target', '')} +{h}", boxpoints="all", marker_color="#348dc1"))
        if p.get("versus"):
            vs = [e.versus_forward[str(h)] for e in study.episodes if e.versus_forward.get(str(h)) is not None]
            dist.add_trace(go.Box(y=vs, name=f"{p['versus']} +{h}", boxpoints="all", marker_color="#fdb462"))
    dist.update_yaxes(tickformat=".0%")
    kind = "beating " + str(p.get("versus")) if p.get("relative") else "up"
    html = environment().get_template("streaks.html").render(
        title=f"{p.get('symbol')}: {p['sessions']} sessions in a row {kind} at least {p['min_gain']:.2%}",
        subtitle=f"{p['start']} .. {p['end']} · target {p.get('target')} · versus {p.get('versus')} · source {p.get('source')}",
        episodes=study.episodes, horizons=p["horizons"], target=p.get("target"), versus=p.get("versus"),
        summary=study.summary, sides=[("target", p.get("target")), ("versus", p.get("versus"))],
        symbol=p.get("symbol"), chart=fig_html(chart, "series"), dist=fig_html(dist, "distribution"),
        pct=lambda v: number(v, "pct"), cell=_cell, context=p.get("context") or [], plotly_script=plotly_script(out, True))
    return write_text_atomic(out, html, "the streaks page")
