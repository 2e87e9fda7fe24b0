"""Comparison-page panels that show time: holdings of the top variants, the best variant's
monthly returns, and the correlation of the variants' daily returns (clustered).

Each function takes the :class:`reports.compare.ComparisonData` parts it needs and returns an
HTML fragment (plotly, loaded by the page) or an empty string when there is nothing to show.
"""

from __future__ import annotations

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
