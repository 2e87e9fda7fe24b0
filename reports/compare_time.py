"""Comparison-page panels that show time: holdings of the top variants, the best variant's
monthly returns, and the correlation of the variants' daily returns (clustered).

Each function takes the :class:`reports.compare.ComparisonData` parts it needs and returns an
HTML fragment (plotly, loaded by the page) or an empty string when there is nothing to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from reports.holdings import run_weights, weights_figure

#: Variants whose holdings are drawn (best first by the ranking metric).
HOLDINGS_PANELS = 4


def fig_fragment(fig, div_id: str, height: int) -> str:
    """A plotly figure as an HTML fragment in the house style, ``height`` pixels tall."""
    fig.update_layout(template="plotly_white", margin={"l": 50, "r": 20, "t": 40, "b": 40},
                      height=height, legend={"orientation": "h", "y": -0.08})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False})


def holdings_panels(runs: list, labels: list[str], top: int = HOLDINGS_PANELS) -> str:
    """Stacked share-of-equity charts of the best ``top`` runs (``runs`` ranked, with their
    ``positions`` and ``equity`` loaded), one panel each."""
    panels = {label: run_weights(r) for r, label in zip(runs[:top], labels[:top], strict=True)}
    if not panels:
        return ""
    return fig_fragment(weights_figure(panels), "holdings", 170 * len(panels) + 110)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def monthly_grid(returns: pd.Series) -> pd.DataFrame:
    """Calendar-month compounded returns of daily ``returns``: rows years (newest first), columns
    the 12 months; NaN outside the data."""
    index = pd.DatetimeIndex(returns.index)
    monthly = (1 + returns).groupby([index.year, index.month]).prod() - 1
    grid = monthly.unstack().reindex(columns=range(1, 13))
    return grid.sort_index(ascending=False)


def monthly_heatmap(returns: pd.Series, label: str) -> str:
    """The monthly returns of one variant as a heatmap (newest year on top), red below 0 and
    green above, symmetric around 0."""
    grid = monthly_grid(returns)
    if grid.empty:
        return ""
    reach = float(np.nanmax(np.abs(grid.to_numpy()))) or 0.01
    text = [["" if np.isnan(v) else f"{v:.1%}" for v in row] for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=MONTHS, y=[str(y) for y in grid.index], text=text,
        texttemplate="%{text}", zmin=-reach, zmax=reach, zmid=0.0, hoverongaps=False,
        colorscale=[[0, "#b2182b"], [0.5, "#f7f7f7"], [1, "#1b7837"]],
        colorbar={"title": "month", "tickformat": ".0%"},
        hovertemplate="%{y} %{x}: %{text}<extra>" + label.replace("<", "&lt;") + "</extra>"))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(side="top")
    return fig_fragment(fig, "monthly-heatmap", 22 * len(grid) + 120)


#: Variants in the correlation matrix (best first by the ranking metric).
CORRELATION_ROWS = 30


def clustered_correlation(returns: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of the columns of daily ``returns``, rows and columns reordered by
    average-linkage hierarchical clustering on the distance 1 - correlation (scipy, with the
    optimal leaf ordering of Bar-Joseph et al. 2001), so near-clones sit side by side. A column
    without variation is left out."""
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    moving = returns.loc[:, returns.std() > 0]
    corr = moving.corr()
    if len(corr) < 3:
        return corr
    distance = np.clip(1.0 - corr.to_numpy(), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    condensed = squareform((distance + distance.T) / 2, checks=False)
    tree = optimal_leaf_ordering(linkage(condensed, method="average"), condensed)
    order = leaves_list(tree)
    return corr.iloc[order, order]


def correlation_heatmap(returns: pd.DataFrame) -> str:
    """:func:`clustered_correlation` of the variants as a heatmap (1 dark; the scale runs from
    the lowest correlation shown, or 0, to 1)."""
    corr = clustered_correlation(returns)
    if len(corr) < 2:
        return ""
    z = corr.to_numpy()
    low = min(0.0, float(z.min()))
    names = list(corr.columns)
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, zmin=low, zmax=1.0, colorscale="Blues",
        texttemplate="%{z:.2f}" if len(names) <= 15 else None,
        colorbar={"title": "correlation"},
        hovertemplate="%{y}<br>%{x}<br>correlation %{z:.3f}<extra></extra>"))
    fig.update_xaxes(showticklabels=len(names) <= 15, type="category")
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    return fig_fragment(fig, "correlation", max(380, 18 * len(names) + 200))


def latest_run(runs: list) -> str:
    """When the newest of the runs was made (from their manifests, not the clock: two renders of
    the same runs are the same page)."""
    stamps = [str(r.manifest.get("created_utc", "")) for r in runs]
    return max(stamps)[:16].replace("T", " ") + " UTC" if any(stamps) else "unknown"


def time_panels(data) -> dict:
    """The page's time panels for ``data`` (a ``ComparisonData``, ranked): holdings of the best
    variants, the best's monthly returns, the clustered correlations."""
    returns = pd.DataFrame(
        {
            label: r.returns["strategy"]
            for r, label in zip(
                data.runs[:CORRELATION_ROWS], data.labels[:CORRELATION_ROWS], strict=True
            )
        }
    )
    return {
        "holdings_chart": holdings_panels(data.runs, data.labels),
        "holdings_panels": HOLDINGS_PANELS,
        "monthly_chart": monthly_heatmap(data.runs[0].returns["strategy"], data.labels[0]),
        "best_label": data.labels[0],
        "correlation_chart": correlation_heatmap(returns),
        "correlation_rows": CORRELATION_ROWS,
    }
