"""Parameter heatmaps that do not exaggerate (issue 28): median cells, and a colour scale that
spans at least the typical confidence interval (or is sequential with the benchmark marked)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from reports.param_heatmaps import Z_90, heatmap_figure, interval_half_width, parameter_heatmaps


def _data(metric: str = "sharpe", spread: float = 0.007, sessions: int = 1000):
    """A hand-made comparison: 2 x 2 x 3 variants whose Sharpe differ by at most ``spread``."""
    rng = np.random.default_rng(5)
    rows = [{"param.a": a, "param.b": b, "param.c": c, metric: 0.5 + spread * rng.random()}
            for a in (1, 2) for b in ("x", "y") for c in (10, 20, 30)]
    run = SimpleNamespace(
        metrics={f"benchmark_{metric}": 0.52}, returns=pd.DataFrame(index=range(sessions))
    )
    return SimpleNamespace(rank_by=metric, table=pd.DataFrame(rows), runs=[run] * len(rows),
                           varying={"relative_momentum": ["a", "b", "c"]})


def test_cells_are_medians_over_the_hidden_parameter():
    data = _data()
    fig, _ = heatmap_figure(data, ["a", "b"], 0.3)
    trace = fig.data[0]
    t = data.table
    for yi, b in enumerate(trace.y):
        for xi, a in enumerate(trace.x):
            cell = t[(t["param.a"] == int(a)) & (t["param.b"] == b)]["sharpe"]
            assert trace.z[yi][xi] == pytest.approx(float(np.median(cell)))
            assert trace.customdata[yi][xi][0] == pytest.approx(cell.max())  # hover: the best
            assert trace.customdata[yi][xi][1] == 3


def test_a_tiny_difference_is_not_painted_as_a_large_one():
    """0.007 of Sharpe between cells against a typical interval of [0.16, 0.74]: the scale reaches
    at least the half width (0.29) each side of the benchmark."""
    data = _data()
    luck = {"interval": 0.9, "variants": {f"v{i}": {"sharpe_ci": [0.16, 0.74]} for i in range(12)}}
    half, source = interval_half_width(data, luck)
    assert half == pytest.approx(0.29) and "90% bootstrap" in source
    trace = heatmap_figure(data, ["a", "b"], half, source)[0].data[0]
    assert trace.zmin == pytest.approx(0.52 - 0.29) and trace.zmax == pytest.approx(0.52 + 0.29)
    values = [v for row in trace.z for v in row]
    # two near-identical shades
    assert (max(values) - min(values)) / (trace.zmax - trace.zmin) < 0.02


def test_without_bootstrap_intervals_sharpe_uses_lo_2002():
    data = _data(sessions=2520)
    half, source = interval_half_width(data, None)
    daily = float(np.median(data.table["sharpe"])) / math.sqrt(252)
    assert half == pytest.approx(Z_90 * math.sqrt((1 + daily**2 / 2) / 2520) * math.sqrt(252))
    assert "Lo" in source


def test_a_metric_without_an_interval_is_sequential_with_the_benchmark_marked():
    data = _data(metric="calmar")
    half, _ = interval_half_width(data, None)
    assert half is None
    fig, scale = heatmap_figure(data, ["a", "b"], half)
    trace = fig.data[0]
    assert trace.colorscale[0][1] != trace.colorscale[-1][1] and "sequential" in scale
    assert "benchmark 0.52" in trace.colorbar.ticktext and 0.52 in trace.colorbar.tickvals
    maps = parameter_heatmaps(data)
    assert [m["axes"] for m in maps] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert maps[0]["hidden"] == ["c"]
