"""The column-wise helpers of the statistics (research.columns) against the plain numpy forms they
replace, with blocks made small so that every helper works over several of them."""

from __future__ import annotations

import numpy as np
import pytest

from research import columns
from research.columns import distinct_columns, standardised
from research.sharpe import moments_of_columns, sharpe_moments


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(columns, "COLUMN_CELLS", 3 * 300)  # three columns of 300 sessions a block


def _matrix() -> np.ndarray:
    rng = np.random.default_rng(5)
    m = rng.normal(0.0004, 0.01, (300, 10))
    m[:, 3] = m[:, 0]  # a copy
    m[:, 7] = m[:, 0]
    m[:, 5] = 0.0
    m[:, 8] = -0.0  # the same series as column 5
    m[:, 9] = 0.25  # constant, not zero (exactly: its mean is 0.25 to the last bit)
    return m


def test_distinct_columns_group_as_numpys_unique(small_blocks):
    m = _matrix()
    first, group = distinct_columns(m)
    _, their_first, their_group = np.unique(m.T, axis=0, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(first, np.sort(their_first))
    # the same partition of the columns (numbers may differ)
    same = group[:, None] == group[None, :]
    their_same = their_group.reshape(-1)[:, None] == their_group.reshape(-1)[None, :]
    np.testing.assert_array_equal(same, their_same)
    assert group[8] == group[5] and group[3] == group[7] == group[0]
    assert first.tolist() == [0, 1, 2, 4, 5, 6, 9]


def test_standardised_columns_in_blocks_equal_the_whole_matrix_form(small_blocks):
    m = _matrix()
    z = standardised(m)
    sd = m.std(axis=0)
    expected = np.where(sd > 0, (m - m.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    assert not z[:, 5].any() and not z[:, 9].any()  # constant columns: 0, not NaN


def test_moments_in_blocks_equal_one_column_at_a_time(small_blocks):
    m = _matrix()[:, [0, 1, 2, 4, 6]]
    sr, skew, kurt = moments_of_columns(m)
    for j in range(m.shape[1]):
        one = sharpe_moments(m[:, j])
        np.testing.assert_allclose([sr[j], skew[j], kurt[j]], one[:3], rtol=1e-10)
