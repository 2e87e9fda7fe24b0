"""Parameter heatmaps of a comparison that do not exaggerate.

For one strategy with two or more varying parameters, a heatmap of the ranking metric for each
pair of its first varying parameters. Two rules keep a reader from seeing an effect where there
is none:

* **Each cell is the median** over the parameters the pair leaves out (the hover also gives the
  best and how many variants the cell holds): a best-of cell is an in-sample maximum, and more
  variants behind a cell make it look better.
* **The colour scale spans at least the typical bootstrap interval** of the metric: a diverging
  scale centred on the benchmark's value, whose reach is at least half the median width of the
  variants' confidence intervals (``stats.json``'s ``sharpe_ci``/``cagr_ci``; without them, for
  Sharpe, Lo's (2002) asymptotic standard error, "The Statistics of Sharpe Ratios", FAJ 58(4),
  times 1.645). A 0.007 Sharpe difference is then two near-identical shades. A metric with no
  known interval is drawn on a sequential scale with the benchmark's value marked on the bar.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import plotly.graph_objects as go

from engine.metrics import LOWER_IS_BETTER
from reports.compare_time import fig_fragment

#: Parameter-pair heatmaps drawn at most (pairs of the first varying parameters).
MAX_HEATMAPS = 3
#: The two-sided interval the Lo (2002) fallback spans (as the luck panel's default 90%).
Z_90 = 1.6448536269514722
CI_KEYS = {"sharpe": "sharpe_ci", "cagr": "cagr_ci"}


def parameter_heatmaps(data, luck: dict | None = None) -> list[dict]:
    """``[{"axes", "hidden", "html", "scale"}]`` for ``data`` (a ``ComparisonData``), each pair of
    its first varying parameters (at most :data:`MAX_HEATMAPS`); ``luck``: ``stats.json`` as a
    dict, for the intervals. Empty unless one strategy with two or more varying parameters."""
    if len(data.varying) != 1:
        return []
    params = next(iter(data.varying.values()))
    pairs = list(itertools.combinations(params, 2))[:MAX_HEATMAPS]
    half, source = interval_half_width(data, luck)
    out = []
    for i, pair in enumerate(pairs):
        fig, scale = heatmap_figure(data, list(pair), half, source)
        out.append({"axes": pair, "hidden": [p for p in params if p not in pair],
                    "html": fig_fragment(fig, f"heatmap{i}", 440), "scale": scale})
    return out


def interval_half_width(data, luck: dict | None) -> tuple[float | None, str]:
    """Half the typical (median) width of the variants' confidence intervals of the ranking
    metric, and where it comes from; (None, "") when none is known."""
    metric = data.rank_by
    key = CI_KEYS.get(metric)
    if luck and key:
        widths = [v[key][1] - v[key][0] for v in luck.get("variants", {}).values()
                  if v.get(key) and None not in v[key]]
        if widths:
            level = f"{luck.get('interval', 0.9) * 100:.0f}%"
            return float(np.median(widths)) / 2, f"the median {level} bootstrap interval"
    if metric == "sharpe":
        values = data.table["sharpe"].dropna().to_numpy(dtype=float)
        sessions = min(len(r.returns) for r in data.runs)
        if len(values) and sessions > 1:
            daily = float(np.median(values)) / math.sqrt(252)
            se = math.sqrt((1 + daily**2 / 2) / sessions) * math.sqrt(252)
            return Z_90 * se, "Lo's (2002) 90% interval"
    return None, ""


def _cells(data, axes: list[str]) -> dict[tuple, list[float]]:
    cells: dict[tuple, list[float]] = {}
    for rec in data.table.to_dict("records"):
        v = rec[data.rank_by]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        cells.setdefault((rec[f"param.{axes[0]}"], rec[f"param.{axes[1]}"]), []).append(float(v))
    return cells


def heatmap_figure(data, axes: list[str], half: float | None, source: str = "") -> tuple:
    """The plotly heatmap of ``data.rank_by`` over parameters ``axes`` (x, y), each cell the
    median over the other parameters, and the sentence that says how its colour scale was set;
    ``half``: the interval half-width the scale must reach at least (None: sequential scale)."""
    metric = data.rank_by
    reverse = metric in LOWER_IS_BETTER
    cells = _cells(data, axes)
    records = data.table.to_dict("records")
    xs = sorted({rec[f"param.{axes[0]}"] for rec in records}, key=_sort_key)
    ys = sorted({rec[f"param.{axes[1]}"] for rec in records}, key=_sort_key)
    z = [[_median(cells.get((x, y))) for x in xs] for y in ys]
    best = [[_best(cells.get((x, y)), reverse) for x in xs] for y in ys]
    count = [[len(cells.get((x, y), [])) for x in xs] for y in ys]
    values = [v for row in z for v in row if v is not None]
    reference = data.runs[0].metrics.get(f"benchmark_{metric}")
    middle = float(reference) if reference is not None else float(np.median(values or [0.0]))
    bar = {"title": f"{metric}<br>(median of cell)"}
    if half is not None:
        reach = max(half, max((abs(v - middle) for v in values), default=0.0))
        colour = {"colorscale": "RdBu", "reversescale": reverse, "zmin": middle - reach,
                  "zmax": middle + reach}
        scale = (f"diverging around the {'benchmark' if reference is not None else 'median'} "
                 f"({middle:.3f}); it reaches at least ±{half:.3f}, half {source}")
    else:
        low, high = min([*values, middle]), max([*values, middle])
        colour = {"colorscale": "Viridis", "reversescale": reverse, "zmin": low, "zmax": high}
        bar.update(tickvals=[low, middle, high],
                   ticktext=[f"{low:.3g}", f"benchmark {middle:.3g}" if reference is not None
                             else f"median {middle:.3g}", f"{high:.3g}"])
        scale = "sequential (no interval known for this metric), the benchmark marked on the bar"
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(x) for x in xs],
            y=[str(y) for y in ys],
            customdata=np.dstack([best, count]),
            texttemplate="%{z:.3f}" if len(xs) * len(ys) <= 400 else None,
            colorbar=bar,
            **colour,
            hovertemplate=(
                f"{axes[0]}=%{{x}}, {axes[1]}=%{{y}}<br>median {metric} %{{z:.3f}}"
                "<br>best %{customdata[0]:.3f} of %{customdata[1]} variants<extra></extra>"
            ),
        )
    )
    fig.update_xaxes(title=axes[0], type="category")
    fig.update_yaxes(title=axes[1], type="category")
    return fig, scale


def _median(values: list[float] | None) -> float | None:
    return float(np.median(values)) if values else None


def _best(values: list[float] | None, reverse: bool) -> float | None:
    if not values:
        return None
    return min(values) if reverse else max(values)


def _sort_key(v):
    return (0, v, "") if isinstance(v, int | float) else (1, 0, str(v))
