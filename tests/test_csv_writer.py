"""The run tables' CSV writer gives exactly ``DataFrame.to_csv``'s bytes: on a real run's tables and
on frames built to hit each case it formats itself (floats, NaN, ints, bools, text) or hands to
pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.csv_writer import csv_text
from engine.runner import run_backtest


def _pandas(frame: pd.DataFrame, index: bool) -> str:
    return frame.to_csv(index=index, lineterminator="\n")


@pytest.fixture(scope="module")
def run():
    return run_backtest(
        RunConfig(
            strategy="relative_momentum",
            start="2008-01-02",
            end="2009-12-31",
            broker={"commission_bps": 5, "slippage_bps": 5},
        )
    )


@pytest.mark.parametrize(
    "name", ["returns", "equity", "trades", "orders", "positions", "decisions"]
)
def test_a_real_runs_tables_are_written_as_pandas_writes_them(run, name):
    frame = getattr(run, name)
    index = name in ("returns", "equity")
    if index:
        frame = frame.set_axis(pd.Index(frame.index.strftime("%Y-%m-%d"), name="date"))
    assert len(frame) > 3
    assert csv_text(frame, index) == _pandas(frame, index)


def test_the_saved_files_are_pandas_bytes(run, tmp_path):
    folder = run.save(tmp_path)
    returns = run.returns[["strategy", "benchmark", "twin"]]
    returns = returns.set_axis(pd.Index(returns.index.strftime("%Y-%m-%d"), name="date"))
    assert (folder / "returns.csv").read_text() == _pandas(returns, True)
    assert (folder / "positions.csv").read_text() == _pandas(run.positions, False)


EDGE_FLOATS = [
    0.0,
    -0.0,
    1e-300,
    5e-324,
    1e22,
    1e16,
    123456789.125,
    0.1 + 0.2,
    -1.5e-7,
    np.inf,
    -np.inf,
    np.nan,
    1.0,
]


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"x": EDGE_FLOATS, "y": list(range(len(EDGE_FLOATS)))}),
    pd.DataFrame({"n": np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64), "b": [True, False, True],
                  "s": ["", "IWM", "a b"]}),
    pd.DataFrame({"s": pd.array(["x", "y"], dtype="string"), "t": ["p", "q"]}),
    pd.DataFrame({"s": ["has,comma", "x"], "v": [1.0, 2.0]}),           # quoted: pandas decides
    pd.DataFrame({"s": ['a "quote"', "x"], "v": [1.0, 2.0]}),
    pd.DataFrame({"s": ["line\nbreak", "x"], "v": [1.0, 2.0]}),
    pd.DataFrame({"s": [None, "x"], "v": [1.0, 2.0]}),                   # missing text
    # a lone empty field is quoted
    pd.DataFrame({"only": [np.nan, 1.0]}),
    pd.DataFrame({"v": [1.0, 2.0], "d": pd.to_datetime(["2020-01-02", "2020-01-03"])}),
    pd.DataFrame({"v": [1.0, 2.0], "c": pd.Categorical(["a", "b"])}),
    pd.DataFrame({"v": [1.0, 2.0], "m": [1, "x"]}),                      # mixed object column
    pd.DataFrame({"v": pd.array([1, None], dtype="Int64"), "w": [1.0, 2.0]}),
    pd.DataFrame({"a,b": [1.0], "c": [2.0]}),                            # a name that needs quotes
    pd.DataFrame({0: [1.0], 1: [2.0]}),                                  # names that are not text
    pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]),                      # duplicate names
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=float)}),
], ids=lambda f: ",".join(map(str, f.columns)) + ":" + ",".join(map(str, f.dtypes)))
@pytest.mark.parametrize("index", [False, True])
def test_edge_frames_match_pandas(frame, index):
    assert csv_text(frame, index) == _pandas(frame, index)


def test_index_names_and_kinds_match_pandas():
    values = pd.DataFrame({"a": [0.5, -0.25], "b": [1, 2]})
    for idx in (pd.Index(["2020-01-02", "2020-01-03"], name="date"), pd.Index(["x", "y"]),
                pd.RangeIndex(2, name="i"), pd.to_datetime(["2020-01-02", "2020-01-03"]),
                pd.Index([1.5, np.nan], name="f")):
        frame = values.set_axis(idx)
        assert csv_text(frame, True) == _pandas(frame, True), idx


def test_the_run_tables_take_the_fast_path(run, monkeypatch):
    """Without this the equalities above would hold by always calling pandas. (``decisions``
    holds texts with commas, JSON weights and reasons: pandas quotes those.)"""
    expected = {
        name: _pandas(getattr(run, name), False) for name in ("trades", "orders", "positions")
    }

    def refuse(*args, **kwargs):
        raise AssertionError("to_csv called")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    for name, text in expected.items():
        assert csv_text(getattr(run, name), False) == text
    with pytest.raises(AssertionError, match="to_csv called"):
        csv_text(pd.DataFrame({"s": ["has,comma", "x"], "v": [1.0, 2.0]}), False)
