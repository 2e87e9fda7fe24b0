"""``write_tearsheet(run_dir)``: a quantstats HTML tearsheet from a saved run (never re-runs it).

What we pass and fix, versus calling quantstats naively:

* the benchmark is the run's own saved benchmark returns, named by its symbol (a ticker string
  would make quantstats download); dates are plain (no timezone); 252 periods a year;
  ``match_dates=False`` (the two series already share the run's sessions: no trimming to the
  first non-zero return); the evaluated window is shown in the settings block;
* the risk-free rate is the run's (``metrics.json`` ``risk_free``: by default the 3-month T-bill,
  bundled DTB3, per session; quantstats' own table gets its mean over the run as an annual
  decimal, validated), named in the settings block;
* quantstats asks for Arial: we register the DejaVu Sans that ships with matplotlib under that
  name (no font-warning spam), use the Agg backend and close every figure afterwards;
* our own template (quantstats' page without the remote favicon and the ``onload="save()"``
  handler that raised a console error), our own EOY bar chart (quantstats' misaligns bars and
  year labels with pandas 3), our own monthly table (blank, not 0.00, outside the data) and
  ``%`` instead of the ``﹪`` glyph DejaVu lacks.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from contextlib import nullcontext
from functools import lru_cache
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import discard, write_failure
from engine.metrics import cost_summary, trade_and_relative_metrics
from engine.results import BacktestResult
from reports import qs_private
from reports._render import environment, number
from reports.drawdowns import worst_drawdowns_svg
from reports.figure_worker import figure_worker
from reports.holdings import run_weights, weights_svg
from reports.quicker_qs import quicker_quantstats, shown_figures
from reports.rolling_returns import rolling_return_table
from strategies import get_strategy

TEMPLATE = Path(__file__).parent / "templates" / "quantstats_tearsheet.html"

RUN_ROWS = [  # label, metrics.json key, format
    ("CAGR", "cagr", "pct"),
    ("Volatility (ann.)", "volatility", "pct"),
    ("Sharpe", "sharpe", "num"),
    ("Sortino", "sortino", "num"),
    ("Max drawdown", "max_drawdown", "pct"),
    ("Calmar", "calmar", "num"),
    ("Exposure (time in market: sessions holding a risk asset)", "exposure", "pct"),
    ("Turnover / year (two-sided)", "turnover", "num"),
    ("Costs paid / year", "costs_paid", "pct"),
    ("Trades (fills)", "trades", "int"),
    ("Switches", "switches", "int"),
    ("Rejected orders", "rejected_orders", "int"),
    ("Benchmark CAGR", "benchmark_cagr", "pct"),
    ("Final equity", "final_equity", "money"),
]
TRADE_ROWS = [
    ("Closed round trips", "round_trips", "int"), ("Won (P&L net > 0)", "trades_won", "int"),
    ("Win rate", "win_rate", "pct"), ("Average holding (sessions)", "avg_hold_sessions", "num"),
    ("Average win", "avg_win", "money"), ("Average loss", "avg_loss", "money"),
    ("Best trade", "best_trade", "money"), ("Worst trade", "worst_trade", "money"),
    ("Profit factor (gross profit / gross loss)", "profit_factor", "num"),
]
RELATIVE_ROWS = [
    ("Beta (daily)", "beta", "num"), ("Correlation (daily)", "correlation", "num"),
    ("Tracking error (ann.)", "tracking_error", "pct"),
    ("Information ratio (ann.)", "information_ratio", "num"),
    ("Up capture (months the benchmark rose)", "up_capture", "pct"),
    ("Down capture (months it fell)", "down_capture", "pct"),
]
TWIN_ROWS = [
    ("Tracking error (ann.)", "tracking_error_twin", "pct"),
    ("Information ratio (ann.)", "information_ratio_twin", "num"),
]
#: Every row a run's metrics always fill (the twin's only where returns.csv has a twin).
METRIC_ROWS = RUN_ROWS + TRADE_ROWS + RELATIVE_ROWS


def costs_line(run: BacktestResult) -> str:
    """The run's costs, what it paid a year and its turnover, in one line."""
    return cost_summary(run.config.broker.describe_costs(), run.metrics)


@lru_cache(maxsize=1)
def _prepare_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    names = {f.name for f in font_manager.fontManager.ttflist}
    if "Arial" not in names:  # alias the DejaVu Sans shipped with matplotlib as Arial
        for f in list(font_manager.fontManager.ttflist):
            if f.name == "DejaVu Sans" and f.style == "normal":
                font_manager.fontManager.ttflist.append(
                    font_manager.FontEntry(
                        fname=f.fname,
                        name="Arial",
                        style=f.style,
                        variant=f.variant,
                        weight=f.weight,
                        stretch=f.stretch,
                        size=f.size,
                    )
                )
    font_manager.fontManager._findfont_cached.cache_clear()  # forget earlier misses


def metric_rows(metrics: dict, rows: list = METRIC_ROWS) -> list[tuple[str, str, str]]:
    """(label, key, formatted value) of ``rows`` (label, metrics.json key, format)."""
    return [(label, key, number(metrics.get(key), fmt)) for label, key, fmt in rows]


def metric_sections(metrics: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The settings block's metric tables: (title, rows), each saying what it is measured
    against."""
    bench = metrics.get("benchmark", "the benchmark")
    sections = [
        ("Run metrics (metrics.json)", metric_rows(metrics, RUN_ROWS)),
        ("Closed round trips (trades.csv; money, net of costs)", metric_rows(metrics, TRADE_ROWS)),
        (f"Against the benchmark {bench} (daily returns; capture from calendar months)",
         metric_rows(metrics, RELATIVE_ROWS)),
    ]
    if any(key in metrics for _, key, _ in TWIN_ROWS):
        sections.append(
            ("Against the no-rotation twin (daily returns)", metric_rows(metrics, TWIN_ROWS))
        )
    return sections


def eoy_chart_svg(returns: pd.DataFrame, benchmark_name: str) -> str:
    """Calendar-year returns of strategy and benchmark as grouped bars, one label per year."""
    import matplotlib.pyplot as plt

    yearly = (1 + returns).groupby(returns.index.year).prod() - 1
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = np.arange(len(yearly))
    ax.bar(x - 0.2, yearly["benchmark"] * 100, 0.4, label=benchmark_name, color="#fedd78")
    ax.bar(x + 0.2, yearly["strategy"] * 100, 0.4, label="Strategy", color="#348dc1")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [str(y) for y in yearly.index], rotation=45 if len(x) > 12 else 0, fontsize=9)
    ax.set_ylabel("return (%)")
    ax.set_title("EOY Returns vs Benchmark", fontweight="bold")
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


#: Rolling-beta windows in sessions (about 6 and 12 months), as quantstats draws them.
BETA_WINDOWS = (126, 252)


def rolling_beta(returns: pd.DataFrame, window: int) -> pd.Series:
    """Beta of the strategy to the benchmark over the trailing ``window`` sessions; NaN until the
    window is full (quantstats fills those sessions with 0, a flat stretch that is not a beta)."""
    cov = returns["strategy"].rolling(window).cov(returns["benchmark"])
    return cov / returns["benchmark"].rolling(window).var()


def rolling_beta_svg(returns: pd.DataFrame, benchmark_name: str) -> str:
    """The rolling-beta chart: 6- and 12-month betas, each drawn from its first full window."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    for window, color in zip(BETA_WINDOWS, ("#348dc1", "#fedd78"), strict=True):
        beta = rolling_beta(returns, window).dropna()
        ax.plot(
            beta.index, beta.to_numpy(), color=color, linewidth=1.2, label=f"{window}-session beta"
        )
    ax.axhline(1.0, color="black", linewidth=0.6, linestyle=":")
    ax.set_title(f"Rolling Beta to {benchmark_name}", fontweight="bold")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()[buf.getvalue().index("<svg"):]


#: quantstats table rows that mislead here: Treynor divides by a beta that can be near zero for a
#: rotation that spends months out of the benchmark (it printed 692%); "Time in Market" counts
#: sessions with a non-zero return, a second "exposure" beside ours (one number, one definition:
#: sessions holding a risk asset); "Information Ratio" is quantstats' daily, unannualised one
#: (ours is annualised, in the benchmark table); "Alpha" printed 0.0, a placeholder.
DROPPED_ROWS = ("Treynor Ratio", "Time in Market", "Information Ratio", "Alpha")


def drop_metric_rows(html: str, labels: tuple[str, ...] = DROPPED_ROWS) -> str:
    """``html`` without the quantstats metrics-table rows whose first cell is one of ``labels``."""
    for label in labels:
        html = re.sub(rf"<tr>\s*<td>{re.escape(label)}</td>.*?</tr>", "", html, flags=re.S)
    return html


def monthly_table(returns: pd.Series) -> tuple[dict, list[int]]:
    """Per year (newest first), 12 monthly cells plus the year: text and colour; blank where there
    is no data."""
    monthly = (1 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1
    years = sorted({y for y, _ in monthly.index}, reverse=True)  # newest first
    table = {}
    for year in years:
        cells = []
        for month in range(1, 13):
            v = monthly.get((year, month))
            cells.append(_cell(v))
        yr = returns[returns.index.year == year]
        cells.append(_cell((1 + yr).prod() - 1))
        table[year] = cells
    return table, years


def _cell(v: float | None) -> dict:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return {"text": "", "color": "#fff"}
    strength = min(abs(v) / 0.1, 1.0)
    color = (
        f"rgba(40,160,70,{0.15 + 0.6 * strength:.2f})"
        if v >= 0
        else f"rgba(220,50,50,{0.15 + 0.6 * strength:.2f})"
    )
    return {"text": f"{v * 100:.2f}", "color": color}


def short_title(run: BacktestResult) -> str:
    """The strategy and only the parameters that differ from its defaults (all of them are in the
    settings block): ``relative_momentum (lookback=63)``."""
    spec = get_strategy(run.config.strategy)
    defaults = spec.cls.Params().model_dump(mode="json")
    changed = [f"{k}={v}" for k, v in run.config.param_values().items()
               if defaults.get(k) != v and k not in ("targets", "label")]
    return run.config.strategy + (f" ({', '.join(changed)})" if changed else " (defaults)")


#: Our figures, by placeholder name. With a figure worker, the worker draws the first two and
#: this process the last two, after quantstats' page (each process draws about half the page).
OWN_FIGURES = ("EOY_CHART", "ROLLING_BETA", "HOLDINGS", "WORST_DRAWDOWNS")


def own_figures(returns: pd.DataFrame, benchmark_name: str, weights: pd.DataFrame,
                names: tuple[str, ...] = OWN_FIGURES) -> dict[str, str]:
    """Our figures of the page (those of ``names``), SVG text by placeholder name: the EOY bars,
    the rolling beta, the holdings over time (``weights``:
    :func:`reports.holdings.holdings_weights`) and the worst drawdowns by depth."""
    draw = {
        "EOY_CHART": lambda: eoy_chart_svg(returns, benchmark_name),
        "ROLLING_BETA": lambda: rolling_beta_svg(returns, benchmark_name),
        "HOLDINGS": lambda: weights_svg(
            weights, "Holdings over time: share of equity at each close"
        ),
        "WORST_DRAWDOWNS": lambda: worst_drawdowns_svg(returns["strategy"]),
    }
    return {name: draw[name]() for name in names}


#: matplotlib's SVG ids are hashed from this salt (a random one by default), so that two renders
#: of the same run are the same bytes; the SVGs' <metadata> (creation date) is removed.
SVG_SALT = "smallcap-tearsheet"
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", flags=re.S)


def write_tearsheet(run_dir: str | Path, output: str | Path | None = None, *,
                    parallel: bool | None = None) -> Path:
    """Write ``tearsheet.html`` for the saved run in ``run_dir`` and return its path.

    ``output``: another file to write instead (default ``run_dir/tearsheet.html``). Written to a
    temporary file and renamed, so a reader never sees half a page. ``parallel``: draw half the
    figures in a forked second process (``reports.figure_worker``; default: off, unless
    ``SMALLCAP_FIGURE_WORKER=1``); the page is the same either way, and the same bytes each time
    it is drawn.
    """
    with qs_private.PAGE_LOCK:  # quantstats' stand-ins and pyplot's figures are process-global
        return _write_tearsheet(run_dir, output, parallel)


def _write_tearsheet(run_dir: str | Path, output: str | Path | None, parallel: bool | None) -> Path:
    run = BacktestResult.load(run_dir)
    _prepare_matplotlib()
    import matplotlib
    import matplotlib.pyplot as plt

    from reports.regime_parts import when_and_why_html  # statsmodels, arch: only to draw a page

    rf = float(run.metrics["risk_free_rate"])
    if not -0.05 <= rf <= 0.25:
        raise ValueError(f"risk-free rate {rf} is not an annual decimal")
    returns = run.returns.copy()
    returns.index = pd.DatetimeIndex(returns.index).tz_localize(None)
    out = Path(output) if output else Path(run_dir) / "tearsheet.html"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quantstats/seaborn deprecation chatter
            html, figures = _draw(run, returns, rf, tmp, parallel)
            bench_name = str(run.metrics.get("benchmark", run.config.benchmark))
            figures["WHEN_AND_WHY"] = when_and_why_html(run_dir, bench_name)  # draws too: same salt
        html = _fill_ours(html, figures, run, returns)
        tmp.write_text(_METADATA.sub("", drop_metric_rows(html)), encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:  # full disk, read-only folder: one line, like the run saver's
        raise write_failure(exc, "the tearsheet", out) from None
    finally:
        discard(tmp)
        plt.close("all")
    return out


def _draw(run: BacktestResult, returns: pd.DataFrame, rf: float, tmp: Path,
          parallel: bool | None) -> tuple[str, dict[str, str]]:
    """quantstats' page (written to ``tmp``, read back) and our figures, drawn in one or two
    processes."""
    import quantstats as qs

    bench_name = str(run.metrics.get("benchmark", run.config.benchmark))
    weights = run_weights(run)
    template = TEMPLATE.read_text(encoding="utf-8")
    there, here = OWN_FIGURES[:2], OWN_FIGURES[2:]
    with quicker_quantstats(template), figure_worker(parallel) as worker:
        ours = worker.submit(own_figures, returns, bench_name, weights, there) if worker else None
        with worker.deferring(shown_figures(template)) if worker else nullcontext():
            qs.reports.html(returns["strategy"].rename("Strategy"),
                            benchmark=returns["benchmark"].rename(bench_name), rf=rf,
                            title=short_title(run), output=str(tmp), periods_per_year=252,
                            match_dates=False, template_path=str(TEMPLATE), compounded=True)
        html = tmp.read_text(encoding="utf-8")
        if not worker:
            return html, own_figures(returns, bench_name, weights)
        figures = own_figures(returns, bench_name, weights, here)
        html = worker.fill(html)
        figures.update(
            worker.result(ours, lambda: own_figures(returns, bench_name, weights, there))
        )
        return html, figures


def _fill_ours(html: str, figures: dict[str, str], run: BacktestResult,
               returns: pd.DataFrame) -> str:
    """``html`` with our settings, metric tables, rolling returns, monthly table and figures."""
    parts = environment().get_template("tearsheet_parts.html").module
    metrics = run.metrics
    if not all(key in metrics for _, key, _ in TRADE_ROWS + RELATIVE_ROWS):  # saved before them
        metrics = {**trade_and_relative_metrics(returns, run.trades), **metrics}
    table, years = monthly_table(returns["strategy"])
    sections = metric_sections(metrics)
    html = (html.replace("<!--SMALLCAP:SETTINGS-->",
                         str(parts.settings(run.config.to_dict(), run.manifest, metrics, sections,
                                            costs_line(run))))
            .replace("<!--SMALLCAP:ROLLING_RETURNS-->",
                     str(parts.rolling(rolling_return_table(returns), metrics.get("benchmark"))))
            .replace("<!--SMALLCAP:MONTHLY_TABLE-->", str(parts.monthly(table, years)))
            .replace("\ufe6a", "%")
            .replace("<h3>Worst 10 Drawdowns</h3>", "<h3>Worst 10 drawdowns, deepest first</h3>"))
    for name, svg in figures.items():
        html = html.replace(f"<!--SMALLCAP:{name}-->", svg)
    return html
