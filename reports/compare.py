"""``write_comparison(run_dirs, out)``: one self-contained HTML page comparing saved runs.

Reads only saved run directories. The page has a sortable metrics table (a column per parameter),
equity curves on a log scale with the benchmark, drawdowns, rolling 1-year excess return,
calendar-year returns, rotation analytics (average share of equity per asset, switches), a heatmap
of the ranking metric when the runs differ in exactly two parameters, and links to each run's
tearsheet. Charts are plotly; ``plotly.min.js`` is written once beside the page (no CDN).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import UserError
from engine.results import BacktestResult
from reports._render import environment, number

METRIC_COLUMNS = [
    ("CAGR", "cagr", "pct"), ("Vol", "volatility", "pct"), ("Sharpe", "sharpe", "num"), ("Sortino", "sortino", "num"),
    ("Max DD", "max_drawdown", "pct"), ("Calmar", "calmar", "num"), ("Exposure", "exposure", "pct"),
    ("Turnover", "turnover", "num"), ("Trades", "trades", "int"), ("Switches", "switches", "int"),
]
#: Metrics where smaller is better when ranking.
ASCENDING = {"volatility", "turnover", "trades", "switches"}
MAX_POINTS = 1500  # per chart line; longer histories are thinned to weekly points


def _varying_within_strategy(runs: list[BacktestResult]) -> dict[str, list[str]]:
    """Per strategy, the parameters whose values differ between its runs (what tells them apart)."""
    out: dict[str, list[str]] = {}
    for name in dict.fromkeys(r.config.strategy for r in runs):
        group = [r for r in runs if r.config.strategy == name]
        keys = sorted({k for r in group for k in r.config.params})
        out[name] = [k for k in keys if len({str(r.config.params.get(k)) for r in group}) > 1]
    return out


def _labels(runs: list[BacktestResult], varying: dict[str, list[str]]) -> dict[int, str]:
    labels = {}
    for r in runs:
        bits = [f"{k}={r.config.params.get(k)}" for k in varying[r.config.strategy]]
        labels[id(r)] = r.config.strategy + (f" ({', '.join(bits)})" if bits else "")
    seen: dict[str, int] = {}
    for r in runs:  # identical labels (same strategy and params, other period or costs): number them
        seen[labels[id(r)]] = seen.get(labels[id(r)], 0) + 1
        if seen[labels[id(r)]] > 1:
            labels[id(r)] += f" #{seen[labels[id(r)]]}"
    return labels


def _thin(frame: pd.DataFrame | pd.Series):
    if len(frame) <= MAX_POINTS:
        return frame
    step = int(np.ceil(len(frame) / MAX_POINTS))
    return frame.iloc[::step]


def write_plotly_js(folder: Path) -> None:
    from plotly.offline import get_plotlyjs

    target = folder / "plotly.min.js"
    js = get_plotlyjs()
    if not target.exists() or target.stat().st_size != len(js.encode()):
        tmp = folder / f".plotly.min.js.{os.getpid()}.tmp"
        tmp.write_text(js, encoding="utf-8")
        os.replace(tmp, target)


def fig_html(fig, div_id: str) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 50, "r": 20, "t": 30, "b": 40}, height=440,
                      legend={"orientation": "h", "y": -0.15})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False})


def _ranked(runs: list[BacktestResult], rank_by: str) -> list[BacktestResult]:
    def key(r):
        v = r.metrics.get(rank_by)
        if v is None:
            return float("inf")
        return v if rank_by in ASCENDING else -v
    return sorted(runs, key=key)


def write_comparison(run_dirs: list[str | Path], out: str | Path, rank_by: str = "sharpe",
                     title: str = "Strategy comparison") -> Path:
    """Write ``out/comparison.html`` (and ``out/plotly.min.js``) comparing ``run_dirs``; return the page.

    ``rank_by``: a metrics.json key the table is ordered by (and the heatmap shows).
    """
    import plotly.graph_objects as go

    if not run_dirs:
        raise UserError("no run directories to compare", "pass one or more folders written by `smallcap backtest`")
    runs = [BacktestResult.load(d) for d in run_dirs]
    if rank_by not in {k for _, k, _ in METRIC_COLUMNS} | set(runs[0].metrics):
        raise UserError(f"unknown metric '{rank_by}' for ranking", f"use one of: {', '.join(k for _, k, _ in METRIC_COLUMNS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_strategy = _varying_within_strategy(runs)
    varying = sorted({k for keys in by_strategy.values() for k in keys})
    runs = _ranked(runs, rank_by)
    labels = _labels(runs, by_strategy)
    page = out / "comparison.html"

    rows = []
    for r in runs:
        tearsheet = r.run_dir / "tearsheet.html"
        target = tearsheet if tearsheet.exists() else r.run_dir
        rows.append({
            "name": r.run_dir.name, "label": labels[id(r)], "strategy": r.config.strategy,
            "link": os.path.relpath(target, out), "params": {k: str(v) for k, v in r.config.params.items()},
            "raw": {k: r.metrics.get(k) for _, k, _ in METRIC_COLUMNS},
            "shown": {k: number(r.metrics.get(k), f) for _, k, f in METRIC_COLUMNS},
            "sign": {k: ("neg" if (r.metrics.get(k) or 0) < 0 else "") for _, k, _ in METRIC_COLUMNS},
        })

    bench_run = runs[0]
    equity, drawdown, rolling = go.Figure(), go.Figure(), go.Figure()
    bench_growth = (1 + bench_run.returns["benchmark"]).cumprod()
    equity.add_trace(go.Scatter(x=_thin(bench_growth).index, y=_thin(bench_growth).to_numpy(), name=f"benchmark {bench_run.metrics.get('benchmark', '')}",
                                line={"color": "black", "dash": "dot"}))
    yearly_rows, rotation_rows, years, assets = [], [], set(), set()
    palette = go.Figure().layout.template.layout.colorway or [
        "#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52"]
    for i, r in enumerate(runs):
        label = labels[id(r)]
        line = {"color": palette[i % len(palette)]}
        growth = (1 + r.returns["strategy"]).cumprod()
        equity.add_trace(go.Scatter(x=_thin(growth).index, y=_thin(growth).to_numpy(), name=label, line=line))
        dd = growth / growth.cummax() - 1
        drawdown.add_trace(go.Scatter(x=_thin(dd).index, y=_thin(dd).to_numpy(), name=label, line=line))
        roll = (1 + r.returns["strategy"]).rolling(252).apply(np.prod, raw=True) - \
            (1 + r.returns["benchmark"]).rolling(252).apply(np.prod, raw=True)
        roll = roll.dropna()
        rolling.add_trace(go.Scatter(x=_thin(roll).index, y=_thin(roll).to_numpy(), name=label, line=line))
        yearly = (1 + r.returns["strategy"]).groupby(r.returns.index.year).prod() - 1
        years.update(yearly.index)
        yearly_rows.append((label, yearly))
        if len(r.positions):
            pos = r.positions.pivot_table(index="date", columns="symbol", values="value", aggfunc="sum")
            eq = r.equity["equity"].copy()
            eq.index = eq.index.strftime("%Y-%m-%d")
            share = pos.reindex(eq.index).fillna(0.0).div(eq, axis=0).mean()
        else:
            share = pd.Series(dtype=float)
        assets.update(share.index)
        rotation_rows.append((label, share, r.metrics.get("switches", 0)))
    equity.update_yaxes(type="log", title="growth of 1")
    drawdown.update_yaxes(tickformat=".0%")
    rolling.update_yaxes(tickformat=".0%")
    rolling.add_hline(y=0, line_color="black", line_width=1)

    years = sorted(years)
    yearly_table = [(label, [_year_cell(y.get(year)) for year in years]) for label, y in yearly_rows]
    assets = sorted(assets)
    rotation = []
    for label, share, switches in rotation_rows:
        cells = [_share(share.get(a, 0.0)) for a in assets]
        cells.append(_share(max(0.0, 1.0 - float(share.sum()))))
        rotation.append((label, cells, switches))

    heatmap = ""
    if len(by_strategy) == 1 and len(varying) == 2:
        heatmap = _heatmap(runs, varying, rank_by)
    periods = {(r.metrics["start"], r.metrics["end"]) for r in runs}
    if len(periods) == 1:
        period, period_warning = "{} .. {}".format(*next(iter(periods))), ""
    else:
        starts, ends = sorted(a for a, _ in periods), sorted(b for _, b in periods)
        period = f"{starts[0]} .. {ends[-1]}"
        period_warning = (f"The runs cover {len(periods)} different periods (starts {starts[0]} to {starts[-1]}): "
                          "their metrics are not strictly comparable. Give them one start date (e.g. the latest).")
    html = environment().get_template("compare.html").render(
        title=title, runs=runs, period=period, period_warning=period_warning, benchmark=bench_run.metrics.get("benchmark", ""), rank_by=rank_by,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), param_columns=varying or [],
        metric_columns=METRIC_COLUMNS, rows=rows, equity=fig_html(equity, "equity"),
        drawdowns=fig_html(drawdown, "drawdowns"), rolling=fig_html(rolling, "rolling"), years=years,
        yearly=yearly_table, assets=assets, rotation=rotation, heatmap=heatmap, heatmap_axes=varying)
    write_plotly_js(out)
    tmp = out / f".comparison.html.{os.getpid()}.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, page)
    return page


def _year_cell(v) -> dict:
    if v is None or np.isnan(v):
        return {"value": "", "text": "", "sign": ""}
    return {"value": f"{v:.6f}", "text": f"{v * 100:.1f}%", "sign": "neg" if v < 0 else "pos"}


def _share(v: float) -> dict:
    return {"value": f"{v:.6f}", "text": f"{v * 100:.1f}%"}


def _heatmap(runs: list[BacktestResult], axes: list[str], metric: str) -> str:
    import plotly.graph_objects as go

    xs = sorted({r.config.params.get(axes[0]) for r in runs}, key=_sort_key)
    ys = sorted({r.config.params.get(axes[1]) for r in runs}, key=_sort_key)
    z = [[None] * len(xs) for _ in ys]
    for r in runs:
        z[ys.index(r.config.params.get(axes[1]))][xs.index(r.config.params.get(axes[0]))] = r.metrics.get(metric)
    fig = go.Figure(go.Heatmap(z=z, x=[str(x) for x in xs], y=[str(y) for y in ys], colorscale="RdYlGn",
                               texttemplate="%{z:.3f}", colorbar={"title": metric}))
    fig.update_xaxes(title=axes[0], type="category")
    fig.update_yaxes(title=axes[1], type="category")
    return fig_html(fig, "heatmap")


def _sort_key(v):
    return (0, v, "") if isinstance(v, int | float) else (1, 0, str(v))
