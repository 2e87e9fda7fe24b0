"""The statistics of a 10,000-variant sweep take forms that scale (issue 29): each is checked
against the form it replaces (the literal loop, the full matrix, arch's own MCS) on data small
enough for both, with the chunk sizes turned down so every block boundary is crossed."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from arch.bootstrap import MCS, optimal_block_length

import research.pbo as pbo
import research.superiority as superiority
import research.trials as trials
from research.bootstrap import BLOCK_LENGTH_COLUMNS, block_length
from research.sharpe import (
    moments_of_columns,
    probabilistic_sharpe,
    probabilistic_sharpes,
    sharpe_moments,
)
from research.superiority import QuickMCS


def _grid(n: int, k: int, seed: int = 1) -> np.ndarray:
    """Daily returns of k variants driven by a few common factors (a grid's look)."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(0, 0.006, (n, 6))
    return factors @ rng.normal(0, 1, (6, k)) * 0.4 + rng.normal(0.0003, 0.004, (n, k))


def test_pbo_in_chunks_of_splits_equals_all_splits_at_once(monkeypatch):
    m = _grid(400, 37)
    whole = pbo.probability_of_backtest_overfitting(m, blocks=8)
    monkeypatch.setattr(pbo, "SPLIT_CELLS", 37 * 5)  # 5 splits a chunk: 70 splits in 14 chunks
    chunked = pbo.probability_of_backtest_overfitting(m, blocks=8)
    assert chunked.to_dict() == whole.to_dict()
    np.testing.assert_array_equal(chunked.oos_sharpe, whole.oos_sharpe)
    assert 0.0 < whole.pbo < 1.0


def _clones_by_loops(r: np.ndarray, ids: list[str], threshold: float) -> tuple[list[int], dict]:
    """The literal definition: each column against every kept one before it, in order."""
    corr = trials.correlation(r)
    kept: list[int] = []
    clones: dict[str, str] = {}
    for j in range(r.shape[1]):
        for i in kept:
            if np.array_equal(r[:, i], r[:, j]):
                clones[ids[j]] = f"clone of {ids[i]} (identical daily returns): one trial"
                break
            if corr[i, j] > threshold:
                clones[ids[j]] = (
                    f"clone of {ids[i]} (correlation {corr[i, j]:.4f} > {threshold}): one trial"
                )
                break
        else:
            kept.append(j)
    return kept, clones


def test_clones_found_block_by_block_are_the_literal_loops(monkeypatch):
    """Identical copies, near copies (correlation > 0.999) and a copy of a copy, spread so that
    originals and copies fall in different blocks of 4 columns."""
    rng = np.random.default_rng(2)
    r = _grid(300, 14)
    near = r[:, 2] + rng.normal(0, 1e-5, 300)
    r = np.column_stack(
        [r, r[:, 1], near, r[:, 9], near, r[:, 1] * 1.0, r[:, 13] + rng.normal(0, 0.01, 300)]
    )
    ids = [f"v{j}" for j in range(r.shape[1])]
    monkeypatch.setattr(trials, "CLONE_BLOCK", 4)
    kept, clones = trials.collapse_clones(r, ids)
    expected = _clones_by_loops(r, ids, trials.CLONE_CORRELATION)
    assert (kept, clones) == expected
    assert clones["v14"].startswith("clone of v1 (identical") and "correlation" in clones["v15"]
    assert len(clones) == 5


def test_effective_trials_from_the_small_side_equal_the_full_matrix():
    """More variants than sessions: the Li-Ji count from the sessions x sessions matrix equals the
    count from the variants x variants one, a constant column counting one trial in both."""
    r = _grid(120, 300)
    r[:, 7] = 0.0
    z = trials.standardised(r)
    full = trials.effective_trials(trials.correlation(r))
    assert trials.effective_trials_of(z) == pytest.approx(full, rel=1e-9)
    assert trials.effective_trials_of(np.delete(z, 7, axis=1)) == pytest.approx(
        full - 1.0, rel=1e-9
    )
    assert 1 < full < 120


def test_clusters_from_condensed_blocks_equal_the_full_matrix(monkeypatch):
    r = _grid(200, 45)
    monkeypatch.setattr(trials, "CLONE_BLOCK", 7)
    for n_clusters in (3, 9):
        full = trials.cluster(trials.correlation(r), n_clusters)
        blocks = trials.cluster_of(trials.standardised(r), n_clusters)
        np.testing.assert_array_equal(blocks.labels, full.labels)
        assert blocks.n == full.n == n_clusters


@pytest.mark.parametrize(("k", "spread"), [(80, 0.005), (150, 0.003), (120, 0.0)])
def test_quick_mcs_keeps_the_set_arch_keeps(k, spread, monkeypatch):
    """T_max from session counts with the early stop: the same set as arch's MCS, and the same
    p-values for every model eliminated before the stop (planted: means spread over ``spread``,
    and none at all)."""
    monkeypatch.setattr(superiority, "FULL_PVALUES_LIMIT", 0)  # the early stop at any size
    rng = np.random.default_rng(k)
    losses = rng.normal(0, 0.01, (900, k)) + np.linspace(0, spread, k)
    args = dict(size=0.1, reps=300, block_size=5, method="max", bootstrap="stationary")
    theirs = MCS(losses, seed=np.random.default_rng(1), **args)
    ours = QuickMCS(losses, seed=np.random.default_rng(1), **args)
    theirs.compute()
    ours.compute()
    assert ours.included == theirs.included
    out = theirs.excluded
    assert ours.excluded == out
    np.testing.assert_allclose(
        ours.pvalues.loc[out, "Pvalue"], theirs.pvalues.loc[out, "Pvalue"], atol=1e-12
    )
    if spread:
        assert 0 < len(out) < k


def test_moments_of_all_columns_equal_one_column_at_a_time():
    x = _grid(250, 9)
    x[:, 4] = 0.0  # no variation: Sharpe 0
    sr, skew, kurt = moments_of_columns(x)
    for j in range(9):
        one = sharpe_moments(x[:, j])
        np.testing.assert_allclose([sr[j], skew[j], kurt[j]], one[:3], rtol=1e-12, equal_nan=True)
    psr = probabilistic_sharpes((sr, skew, kurt), 0.01, 250)
    for j in (0, 3, 8):
        assert psr[j] == pytest.approx(
            probabilistic_sharpe(sr[j], 0.01, 250, skew[j], kurt[j]), rel=1e-12
        )


def test_block_length_of_a_wide_matrix_is_near_the_mean_of_all_columns():
    """Above BLOCK_LENGTH_COLUMNS columns the mean is over an even spread of them: within 5% of
    the mean of all on a grid whose columns' persistence varies smoothly along it."""
    rng = np.random.default_rng(4)
    n, k = 500, BLOCK_LENGTH_COLUMNS * 3
    phi = np.linspace(0.0, 0.6, k)
    shocks = rng.normal(0, 0.01, (n, k))
    x = np.empty((n, k))
    x[0] = shocks[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + shocks[t]
    every = float(np.mean(optimal_block_length(x)["stationary"].to_numpy()))
    assert block_length(x) == pytest.approx(every, rel=0.05)
    small = x[:, :40]
    assert block_length(small) == max(
        1.0, float(np.mean(optimal_block_length(small)["stationary"]))
    )


# ----- the comparison page of a sweep with many variants ---------------------------------------
def _many_variants(root: Path, count: int) -> list:
    """``count`` variants of relative_momentum over a lookback x top_n x absolute grid: one real
    run over the whole bundled history (the longest curves a page draws), saved once, loaded
    under ``count`` folder names (links to it), each with its own parameters, returns (the
    run's plus noise) and Sharpe. Cheap: one backtest."""
    from engine.config import RunConfig
    from engine.results import BacktestResult
    from engine.runner import run_backtest

    base = run_backtest(
        RunConfig(
            strategy="relative_momentum",
            params={"lookback": 63},
            start="2005-01-03",
            end="2024-12-31",
        )
    ).save(root / "base")
    loaded = BacktestResult.load(base, tables=())
    rng = np.random.default_rng(5)
    grid = itertools.product(range(21, 21 + 3 * (count // 6), 3), (1, 2, 3), (False, True))
    runs = []
    for i, (lookback, top_n, absolute) in enumerate(grid):
        folder = root / f"v{i:05d}"
        folder.symlink_to(base)
        noise = rng.normal(0, 0.003, len(loaded.returns))
        params = loaded.config.params.model_copy(
            update={"lookback": lookback, "top_n": top_n, "absolute": absolute}
        )
        config = loaded.config.model_copy(update={"params": params})
        runs.append(
            replace(
                loaded,
                run_dir=folder,
                config=config,
                returns=loaded.returns.assign(strategy=loaded.returns["strategy"] + noise),
                metrics={**loaded.metrics, "sharpe": float(rng.normal(0.5, 0.4))},
            )
        )
    return runs


def test_a_sweeps_page_shows_its_best_rows_under_2_mb(tmp_path):
    """600 variants over 20 years: the page's tables hold the best PAGE_VARIANTS rows and say
    so, the heatmaps cover every variant (every lookback of the grid is a column), the
    statistics are of all 600, and the page (plotly.js shared beside it) stays under 2 MB.
    What grows with the variants is bounded: rows, curves (20) and whiskers (50) are the best
    ones; heatmaps have a cell per parameter pair; PBO a logit per split."""
    from reports.compare import PAGE_VARIANTS, comparison_of, write_comparison
    from research.luck import LuckSettings, luck_from_results

    runs = _many_variants(tmp_path, 600)
    data = comparison_of(runs, "sharpe")
    luck = luck_from_results(data.runs, LuckSettings(reps=20, test_reps=20))
    page = write_comparison([], tmp_path / "runs" / "sweep", luck=luck.to_dict(), data=data)
    html = page.read_text()
    assert '<script src="../plotly.min.js">' in html
    assert page.stat().st_size < 2_000_000
    body = html[html.index('<table id="metrics"') :]
    body = body[: body.index("</table>")]
    assert body.count("<tr data-run=") == PAGE_VARIANTS < 600
    assert f"The best {PAGE_VARIANTS} of 600 variants by sharpe" in html
    assert "600 variants on their common window" in html
    heatmap = html[html.index('id="heatmap0"') :]
    heatmap = heatmap[: heatmap.index("</script>")]
    assert all(f'"{lb}"' in heatmap for lb in range(21, 21 + 3 * 100, 3))
