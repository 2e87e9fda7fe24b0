"""Holdings over time: each asset's share of equity per session, and the stacked charts of it.

The weights come from a saved run's ``positions.csv`` (value of each held position at each
session's close) over ``equity.csv`` (account value at that close); what is not in a position is
cash (the broker's cash, not the strategy's cash asset, which is a position like any other).
Shares of one session sum to 1. The same frame feeds the tearsheet's figure (matplotlib SVG,
:func:`weights_svg`), the comparison page's figure (plotly, :func:`weights_figure`) and any other
page that wants it (the regimes page draws it under its regime bands).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports._render import chart_dates, chart_values
from reports.svg import finish_svg

#: The column of the uninvested remainder.
CASH = "cash"
#: Points drawn per asset at most: a chart is 600-1,200 pixels wide, so a 25-year run (~6,300
#: sessions) is drawn from every 11th session and the last (the frame keeps every session).
MAX_POINTS = 600
#: Tableau 10, as the comparison page's curves; cash is grey.
COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
          "#9c755f"]
CASH_COLOR = "#c8c8c8"


def holdings_weights(positions: pd.DataFrame, equity: pd.DataFrame) -> pd.DataFrame:
    """Share of equity (fraction, 0..1) held in each symbol at each session's close, plus
    :data:`CASH` (1 minus the rest); rows: the sessions of ``equity``, columns: symbols by
    average share (largest first), then cash.

    ``positions``: ``date`` (YYYY-MM-DD text or dates), ``symbol``, ``value`` (money at that
    close; ``positions.csv``). ``equity``: ``equity`` per session on a date index (``equity.csv``).
    A session without positions is all cash; a session of zero equity is all cash too.
    """
    sessions = pd.DatetimeIndex(equity.index).tz_localize(None).normalize()
    value = pd.Series(equity["equity"].to_numpy(dtype=float), index=sessions)
    if len(positions):
        dates = pd.to_datetime(positions["date"]).to_numpy()
        held = (pd.DataFrame({"date": dates, "symbol": positions["symbol"].astype(str).to_numpy(),
                              "value": positions["value"].to_numpy(dtype=float)})
                .pivot_table(index="date", columns="symbol", values="value", aggfunc="sum")
                .reindex(sessions).fillna(0.0))
    else:
        held = pd.DataFrame(index=sessions)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = held.div(value.where(value > 0), axis=0).fillna(0.0)
    order = shares.mean().sort_values(ascending=False, kind="stable").index
    shares = shares[list(order)]
    shares[CASH] = 1.0 - shares.sum(axis=1)
    shares.columns.name = None
    shares.index.name = "date"
    return shares


def run_weights(run) -> pd.DataFrame:
    """:func:`holdings_weights` of a loaded ``BacktestResult`` (needs its ``positions`` and
    ``equity`` tables)."""
    return holdings_weights(run.positions, run.equity)


def drawn_points(weights: pd.DataFrame) -> pd.DataFrame:
    """The rows drawn: every session up to :data:`MAX_POINTS`, else every k-th session from the
    first and the last one (k the smallest stride that fits)."""
    if len(weights) <= MAX_POINTS:
        return weights
    step = -(-len(weights) // (MAX_POINTS - 1))
    rows = np.unique(np.append(np.arange(0, len(weights), step), len(weights) - 1))
    return weights.iloc[rows]


def colors_for(columns: list[str]) -> list[str]:
    """A colour per column: Tableau 10 in order, grey for cash."""
    out, i = [], 0
    for c in columns:
        if c == CASH:
            out.append(CASH_COLOR)
        else:
            out.append(COLORS[i % len(COLORS)])
            i += 1
    return out


def weights_svg(weights: pd.DataFrame, title: str = "Holdings: share of equity") -> str:
    """A stacked-area chart of ``weights`` (from :func:`holdings_weights`) as SVG text."""
    import matplotlib.pyplot as plt

    shown = drawn_points(weights).clip(lower=0.0)
    columns = list(shown.columns)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.stackplot(shown.index, *(shown[c].to_numpy() * 100 for c in columns), labels=columns,
                 colors=colors_for(columns), linewidth=0)
    ax.set_ylim(0, max(100.0, float(shown.sum(axis=1).max()) * 100))
    ax.set_ylabel("% of equity")
    ax.set_title(title, fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=min(len(columns), 6),
              frameon=False, fontsize=9)
    ax.margins(x=0)
    return finish_svg(fig, ax)


def weights_figure(panels: dict[str, pd.DataFrame]):
    """A plotly figure: one stacked-area panel per entry of ``panels`` (title -> weights), sharing
    the date axis; an asset has one colour and one legend entry across panels."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = list(panels)
    fig = make_subplots(rows=max(1, len(titles)), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=titles)
    assets = list(dict.fromkeys(c for w in panels.values() for c in w.columns if c != CASH))
    palette = dict(zip([*assets, CASH], colors_for([*assets, CASH]), strict=True))
    seen: set[str] = set()
    for row, title in enumerate(titles, start=1):
        shown = drawn_points(panels[title]).clip(lower=0.0)
        for asset in shown.columns:
            fig.add_trace(
                go.Scatter(
                    x=chart_dates(shown.index),
                    y=chart_values(shown[asset]),
                    name=asset,
                    legendgroup=asset,
                    showlegend=asset not in seen,
                    stackgroup=f"s{row}",
                    mode="none",
                    fillcolor=palette[asset],
                    hovertemplate=f"{asset} %{{y:.1%}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
            seen.add(asset)
        fig.update_yaxes(tickformat=".0%", range=[0, 1.0], row=row, col=1)
    return fig
