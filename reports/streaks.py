"""``write_event_page(study, out)``: an event study (streaks or dated events) as one offline page:
the published-study table, significance with Holm-adjusted p-values, episodes, chart and
distributions. ``write_streaks_html`` is the same page (the streaks command's name for it)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from markupsafe import Markup

from core.atomic import write_text_atomic
from reports._render import environment, number
from reports.assets import plotly_script
from reports.compare import fig_html
from research.event_study import EventStudy


def _cell(v, overlap: bool = False) -> Markup:
    extra = " overlap" if overlap else ""
    if v is None:
        return Markup(f'<td class="missing{extra}">missing</td>')
    return Markup(f'<td class="{"neg" if v < 0 else "pos"}{extra}">{v * 100:.2f}%</td>')


def _title(p: dict) -> tuple[str, str]:
    if p.get("kind") == "events":
        return (f"{p['target']} after {p['events']}: {p.get('description', '')}",
                f"{p['start']} .. {p['end']} · versus {p.get('versus')} · source {p.get('source')}")
    kind = "beating " + str(p.get("versus")) if p.get("relative") else "up"
    return (
        f"{p.get('symbol')}: {p['sessions']} sessions in a row {kind} at least {p['min_gain']:.2%}",
        f"{p['start']} .. {p['end']} · target {p.get('target')} · versus {p.get('versus')} · "
        f"source {p.get('source')}",
    )


def _extra(study: EventStudy):
    if study.params.get("kind") == "events":
        return ["date given", "label"], lambda e: [
            e.date + (" (moved)" if e.moved else ""),
            e.label,
        ]
    return (["run start", "run length", "run gain"],
            lambda e: [e.run_start, f"{e.run_length}{'+ (ongoing)' if e.run_ongoing else ''}",
                       number(e.run_gain, "pct")])


def _charts(study: EventStudy) -> tuple[str, str]:
    p, series = study.params, study.series
    chart = go.Figure(
        go.Scatter(
            x=series.index,
            y=series.to_numpy(),
            name=p.get("symbol") or p.get("target"),
            line={"color": "#348dc1"},
        )
    )
    dates = [e.signal_date for e in study.episodes]
    chart.add_trace(
        go.Scatter(
            x=dates,
            y=series.reindex(dates).to_numpy(),
            mode="markers",
            name="signal date",
            marker={"color": "#d62728", "size": 10, "symbol": "triangle-up"},
        )
    )
    chart.update_yaxes(type="log")
    dist = go.Figure()
    for h in p["horizons"]:
        vals = [e.forward[str(h)] for e in study.episodes if e.forward[str(h)] is not None]
        dist.add_trace(
            go.Box(
                y=vals, name=f"{p.get('target', '')} +{h}", boxpoints="all", marker_color="#348dc1"
            )
        )
        if p.get("versus"):
            vs = [
                e.versus_forward[str(h)]
                for e in study.episodes
                if e.versus_forward.get(str(h)) is not None
            ]
            dist.add_trace(
                go.Box(y=vs, name=f"{p['versus']} +{h}", boxpoints="all", marker_color="#fdb462")
            )
    dist.update_yaxes(tickformat=".0%")
    return fig_html(chart, "series"), fig_html(dist, "distribution")


def write_event_page(study: EventStudy, out: str | Path, notes: list[str] | None = None) -> Path:
    """Write the page to ``out`` (an .html file), self-contained (plotly.js inline: it renders
    wherever it is copied, and nothing else is dropped beside it); return the path. ``notes``:
    lines shown above the tables (dates moved, episodes left out)."""
    out = Path(out)
    p = study.params
    title, subtitle = _title(p)
    columns, extra = _extra(study)
    chart, dist = _charts(study)
    events = p.get("kind") == "events"
    html = (
        environment()
        .get_template("event_study.html")
        .render(
            title=title,
            subtitle=subtitle,
            notes=notes or [],
            episodes=study.episodes,
            horizons=p["horizons"],
            page_kind="events" if events else "streaks",
            target=p.get("target"),
            versus=p.get("versus"),
            summary=study.summary,
            sides=[("target", p.get("target")), ("versus", p.get("versus"))],
            extra_columns=columns,
            extra=extra,
            symbol=p.get("symbol") or p.get("target"),
            chart=chart,
            dist=dist,
            no_overlap=p.get("no_overlap"),
            pct=lambda v: number(v, "pct"),
            cell=_cell,
            context=p.get("context") or [],
            context_what="return on the event session"
            if events
            else "return over the streak run / on the signal day",
            context_cell=lambda c: (
                number(c["signal_day"], "pct")
                if events
                else f"{number(c['run'], 'pct')} / {number(c['signal_day'], 'pct')}"
            ),
            plotly_script=plotly_script(out, True),
        )
    )
    return write_text_atomic(out, html, "the events page" if events else "the streaks page")


write_streaks_html = write_event_page
