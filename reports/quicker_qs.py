"""Equal, faster stand-ins for quantstats internals, in place only while a tearsheet is drawn.

``quantstats.reports.html`` computes and draws everything through pandas one group, one
drawdown or one call at a time. :func:`quicker_quantstats` swaps, for the duration of one page:

* the figures the template never shows: not drawn (:func:`skipped_figures`);
* ``utils.group_returns``: one grouped product instead of a Python call per group;
* ``stats.drawdown_details``: each drawdown series worked out once (the page asks three times),
  each drawdown's figures from numpy slices (:func:`drawdown_table`);
* ``stats.remove_outliers``: the same quantile (numpy's, which pandas calls) and the same
  filter, without building two pandas objects per drawdown (it runs once for each of about
  500 drawdowns in 25 years);
* ``safe_resample(..., comp)`` in the plots: a resampled product instead of ``comp`` called per
  week, month, quarter and year (about 2,300 calls);
* ``utils._prepare_benchmark``: when the benchmark is already on the returns' dates, it skips
  the comparison of two Python sets of 6,000 timestamps that only decides to leave it as it is.

Each stand-in falls back to quantstats' own function outside the case it handles, and
``tests/test_reports.py`` compares whole pages (figures included) with quantstats' own path,
and each stand-in with the function it replaces. quantstats' private names, and the lock that
makes the swap safe with pages on several threads, are ``reports.qs_private``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from reports import qs_private

#: quantstats' figures: the template placeholder each fills, and the ``quantstats.plots`` function
#: that draws it (``quantstats.reports.html`` draws every one, whether the template shows it or
#: not).
QS_FIGURES = {
    "returns": "returns",
    "log_returns": "log_returns",
    "vol_returns": "returns",
    "eoy_returns": "yearly_returns",
    "monthly_dist": "histogram",
    "daily_returns": "daily_returns",
    "rolling_beta": "rolling_beta",
    "rolling_vol": "rolling_volatility",
    "rolling_sharpe": "rolling_sharpe",
    "rolling_sortino": "rolling_sortino",
    "dd_periods": "drawdowns_periods",
    "dd_plot": "drawdown",
    "monthly_heatmap": "monthly_heatmap",
    "returns_dist": "distribution",
}


def skipped_figures(template: str) -> list[str]:
    """The ``quantstats.plots`` functions whose figures ``template`` never shows (we draw our own
    EOY chart, rolling beta and monthly table): about half the time of a tearsheet."""
    shown = {fn for placeholder, fn in QS_FIGURES.items() if "{{" + placeholder + "}}" in template}
    return sorted({fn for fn in QS_FIGURES.values() if fn not in shown})


def shown_figures(template: str) -> list[str]:
    """The ``quantstats.plots`` functions whose figures ``template`` shows."""
    return sorted(
        {fn for placeholder, fn in QS_FIGURES.items() if "{{" + placeholder + "}}" in template}
    )


def group_returns(returns, groupby, compounded: bool = False):
    """``quantstats.utils.group_returns`` in one grouped product instead of a Python call per group
    (``groupby(...).apply(comp)``: 300 calls for 25 years of months)."""
    if compounded:
        return returns.add(1).groupby(groupby).prod() - 1
    return returns.groupby(groupby).sum()


def remembering_drawdown_details(original):
    """``quantstats.stats.drawdown_details`` that works out each drawdown series once: the html
    report asks for the strategy's three times (the drawdown table, the summary, the periods
    chart), a Python loop over every drawdown each time. Same input, same (copied) table."""
    safe_concat = qs_private.safe_concat

    seen: dict[tuple, pd.DataFrame] = {}

    def details(drawdown):
        if isinstance(drawdown, pd.DataFrame):
            return safe_concat({col: details(drawdown[col]) for col in drawdown.columns}, axis=1)
        key = (drawdown.index.asi8.tobytes() if isinstance(drawdown.index, pd.DatetimeIndex)
               else tuple(drawdown.index), drawdown.to_numpy(dtype=float).tobytes())
        if key not in seen:
            table = drawdown_table(drawdown)
            seen[key] = original(drawdown) if table is None else table
        return seen[key].copy()

    return details


DRAWDOWN_COLUMNS = ("start", "valley", "end", "days", "max drawdown", "99% max drawdown")


def drawdown_table(drawdown: pd.Series) -> pd.DataFrame | None:
    """quantstats' ``drawdown_details`` of one drawdown series, each drawdown's figures from numpy
    slices instead of pandas ones (the same starts and ends, valley, length in calendar days, max
    drawdown and 99% max drawdown, and the same table); ``None`` for what only quantstats should
    handle (no drawdown, NaN, dates not strictly increasing)."""
    index = drawdown.index
    if not (
        isinstance(drawdown, pd.Series)
        and drawdown.dtype == np.float64
        and isinstance(index, pd.DatetimeIndex)
        and len(drawdown) > 1
        and index.is_monotonic_increasing
        and index.is_unique
    ):
        return None
    values = drawdown.to_numpy()
    if np.isnan(values).any():
        return None
    zero = values == 0
    starts = list(np.flatnonzero(~zero[1:] & zero[:-1]) + 1)  # first session of each drawdown
    ends = list(np.flatnonzero(zero[1:] & ~zero[:-1]))  # its last session before the recovery
    if not starts:
        return None
    if ends and starts[0] > ends[0]:  # the series begins in a drawdown
        starts.insert(0, 0)
    if not ends or starts[-1] > ends[-1]:  # it ends in one
        ends.append(len(values) - 1)
    if len(starts) != len(ends):
        return None
    rows = []
    for first, last in zip(starts, ends, strict=True):
        segment = values[first:last + 1]
        depth = -segment
        kept = depth[depth < np.quantile(depth, 0.99)]  # quantstats' remove_outliers(-dd, 0.99)
        rows.append((index[first], index[first + int(np.argmin(segment))], index[last],
                     (index[last] - index[first]).days + 1, segment.min() * 100,
                     (-kept).min() * 100 if len(kept) else np.nan))
    df = pd.DataFrame(data=rows, columns=DRAWDOWN_COLUMNS)
    df["days"] = df["days"].astype(int)
    df["max drawdown"] = df["max drawdown"].astype(float)
    df["99% max drawdown"] = df["99% max drawdown"].astype(float)
    for col in ("start", "end", "valley"):
        df[col] = df[col].dt.strftime("%Y-%m-%d")
    return df


def quick_remove_outliers(original):
    """``quantstats.stats.remove_outliers`` (``returns[returns < returns.quantile(q)]``) for a
    float Series without NaN: the quantile from ``np.quantile``, as pandas computes it."""

    def remove_outliers(returns, quantile=0.95):
        if not isinstance(returns, pd.Series) or returns.dtype != np.float64 or not len(returns):
            return original(returns, quantile)
        values = returns.to_numpy()
        if np.isnan(values).any():
            return original(returns, quantile)
        return returns[values < np.quantile(values, quantile)]

    return remove_outliers


def quick_safe_resample(original, comp):
    """quantstats' ``safe_resample(data, freq, comp)`` as one resampled product of ``1 + r``."""

    def safe_resample(data, freq, func_name=None, **kwargs):
        if (
            func_name is comp
            and not kwargs
            and isinstance(data, pd.Series)
            and data.dtype == np.float64
        ):
            return data.add(1).resample(qs_private.frequency_alias(freq)).prod() - 1
        return original(data, freq, func_name, **kwargs)

    return safe_resample


def quick_prepare_benchmark(original):
    """``quantstats.utils._prepare_benchmark`` that skips its set comparison when the benchmark's
    dates already equal ``period`` (the comparison would find them equal and change nothing)."""

    def prepare_benchmark(benchmark=None, period="max", rf=0.0, prepare_returns=True):
        if isinstance(period, pd.DatetimeIndex) and isinstance(benchmark, pd.Series) \
                and benchmark.index.equals(period):
            period = "max"
        return original(benchmark, period, rf, prepare_returns)

    return prepare_benchmark


@contextlib.contextmanager
def quicker_quantstats(template: str):
    """For the block, the stand-ins of the module docstring, under ``qs_private.PAGE_LOCK``. The
    page is the same (``tests/test_reports.py`` compares it with and without)."""
    import quantstats as qs

    core = qs_private.plotting_core()
    preparer, preparer_name = qs_private.benchmark_preparer()
    replaced = [
        (qs.plots, name, lambda *args, **kwargs: None) for name in skipped_figures(template)
    ]
    replaced.append((qs.utils, "group_returns", group_returns))
    replaced.append((qs.stats, "drawdown_details",
                     remembering_drawdown_details(qs.stats.drawdown_details)))
    replaced.append((qs.stats, "remove_outliers", quick_remove_outliers(qs.stats.remove_outliers)))
    replaced.append((preparer, preparer_name,
                     quick_prepare_benchmark(getattr(preparer, preparer_name))))
    replaced.append((core, "safe_resample", quick_safe_resample(core.safe_resample, qs.stats.comp)))
    with qs_private.swapped(replaced):
        yield
