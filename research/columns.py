"""Column-wise helpers for the sessions x variants matrices of the statistics: which columns hold
the same series, and standardised columns, without copies of the whole matrix (a 1,000-variant
sweep over 5,000 sessions is 40 MB a copy; fresh pages for each cost more than the arithmetic).
"""

from __future__ import annotations

import numpy as np

#: Cells (sessions x columns) a column-wise step works on at once: temporaries of ~2 MB, which
#: the allocator reuses, instead of fresh pages for a copy of the whole matrix each step.
COLUMN_CELLS = 250_000


def column_step(rows: int) -> int:
    """Columns per block so that a block of ``rows`` sessions holds about :data:`COLUMN_CELLS`."""
    return max(1, COLUMN_CELLS // max(rows, 1))


def columns_of(matrix: np.ndarray, chosen: list[int]) -> np.ndarray:
    """The columns ``chosen`` of ``matrix`` (sessions x columns): the matrix itself when all are
    chosen in order, a read-only view when every column is one series broadcast (stride 0),
    else a copy."""
    if chosen == list(range(matrix.shape[1])):
        return matrix
    if matrix.strides[1] == 0:
        return np.broadcast_to(matrix[:, :1], (matrix.shape[0], len(chosen)))
    return matrix[:, chosen]


def distinct_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the first column of each distinct series, ascending; each column's series number, in
    order of first appearance). Columns are the same series when equal value for value (-0.0
    and 0.0 alike), as ``np.unique(matrix.T, axis=0)`` groups them, found by their bytes in one
    pass instead of a sort of the whole matrix."""
    m = np.asarray(matrix, dtype=float)
    seen: dict[bytes, int] = {}
    first: list[int] = []
    group = np.empty(m.shape[1], dtype=int)
    for j in range(m.shape[1]):
        key = (m[:, j] + 0.0).tobytes()  # + 0.0: -0.0 becomes 0.0
        number = seen.setdefault(key, len(seen))
        if number == len(first):
            first.append(j)
        group[j] = number
    return np.asarray(first, dtype=int), group


def standardised(returns: np.ndarray) -> np.ndarray:
    """Each column minus its mean over its (population) standard deviation; 0 for a constant
    column. ``z.T @ z / n`` is the correlation matrix."""
    r = np.asarray(returns, dtype=float)
    z = np.empty(r.shape, order="F")
    step = column_step(r.shape[0])
    for j in range(0, r.shape[1], step):
        block = np.asfortranarray(r[:, j : j + step])  # rounding independent of the layout
        sd = block.std(axis=0)
        out = z[:, j : j + step]
        np.subtract(block, block.mean(axis=0), out=out)
        out /= np.where(sd > 0, sd, 1.0)  # a constant column is already 0 less its mean
    return z
