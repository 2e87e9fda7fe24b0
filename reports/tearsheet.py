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
from engine.metrics import cost_summary
from engine.results import BacktestResult
from reports import qs_private
from reports._render import environment, number
from reports.figure_worker import figure_worker
from reports.holdings import run_weights, weights_svg
from reports.quicker_qs import quicker_quantstats, shown_figures
from strategies import get_strategy

TEMPLATE = Path(__file__).parent / "templates" / "quantstats_tearsheet.html"

METRIC_ROWS = [  # label, metrics.json key, format
    ("CAGR", "cagr", "pct"), ("Volatility (ann.)", "volatility", "pct"), ("Sharpe", "sharpe", "num"),
    ("Sortino", "sortino", "num"), ("Max drawdown", "max_drawdown", "pct"), ("Calmar", "calmar", "num"),
    ("Exposure", "exposure", "pct"), ("Turnover / year (two-sided)", "turnover", "num"),
    ("Costs paid / year", "costs_paid", "pct"), ("Trades (fills)", "trades", "int"),
    ("Switches", "switches", "int"), ("Rejected orders", "rejected_orders", "int"),
    ("Benchmark CAGR", "benchmark_cagr", "pct"), ("Final equity", "final_equity", "money"),
]


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
                    font_manager.FontEntry(fname=f.fname, name="Arial", style=f.style, variant=f.variant,
                                           weight=f.weight, stretch=f.stretch, size=f.size))
    font_manager.fontManager._findfont_cached.cache_clear()  # forget earlier misses


def metric_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """(label, key, formatted value) for the run-metrics table."""
    return [(label, key, number(metrics.get(key), fmt)) for label, key, fmt in METRIC_ROWS]


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
        ax.plot(beta.index, beta.to_numpy(), color=color, linewidth=1.2, label=f"{window}-session beta")
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
#: rotation that spends months out of the benchmark (it printed 692%).
DROPPED_ROWS = ("Treynor Ratio",)


def drop_metric_rows(html: str, labels: tuple[str, ...] = DROPPED_ROWS) -> str:
    """``html`` without the quantstats metrics-table rows whose first cell is one of ``labels``."""
    for label in labels:
        html = re.sub(rf"<tr>\s*<td>{re.escape(label)}</td>.*?</tr>", "", html, flags=re.S)
    return html


def monthly_table(returns: pd.Series) -> tuple[dict, list[int]]:
    """Per year, 12 monthly cells plus the year: text and colour; blank where there is no data."""
    monthly = (1 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1
    years = sorted({y for y, _ in monthly.index})
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
    color = f"rgba(40,160,70,{0.15 + 0.6 * strength:.2f})" if v >= 0 else f"rgba(220,50,50,{0.15 + 0.6 * strength:.2f})"
    return {"text": f"{v * 100:.2f}", "color": color}


def short_title(run: BacktestResult) -> str:
    """The strategy and only the parameters that differ from its defaults (all of them are in the
    settings block): ``relative_momentum (lookback=63)``."""
    spec = get_strategy(run.config.strategy)
    defaults = spec.cls.Params().model_dump(mode="json")
    changed = [f"{k}={v}" for k, v in run.config.param_values().items()
               if defaults.get(k) != v and k not in ("targets", "label")]
    return run.config.strategy + (f" ({', '.join(changed)})" if changed else " (defaults)")


def own_figures(returns: pd.DataFrame, benchmark_name: str, weights: pd.DataFrame) -> dict[str, str]:
    """Our figures of the page, SVG text by placeholder name: the EOY bars, the rolling beta and
    the holdings over time (``weights``: :func:`reports.holdings.holdings_weights`)."""
    return {"EOY_CHART": eoy_chart_svg(returns, benchmark_name),
            "ROLLING_BETA": rolling_beta_svg(returns, benchmark_name),
            "HOLDINGS": weights_svg(weights, "Holdings over time: share of equity at each close")}


def write_tearsheet(run_dir: str | Path, output: str | Path | None = None, *, parallel: bool | None = None) -> Path:
    """Write ``tearsheet.html`` for the saved run in ``run_dir`` and return its path.

    ``output``: another file to write instead (default ``run_dir/tearsheet.html``). Written to a
    temporary file and renamed, so a reader never sees half a page. ``parallel``: draw half the
    figures in a forked second process (``reports.figure_worker``; default: off, unless
    ``SMALLCAP_FIGURE_WORKER=1``); the page is the same either way.
    """
    with qs_private.PAGE_LOCK:  # quantstats' stand-ins and pyplot's figures are process-global
        return _write_tearsheet(run_dir, output, parallel)


def _write_tearsheet(run_dir: str | Path, output: str | Path | None, parallel: bool | None) -> Path:
    run = BacktestResult.load(run_dir)
    _prepare_matplotlib()
    import matplotlib.pyplot as plt
    import quantstats as qs

    from reports.regime_parts import when_and_why_html  # statsmodels, arch: only to draw a page

    rf = float(run.metrics["risk_free_rate"])
    if not -0.05 <= rf <= 0.25:
        raise ValueError(f"risk-free rate {rf} is not an annual decimal")
    bench_name = str(run.metrics.get("benchmark", run.config.benchmark))
    returns = run.returns.copy()
    returns.index = pd.DatetimeIndex(returns.index).tz_localize(None)
    strategy = returns["strategy"].rename("Strategy")
    benchmark = returns["benchmark"].rename(bench_name)
    title = short_title(run)
    weights = run_weights(run)
    template = TEMPLATE.read_text(encoding="utf-8")
    out = Path(output) if output else Path(run_dir) / "tearsheet.html"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with warnings.catch_warnings():  # quantstats/seaborn deprecation chatter, not the user's business
            warnings.simplefilter("ignore")
            with quicker_quantstats(template), figure_worker(parallel) as worker:
                ours = worker.submit(own_figures, returns, bench_name, weights) if worker else None
                with worker.deferring(shown_figures(template)) if worker else nullcontext():
                    qs.reports.html(strategy, benchmark=benchmark, rf=rf, title=title, output=str(tmp),
                                    periods_per_year=252, match_dates=False, template_path=str(TEMPLATE),
                                    compounded=True)
                html = tmp.read_text(encoding="utf-8")
                if worker:
                    html = worker.fill(html)
                figures = worker.result(ours, lambda: own_figures(returns, bench_name, weights)) \
                    if worker else own_figures(returns, bench_name, weights)
        parts = environment().get_template("tearsheet_parts.html").module
        table, years = monthly_table(returns["strategy"])
        html = (html.replace("<!--SMALLCAP:SETTINGS-->",
                             str(parts.settings(run.config.to_dict(), run.manifest, run.metrics,
                                                metric_rows(run.metrics), costs_line(run))))
                .replace("<!--SMALLCAP:MONTHLY_TABLE-->", str(parts.monthly(table, years)))
                .replace("<!--SMALLCAP:WHEN_AND_WHY-->", when_and_why_html(run_dir, bench_name))
                .replace("\ufe6a", "%"))
        for name, svg in figures.items():
            html = html.replace(f"<!--SMALLCAP:{name}-->", svg)
        tmp.write_text(drop_metric_rows(html), encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:  # full disk, read-only folder: one line, like the run saver's
        raise write_failure(exc, "the tearsheet", out) from None
    finally:
        discard(tmp)
        plt.close("all")
    return out
