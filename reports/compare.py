"""``write_comparison(run_dirs, out)``: one self-contained HTML page comparing saved runs.

Reads only saved run directories. Two steps: :func:`comparison_data` builds a tidy
:class:`ComparisonData` (metrics table, curves, yearly returns, holdings); :func:`render_comparison`
turns it into HTML. :func:`write_comparison` does both and writes the files. The page has a sortable
metrics table (a column per parameter), equity curves on a log scale with the benchmark, drawdowns,
rolling 1-year excess return, calendar-year returns, rotation analytics (average share of equity per
asset, switches), a heatmap of the ranking metric when the runs differ in exactly two parameters,
and links to each run's tearsheet. Charts are plotly, loaded as ``reports.assets`` says (shared per
runs folder, or inline).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.atomic import write_failure, write_text_atomic
from core.errors import UserError
from engine.cash_rate import annualised, cash_returns_for, describe, risk_free_spec
from engine.data.market import DEFAULT_MACRO_LAG
from engine.metrics import (
    ANNUALISED,
    MIN_SESSIONS_ANNUALISED,
    approx_breakeven_bps,
    check_rank_metric,
    rank,
    returns_metrics,
)
from engine.relative_risk import relative_risk
from engine.results import BacktestResult
from engine.trade_stats import trade_statistics
from engine.window_activity import activity_on
from reports._render import chart_dates, chart_values, environment, number
from reports.assets import plotly_script
from reports.compare_notes import settings_notes
from reports.compare_time import latest_run, time_panels
from reports.param_heatmaps import parameter_heatmaps
from reports.regime_parts import comparison_html

#: The metrics table: the key columns first (beside the sticky run column, then the luck columns
#: PSR, DSR, MCS), the rest after them; parameters, data and window come last.
KEY_COLUMNS = [
    ("CAGR", "cagr", "pct"),
    ("Sharpe", "sharpe", "num"),
    ("Max DD", "max_drawdown", "pct"),
]
METRIC_COLUMNS = KEY_COLUMNS + [
    ("Vol", "volatility", "pct"), ("Sortino", "sortino", "num"), ("Calmar", "calmar", "num"),
    ("Exposure", "exposure", "pct"), ("Turnover", "turnover", "num"), ("Trades", "trades", "int"),
    ("Switches", "switches", "int"), ("Breakeven bps (approx.)", "breakeven_bps", "num"),
]
#: The second table: closed round trips and risk against the benchmark (and the twin).
RELATIVE_COLUMNS = [
    ("Trips", "round_trips", "int"),
    ("Win rate", "win_rate", "pct"),
    ("Avg hold (sessions)", "avg_hold_sessions", "num"),
    ("Profit factor", "profit_factor", "num"),
    ("Beta", "beta", "num"),
    ("Corr.", "correlation", "num"),
    ("Tracking error", "tracking_error", "pct"),
    ("Info. ratio", "information_ratio", "num"),
    ("Up capture", "up_capture", "pct"),
    ("Down capture", "down_capture", "pct"),
]
TWIN_COLUMNS = [
    ("TE vs twin", "tracking_error_twin", "pct"),
    ("IR vs twin", "information_ratio_twin", "num"),
]
ALL_COLUMNS = METRIC_COLUMNS + RELATIVE_COLUMNS + TWIN_COLUMNS
#: What the turnover and breakeven columns mean (their header tooltips and the page's note).
TURNOVER_MEANING = ("turnover: bought plus sold value per year, as a multiple of mean equity "
                    "(two-sided)")
BREAKEVEN_MEANING = ("breakeven (approx.): the cost per side, bps, at which the lead over the "
                     "benchmark would be gone: the run's cost plus its log-growth lead a year over "
                     "its turnover; `smallcap costs` finds it by rerunning")
MAX_POINTS = 750  # per chart line; longer histories are thinned (20 years: every 7th session)


def _varying_within_strategy(runs: list[BacktestResult]) -> dict[str, list[str]]:
    """Per strategy, the parameters whose values differ between its runs (what tells them apart)."""
    out: dict[str, list[str]] = {}
    for name in dict.fromkeys(r.config.strategy for r in runs):
        group = [r.config.param_values() for r in runs if r.config.strategy == name]
        keys = sorted({k for values in group for k in values})
        out[name] = [k for k in keys if len({str(values.get(k)) for values in group}) > 1]
    return out


def _labels(runs: list[BacktestResult], varying: dict[str, list[str]]) -> list[str]:
    labels = []
    for r in runs:
        values = r.config.param_values()
        bits = [f"{k}={values.get(k)}" for k in varying[r.config.strategy]]
        labels.append(r.config.strategy + (f" ({', '.join(bits)})" if bits else ""))
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # identical labels (other period or costs): number them
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} #{seen[label]}"
    return labels


def _thin(frame: pd.DataFrame | pd.Series):
    if len(frame) <= MAX_POINTS:
        return frame
    step = int(np.ceil(len(frame) / MAX_POINTS))
    return frame.iloc[::step]


def fig_html(fig, div_id: str) -> str:
    """A plotly figure as an HTML fragment in the house style (plotly.js loaded by the page)."""
    fig.update_layout(
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        height=440,
        legend={"orientation": "h", "y": -0.15},
    )
    return fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False}
    )


def _holdings_share(r: BacktestResult) -> pd.Series:
    """Average share of equity held in each symbol over the run's sessions (0 on a session
    without it): the sum of each position's value over that session's equity, over the sessions."""
    if not len(r.positions) or not len(r.equity):
        return pd.Series(dtype=float)
    equity = pd.Series(r.equity["equity"].to_numpy(), index=r.equity.index.strftime("%Y-%m-%d"))
    share = r.positions["value"].to_numpy() / equity.reindex(r.positions["date"]).to_numpy()
    return pd.Series(share).groupby(r.positions["symbol"].to_numpy()).sum() / len(equity)


@dataclass
class ComparisonData:
    """The tidy data a comparison page shows, computed from saved runs only (no HTML).

    ``table``: one row per run, best first by ``rank_by``: ``label``, ``strategy``, ``run_dir``,
    one column per parameter (``param.<name>``) and per metric; ``growth``/``drawdown``/
    ``rolling_excess``: one column per run label (daily, session index); ``benchmark_growth``;
    ``yearly``: calendar-year returns (rows years, columns labels); ``holdings``: average share
    of equity per symbol (rows labels); ``varying``: parameters that differ (per strategy).
    """

    runs: list[BacktestResult]
    table: pd.DataFrame
    growth: pd.DataFrame
    drawdown: pd.DataFrame
    rolling_excess: pd.DataFrame
    benchmark_growth: pd.Series
    benchmark: str
    yearly: pd.DataFrame
    holdings: pd.DataFrame
    varying: dict[str, list[str]]
    rank_by: str
    periods: set[tuple[str, str]] = field(default_factory=set)
    common: tuple[str, str] | None = None  # set when the runs' own periods differ
    notes: list[str] = field(default_factory=list)  # settings that differ (reports.compare_notes)
    total: int = 0  # variants compared (the rows shown may be fewer: :func:`best_rows`)

    @property
    def labels(self) -> list[str]:
        return list(self.table["label"])

    @property
    def param_columns(self) -> list[str]:
        return sorted({k for keys in self.varying.values() for k in keys})


def _trips_within(r: BacktestResult, index: pd.DatetimeIndex) -> pd.DataFrame:
    """The run's closed round trips opened and closed inside the window ``index``."""
    try:
        trades = pd.read_csv(Path(r.run_dir) / "trades.csv")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    if not len(trades):
        return trades
    first, last = str(index[0].date()), str(index[-1].date())
    return trades[(trades["opened"] >= first) & (trades["closed"] <= last)]


def _on_window(r: BacktestResult, index: pd.DatetimeIndex, cash: np.ndarray) -> None:
    """Every figure of ``r``'s row on the window ``index`` with the comparison's one cash rate
    ``cash`` (per-session returns): returns, return metrics and trading activity
    (``engine.window_activity``), measured from the close of the window's first session."""
    r.own_window = f"{r.metrics['start']} .. {r.metrics['end']}"  # type: ignore[attr-defined]
    r.returns = r.returns.loc[index].copy()
    r.returns.iloc[0] = 0.0
    r.orders = pd.read_csv(Path(r.run_dir) / "orders.csv")
    own = returns_metrics(r.returns["strategy"].to_numpy(), cash)
    bench = returns_metrics(r.returns["benchmark"].to_numpy(), cash)
    # a figure of the run's own period that is not worked out again here is left empty, not shown
    kept = {
        k: v for k, v in r.metrics.items() if not isinstance(v, int | float) or isinstance(v, bool)
    }
    total = own["total_return"]
    m = {
        **dict.fromkeys(k for k in r.metrics if k not in kept),
        **kept,
        **own,
        **activity_on(r, index),
        "start": str(index[0].date()),
        "end": str(index[-1].date()),
        "sessions": len(index),
        "risk_free_rate": annualised(cash),
        "periods_per_year": r.metrics.get("periods_per_year"),
        "final_equity": float(r.config.cash) * (1.0 + total) if total is not None else None,
        "benchmark_cagr": bench["cagr"],
        "benchmark_sharpe": bench["sharpe"],
        "benchmark_max_drawdown": bench["max_drawdown"],
    }
    if m["cagr"] is not None and m["benchmark_cagr"] is not None:
        m["excess_cagr"] = m["cagr"] - m["benchmark_cagr"]
    m.update(relative_risk(r.returns), **trade_statistics(_trips_within(r, index)))
    if len(index) < MIN_SESSIONS_ANNUALISED:
        m.update(dict.fromkeys(ANNUALISED))
    r.metrics = m


def _cash_spec(run: BacktestResult) -> dict:
    return run.metrics.get("risk_free") or {
        "constant": float(run.metrics.get("risk_free_rate", 0.0))
    }


def comparison_cash(runs: list[BacktestResult]) -> tuple[dict, str | None]:
    """The one cash rate a comparison subtracts from every row (``engine.cash_rate`` spec): the
    runs' own when they share one, else the 3-month T-bill with the default lag, and a sentence
    saying so."""
    specs = {json.dumps(_cash_spec(r), sort_keys=True) for r in runs}
    if len(specs) == 1:
        return _cash_spec(runs[0]), None
    spec = risk_free_spec(None, DEFAULT_MACRO_LAG)
    return spec, f"Every Sharpe and Sortino here subtracts one cash rate: {describe(spec)}."


def comparison_data(run_dirs: list[str | Path], rank_by: str = "sharpe") -> ComparisonData:
    """Load ``run_dirs`` and build the :class:`ComparisonData` of the page (ranked by
    ``rank_by``)."""
    check_rank_metric(rank_by)
    if not run_dirs:
        raise UserError(
            "no run directories to compare",
            "pass one or more folders written by `smallcap backtest`",
        )
    return comparison_of(  # the tables a page draws are read for the rows it shows only
        [BacktestResult.load(d, tables=()) for d in run_dirs], rank_by
    )


def comparison_of(runs: list[BacktestResult], rank_by: str = "sharpe") -> ComparisonData:
    """The :class:`ComparisonData` of already loaded ``runs`` (returns, metrics, config and
    manifest; the equity and positions of the :data:`PAGE_VARIANTS` best are read here)."""
    benchmarks = {str(r.metrics.get("benchmark", r.config.benchmark)) for r in runs}
    if len(benchmarks) > 1:
        raise UserError(
            f"the runs use different benchmarks ({', '.join(sorted(benchmarks))})",
            "compare runs that share one benchmark, or rerun them with the same --benchmark",
        )
    periods = {(r.metrics["start"], r.metrics["end"]) for r in runs}
    common = None
    spec, cash_note = comparison_cash(runs)
    notes = settings_notes(runs, _labels(runs, _varying_within_strategy(runs))) + (
        [cash_note] if cash_note else []
    )
    if len(periods) > 1 or cash_note:  # one window and one cash rate for every row
        index = runs[0].returns.index
        for r in runs[1:]:
            index = index.intersection(r.returns.index)
        if len(index) < 3:
            raise UserError(
                "the runs share fewer than 3 sessions", "compare runs over overlapping periods"
            )
        common = (str(index[0].date()), str(index[-1].date())) if len(periods) > 1 else None
        cash = cash_returns_for(spec, index).to_numpy()
        _read_holdings(runs)  # the window's trading activity reads every run's positions
        for r in runs:
            _on_window(r, index, cash)
    # a run's holdings are read for the rows a page shows only (assemble_comparison)
    return assemble_comparison(runs, rank_by, periods, common, notes, _holdings_read)


def assemble_comparison(
    runs: list[BacktestResult],
    rank_by: str,
    periods: set[tuple[str, str]],
    common: tuple[str, str] | None,
    notes: list[str],
    holdings: Callable[[BacktestResult], pd.Series],
) -> ComparisonData:
    """The :class:`ComparisonData` of ``runs`` (returns, metrics, config and manifest loaded, on
    one window), ranked by ``rank_by``; ``holdings``: a run's average share of equity per symbol
    (asked of the :data:`PAGE_VARIANTS` best only)."""
    runs = rank(runs, rank_by, lambda r: r.metrics)
    varying = _varying_within_strategy(runs)
    labels = _labels(runs, varying)
    records = []
    for r, label in zip(runs, labels, strict=True):
        values = r.config.param_values()
        data = r.manifest.get("data", {})
        used = " ".join(data.get("sha256", {}))
        records.append(
            {
                "label": label,
                "strategy": r.config.strategy,
                "run_dir": r.run_dir,
                "data": used
                + (f" (starts with {data['limited_by']})" if data.get("limited_by") else ""),
                "window": f"{r.metrics['start']} .. {r.metrics['end']}",
                "own_window": getattr(
                    r, "own_window", f"{r.metrics['start']} .. {r.metrics['end']}"
                ),
                "costs": r.config.broker.describe_trading(),
                **{f"param.{k}": values.get(k) for k in sorted(values)},
                **{k: r.metrics.get(k) for _, k, _ in ALL_COLUMNS},
                "breakeven_bps": r.metrics.get(
                    "breakeven_bps",
                    approx_breakeven_bps(
                        r.metrics.get("cagr"),
                        r.metrics.get("benchmark_cagr"),
                        r.metrics.get("turnover"),
                        r.config.broker.cost_per_side_bps,
                    ),
                ),
            }
        )
    strat = pd.DataFrame(
        {label: r.returns["strategy"] for r, label in zip(runs, labels, strict=True)}
    )
    bench = pd.DataFrame(
        {label: r.returns["benchmark"] for r, label in zip(runs, labels, strict=True)}
    )
    growth = (1 + strat).cumprod()
    year_of = strat.index.year
    first = runs[0]
    return ComparisonData(
        runs=runs,
        table=pd.DataFrame(records),
        growth=growth,
        drawdown=growth / growth.cummax() - 1,
        rolling_excess=trailing_return(strat) - trailing_return(bench),
        benchmark_growth=(1 + first.returns["benchmark"]).cumprod(),
        benchmark=str(first.metrics.get("benchmark", "")),
        yearly=(1 + strat).groupby(year_of).prod(min_count=1) - 1,
        holdings=pd.DataFrame(
            {
                label: holdings(r)
                for r, label in zip(runs[:PAGE_VARIANTS], labels, strict=False)
            }
        ).T.fillna(0.0),
        varying=varying,
        rank_by=rank_by,
        periods=periods,
        common=common,
        notes=notes,
        total=len(runs),
    )


def _holdings_read(run: BacktestResult) -> pd.Series:
    """:func:`_holdings_share` of ``run``, its equity and positions read first if they are not."""
    _read_holdings([run])
    return _holdings_share(run)


def _read_holdings(runs: list[BacktestResult]) -> None:
    """Read the equity and positions tables of ``runs`` (the rows a page shows) into them."""
    for r in runs:
        if r.equity.empty and r.run_dir is not None:
            tables = BacktestResult.load(r.run_dir, tables=("equity", "positions"))
            r.equity, r.positions = tables.equity, tables.positions


def best_rows(data: ComparisonData, rows: int) -> ComparisonData:
    """``data`` cut to its best ``rows`` variants (it is ranked): what a page shows row by row.
    ``total`` keeps how many were compared."""
    if len(data.runs) <= rows:
        return data
    labels = data.labels[:rows]
    return replace(
        data,
        runs=data.runs[:rows],
        table=data.table.iloc[:rows],
        growth=data.growth[labels],
        drawdown=data.drawdown[labels],
        rolling_excess=data.rolling_excess[labels],
        yearly=data.yearly[labels],
        holdings=data.holdings.reindex(labels).fillna(0.0),
        total=data.total or len(data.runs),
    )


def trailing_return(returns: pd.DataFrame, sessions: int = 252) -> pd.DataFrame:
    """Each column's compounded return over the trailing ``sessions`` (NaN until the window is
    full): growth now over growth ``sessions`` ago, in two vectorized passes (a rolling product
    by ``apply`` calls Python once per session and column: minutes for 1,000 runs)."""
    growth = (1 + returns).cumprod()
    before = growth.shift(sessions)
    if len(before) >= sessions:
        before.iloc[sessions - 1] = 1.0  # the first full window starts at the beginning
    return growth / before - 1


#: Ten distinct colours (Tableau 10) times two dashes: 20 series told apart; more are hidden until
#: clicked in the legend.
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]
DASHES = ["solid", "dash"]
#: Curves drawn: the best 20 by the ranking metric (and the benchmark); every run's own curves are
#: in its tearsheet. Confidence whiskers: the best 50.
SHOWN_SERIES = 20
WHISKER_ROWS = 50


def line_style(i: int) -> dict:
    """Colour and dash of the i-th series (distinct for the first 20)."""
    return {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[(i // len(PALETTE)) % len(DASHES)]}


def growth_ticks(low: float, high: float) -> list[float]:
    """Log-axis ticks labelled as growth of 1: 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 4, 6, 8, 10, 15,
    20..."""
    mantissas = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
    ticks = [m * 10.0**e for e in range(-2, 4) for m in mantissas]
    return [t for t in ticks if low / 1.05 <= t <= high * 1.05]


def _line_figures(data: ComparisonData) -> dict[str, str]:
    """The equity, drawdown and rolling-excess charts as HTML fragments."""
    figures = {"equity": go.Figure(), "drawdowns": go.Figure(), "rolling": go.Figure()}
    bench = _thin(data.benchmark_growth)
    figures["equity"].add_trace(
        go.Scatter(
            x=chart_dates(bench.index),
            y=chart_values(bench),
            name=f"benchmark {data.benchmark}",
            line={"color": "black", "dash": "dot"},
        )
    )
    shown = data.labels[:SHOWN_SERIES]
    for i, label in enumerate(shown):
        line = line_style(i)
        for name, frame in (
            ("equity", data.growth),
            ("drawdowns", data.drawdown),
            ("rolling", data.rolling_excess),
        ):
            series = _thin(frame[label].dropna())
            figures[name].add_trace(
                go.Scatter(
                    x=chart_dates(series.index), y=chart_values(series), name=label, line=line
                )
            )
    values = pd.concat([data.growth[shown].stack(), data.benchmark_growth]).dropna()
    ticks = growth_ticks(float(values.min()), float(values.max()))
    figures["equity"].update_yaxes(
        type="log", title="growth of 1", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks]
    )
    figures["drawdowns"].update_yaxes(tickformat=".0%")
    figures["rolling"].update_yaxes(tickformat=".0%")
    figures["rolling"].add_hline(y=0, line_color="black", line_width=1)
    return {name: fig_html(fig, name) for name, fig in figures.items()}


def _table_rows(data: ComparisonData, out: Path) -> list[dict]:
    rows = []
    for rec in data.table.to_dict("records"):
        run_dir = Path(rec["run_dir"])
        tearsheet = run_dir / "tearsheet.html"
        rows.append(
            {
                "name": run_dir.name,
                "label": rec["label"],
                "strategy": rec["strategy"],
                "data": rec["data"],
                "window": rec["window"],
                "costs": rec["costs"],
                "link": os.path.relpath(tearsheet if tearsheet.exists() else run_dir, out),
                "params": {
                    k.removeprefix("param."): "" if _missing(v) else str(v)
                    for k, v in rec.items()
                    if k.startswith("param.")
                },
                "raw": {k: None if _missing(rec[k]) else rec[k] for _, k, _ in ALL_COLUMNS},
                "shown": {
                    k: number(None if _missing(rec[k]) else rec[k], f) for _, k, f in ALL_COLUMNS
                },
                "sign": {
                    k: ("neg" if not _missing(rec[k]) and rec[k] < 0 else "")
                    for _, k, _ in ALL_COLUMNS
                },
            }
        )
    return rows


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _period(data: ComparisonData) -> tuple[str, str]:
    """The period shown in the header, and a note when the runs' own periods differ."""
    if data.common is None:
        return "{} .. {}".format(*next(iter(data.periods))), ""
    starts = sorted(a for a, _ in data.periods)
    return (
        "{} .. {} (common window)".format(*data.common),
        f"The runs cover {len(data.periods)} different periods (starts {starts[0]} to "
        f"{starts[-1]}): every curve and figure is shown on the window they share, "
        f"{data.common[0]} .. {data.common[1]}.",
    )


def _luck_figures(data: ComparisonData, luck: dict) -> dict[str, str]:
    """The PBO logit histogram and the CAGR / Sharpe confidence whiskers."""
    out = {"pbo_chart": ""}
    if luck.get("pbo_detail"):
        fig = go.Figure(
            go.Histogram(
                x=chart_values(luck["pbo_detail"]["logits"]),
                nbinsx=40,
                marker_color="#636efa",
                name="rank logit",
            )
        )
        fig.add_vline(x=0, line_color="#b3261e", line_dash="dash")
        fig.update_xaxes(
            title="logit of the in-sample winner's out-of-sample rank "
            "(left of 0: at or below the median)"
        )
        fig.update_yaxes(title="splits")
        out["pbo_chart"] = fig_html(fig, "pbo")
    names = [Path(p).name for p in data.table["run_dir"]][:WHISKER_ROWS]
    labels = data.labels[:WHISKER_ROWS]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("CAGR", "Sharpe"))
    for col, (metric, key, fmt) in enumerate(
        (("cagr", "cagr_ci", ".1%"), ("sharpe", "sharpe_ci", ".2f")), start=1
    ):
        values = data.table[metric].to_numpy(dtype=float)[:WHISKER_ROWS]
        low = np.array([luck["variants"].get(n, {}).get(key, [np.nan, np.nan])[0] for n in names])
        high = np.array([luck["variants"].get(n, {}).get(key, [np.nan, np.nan])[1] for n in names])
        in_mcs = [luck["variants"].get(n, {}).get("in_mcs", False) for n in names]
        fig.add_trace(
            go.Scatter(
                x=values,
                y=labels,
                mode="markers",
                name=metric,
                showlegend=False,
                marker={"color": ["#1b6e3a" if m else "#636efa" for m in in_mcs], "size": 8},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": high - values,
                    "arrayminus": values - low,
                },
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(tickformat=fmt, row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=True, row=1, col=1)
    fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=2)
    html = fig_html(fig, "whiskers")
    fig.update_layout(height=max(300, 26 * len(labels) + 120))
    out["whiskers"] = fig.to_html(full_html=False, include_plotlyjs=False, div_id="whiskers",
                                  config={"displaylogo": False}) if html else ""
    return out


def render_comparison(data: ComparisonData, out: Path, title: str = "Strategy comparison",
                      luck: dict | None = None, self_contained: bool = False) -> str:
    """The comparison page's HTML for ``data`` (links relative to the folder ``out``); ``luck``:
    the overfitting statistics (``stats.json`` as a dict) to show, if any."""
    heatmaps = parameter_heatmaps(data, luck)  # over every variant; the rest over the best rows
    latest, total = latest_run(data.runs), data.total or len(data.runs)
    if luck:
        names = [Path(p).name for p in data.table["run_dir"]]
        best = dict(zip(names, data.labels, strict=True)).get(luck["best"], luck["best"])
        luck = {**luck, "best_label": best}
    data = best_rows(data, PAGE_VARIANTS)
    years = sorted(data.yearly.index, reverse=True)  # newest first: in view without scrolling
    yearly = [
        (label, [_year_cell(data.yearly[label].get(y)) for y in years]) for label in data.labels
    ]
    assets = list(data.holdings.columns)
    rotation = []
    for r, label in zip(data.runs, data.labels, strict=True):
        share = data.holdings.loc[label]
        cells = [_share(share.get(a, 0.0)) for a in assets] + [
            _share(max(0.0, 1.0 - float(share.sum())))
        ]
        rotation.append((label, cells, r.metrics.get("switches", 0)))
    params = data.param_columns
    period, period_warning = _period(data)
    extra = _luck_figures(data, luck) if luck else {}
    return (
        environment()
        .get_template("compare.html")
        .render(
            luck=luck,
            **extra,
            plotly_script=plotly_script(out / "comparison.html", self_contained),
            title=title,
            runs=data.runs,
            period=period,
            period_warning=period_warning,
            notes=data.notes,
            turnover_meaning=TURNOVER_MEANING,
            breakeven_meaning=BREAKEVEN_MEANING,
            benchmark=data.benchmark,
            rank_by=data.rank_by,
            latest=latest,
            total=total,
            param_columns=params,
            metric_columns=METRIC_COLUMNS,
            key_columns=len(KEY_COLUMNS),
            relative_columns=_relative_columns(data),
            rows=_table_rows(data, out),
            years=years,
            yearly=yearly,
            assets=assets,
            rotation=rotation,
            heatmaps=heatmaps,
            shown_series=SHOWN_SERIES,
            whisker_rows=WHISKER_ROWS,
            page_rows=PAGE_ROWS,
            **_line_figures(data),
            **time_panels(data),
            when_and_why=comparison_html(
                [Path(p) for p in data.table["run_dir"]], data.labels, data.rank_by
            ),
            references=reference_rows(data),
        )
    )


def _relative_columns(data: ComparisonData) -> list[tuple[str, str, str]]:
    """The second table's columns: the twin's only when some run has a twin."""
    has_twin = any(k in r.metrics for r in data.runs for _, k, _ in TWIN_COLUMNS)
    return RELATIVE_COLUMNS + (TWIN_COLUMNS if has_twin else [])


def reference_rows(data: ComparisonData) -> list[dict]:
    """The reference rows under the table (never candidates): the benchmark and each distinct
    no-rotation twin, with CAGR, Sharpe and max drawdown over the first run's window that has
    them."""
    first = data.runs[0].metrics
    rows = [
        {
            "label": f"benchmark {data.benchmark} (buy and hold)",
            "cagr": first.get("benchmark_cagr"),
            "sharpe": first.get("benchmark_sharpe"),
            "max_drawdown": first.get("benchmark_max_drawdown"),
            "window": f"{first['start']} .. {first['end']}",
        }
    ]
    seen = set()
    for r in data.runs:
        weights = r.metrics.get("twin_weights")
        key = tuple(sorted((weights or {}).items()))
        if not weights or key in seen or r.config.strategy in ("buy_and_hold", "fixed_mix"):
            continue
        seen.add(key)
        shown = " / ".join(f"{s} {w:.0%}" for s, w in weights.items())
        rows.append({"label": f"no-rotation twin: {shown} (same schedule, fills, costs)",
                     "cagr": r.metrics.get("twin_cagr"), "sharpe": r.metrics.get("twin_sharpe"),
                     "max_drawdown": r.metrics.get("twin_max_drawdown"),
                     "window": f"{r.metrics['start']} .. {r.metrics['end']}"})
    formats = (("cagr", "pct"), ("sharpe", "num"), ("max_drawdown", "pct"))
    return [{**row, **{k: number(row[k], f) for k, f in formats}} for row in rows]


def write_comparison(run_dirs: list[str | Path], out: str | Path, rank_by: str = "sharpe",
                     title: str = "Strategy comparison", luck: dict | None = None,
                     data: ComparisonData | None = None, self_contained: bool = False) -> Path:
    """Write ``out/comparison.html`` comparing ``run_dirs``; return the page. plotly.js is shared
    by the runs folder (``out``'s parent), or inline with ``self_contained`` (``reports.assets``).

    ``rank_by``: a metric the table is ordered by (and the heatmap shows); see
    ``engine.metrics.rank``. ``luck``: the overfitting statistics of these runs (``research.luck``,
    as a dict) for the "how much is luck" panel, the PSR/DSR/MCS columns and the confidence
    whiskers. ``data``: the already built :func:`comparison_data` of these runs, if the caller has
    it.
    """
    data = data if data is not None else comparison_data(run_dirs, rank_by)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "the comparison page", out) from None
    html = render_comparison(data, out, title, luck, self_contained)
    return write_text_atomic(out / "comparison.html", html, "the comparison page")


def _year_cell(v) -> dict:
    if v is None or np.isnan(v):
        return {"value": "", "text": "", "sign": ""}
    return {"value": f"{v:.6f}", "text": f"{v * 100:.1f}%", "sign": "neg" if v < 0 else "pos"}


def _share(v: float) -> dict:
    return {"value": f"{v:.6f}", "text": f"{v * 100:.1f}%"}


#: Rows per page of the page's tables (the rest a click away; sorting sorts every row).
PAGE_ROWS = 50
#: Variants a comparison page shows row by row, best first by the ranking metric: its tables,
#: curves and whiskers (a sweep's heatmaps and statistics cover every variant; every row is in
#: sweep.csv and stats.json). Keeps a 10,000-variant sweep's page under 2 MB of data.
PAGE_VARIANTS = 100
