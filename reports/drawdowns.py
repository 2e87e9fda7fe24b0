"""The worst drawdowns of a run ranked by depth, and the chart that shades them.

quantstats' "Worst 5 Drawdown Periods" chart shades the five *longest* drawdowns (it sorts its
table by days), so a deep and quick fall such as March 2020 can be left out. Here a drawdown is
the stretch from a session at a new high of the growth curve to the last session before the curve
is back at that high (or the end of the data, still under water); its depth is the lowest growth
in the stretch over the high, minus 1. Episodes are ranked deepest first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.svg import finish_svg

#: Episodes shaded on the tearsheet's chart.
SHADED = 5


def worst_drawdowns(returns: pd.Series, n: int | None = None) -> pd.DataFrame:
    """Drawdown episodes of daily simple ``returns``, deepest first (at most ``n``): ``peak`` (the
    session at the high), ``valley``, ``end`` (last session under water), ``depth`` (negative
    fraction), ``sessions`` (peak to end) and ``recovered`` (back at the high within the data)."""
    growth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy(dtype=float))])
    dates = pd.DatetimeIndex(returns.index)
    dates = dates.insert(0, dates[0]) if len(dates) else dates  # the start: a high of 1
    high = np.maximum.accumulate(growth)
    under = growth < high * (1 - 1e-12)
    rows = []
    i = 0
    while i < len(under):
        if not under[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(under) and under[j + 1]:
            j += 1
        valley = i + int(np.argmin(growth[i:j + 1]))
        rows.append((dates[i - 1], dates[valley], dates[j], growth[valley] / high[valley] - 1.0,
                     j - i + 2, j + 1 < len(under)))
        i = j + 1
    table = pd.DataFrame(rows, columns=["peak", "valley", "end", "depth", "sessions", "recovered"])
    table = table.sort_values("depth", kind="stable").reset_index(drop=True)
    return table if n is None else table.head(n)


def worst_drawdowns_svg(returns: pd.Series, n: int = SHADED) -> str:
    """Growth of 1 with the ``n`` deepest drawdowns shaded and labelled by rank and depth."""
    import matplotlib.pyplot as plt

    growth = (1.0 + returns).cumprod()
    worst = worst_drawdowns(returns, n)
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(growth.index, growth.to_numpy(), color="#348dc1", linewidth=1.2)
    for rank, dd in enumerate(worst.itertuples(), start=1):
        ax.axvspan(dd.peak, dd.end, color="#e15759", alpha=0.12 + 0.05 * (n - rank), linewidth=0)
        ax.annotate(f"{rank}: {dd.depth:.0%}", (dd.valley, growth.loc[dd.valley]), fontsize=9,
                    xytext=(0, -12), textcoords="offset points", ha="center", color="#8b1a1a")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(f"Worst {len(worst)} drawdowns by depth (shaded peak to recovery)",
                 fontweight="bold")
    ax.set_ylabel("growth of 1 (log)")
    ax.grid(alpha=0.3)
    return finish_svg(fig, ax)
