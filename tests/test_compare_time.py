"""Comparison-page panels of issue 28: clustered correlations, the best variant's monthly grid,
and the second table (trades and relative risk) on a real comparison."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.runner import run_backtest
from reports.compare_time import clustered_correlation, monthly_grid


def test_near_clones_sit_together():
    """Three families of variants (each a common bet plus a little noise of its own), columns
    shuffled: after clustering each family is one contiguous block."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2020-01-01", periods=500)
    bets = rng.normal(0, 0.01, (len(days), 3))
    columns = {}
    for family in range(3):
        for member in range(4):
            noise = rng.normal(0, 0.002 * (member + 1), len(days))
            columns[f"f{family}m{member}"] = bets[:, family] + noise
    names = list(columns)
    rng.shuffle(names)
    corr = clustered_correlation(pd.DataFrame({n: columns[n] for n in names}, index=days))
    order = [name[:2] for name in corr.columns]
    blocks = [k for i, k in enumerate(order) if i == 0 or order[i - 1] != k]
    assert sorted(blocks) == ["f0", "f1", "f2"]  # each family appears as one run
    assert np.allclose(np.diag(corr.to_numpy()), 1.0) and (corr.index == corr.columns).all()
    flat = clustered_correlation(pd.DataFrame({"a": columns["f0m0"], "cash": 0.0}, index=days))
    assert list(flat.columns) == ["a"]  # a variant that never moves has no correlation


def test_monthly_grid_newest_first_and_compounded():
    days = pd.bdate_range("2023-11-01", "2024-02-29")
    r = pd.Series(0.001, index=days)
    grid = monthly_grid(r)
    assert list(grid.index) == [2024, 2023]
    nov = (days.year == 2023) & (days.month == 11)
    assert grid.loc[2023, 11] == pytest.approx(1.001 ** nov.sum() - 1)
    assert np.isnan(grid.loc[2023, 1]) and np.isnan(grid.loc[2024, 3])


def test_comparison_shows_trades_relative_risk_and_time_panels(tmp_path):
    from reports._render import number
    from reports.compare import RELATIVE_COLUMNS, write_comparison

    dirs = [run_backtest(RunConfig(strategy="relative_momentum", params={"lookback": lb},
                                   start="2018-01-02", end="2021-12-31")).save(tmp_path)
            for lb in (42, 126, 252)]
    html = write_comparison(dirs, tmp_path / "cmp").read_text()
    table = html[html.index('<table id="relative"'):]
    table = table[:table.index("</table>")]
    for d in dirs:
        m = json.loads((d / "metrics.json").read_text())
        row = table[table.index(f'data-of="{d.name}"'):]
        row = row[:row.index("</tr>")]
        for _, key, fmt in RELATIVE_COLUMNS:
            assert f">{number(m[key], fmt)}</td>" in row, key
    for div in ('id="monthly-heatmap"', 'id="correlation"', 'id="holdings"'):
        assert div in html
    twins = ["twin" in (d / "returns.csv").read_text().splitlines()[0] for d in dirs]
    assert ("TE vs twin" in html) == any(twins)  # the twin's columns only where there is a twin
    again = write_comparison(dirs, tmp_path / "cmp2").read_text()
    assert again == html  # the same runs give the same page
