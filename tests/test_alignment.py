"""Total-return adjustment and as-of alignment of index and macro series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv

from core.errors import UserError
from engine.data.market import load_market_data
from engine.data.readers import read_series_csv
from engine.data.sources import csv_dir_source


def test_adjusted_bars_follow_adj_close(bundled):
    md = load_market_data(["IWM"])
    _, raw = read_series_csv(bundled / "etf" / "IWM.csv")
    f = md.prices["IWM"]
    assert np.allclose(f["close"], raw["adj_close"].to_numpy(), rtol=0, atol=0)
    factor = raw["adj_close"] / raw["close"]
    assert np.allclose(f["open"], (raw["open"] * factor).to_numpy(), rtol=1e-12)
    assert np.allclose(f["low"], (raw["low"] * factor).to_numpy(), rtol=1e-12)
    # total return over the whole history equals adj_close's ratio, and beats the price return
    tr = f["close"].iloc[-1] / f["close"].iloc[0]
    assert tr == raw["adj_close"].iloc[-1] / raw["adj_close"].iloc[0]
    assert tr > raw["close"].iloc[-1] / raw["close"].iloc[0]


def _rate_files(tmp_path):
    write_csv(
        tmp_path / "ETF.csv",
        "date,open,high,low,close,adj_close,volume\n"
        + "\n".join(
            f"{d},10,11,9,10,10,100"
            for d in ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05", "2024-07-08"]
        ),
    )
    # published on 07-02 and on 07-04 (NYSE closed; must show from the next session, 07-05)
    write_csv(tmp_path / "RATE.csv", "date,value\n2024-07-02,4.5\n2024-07-04,4.4\n2024-07-08,4.3\n")


def test_macro_value_dated_d_is_invisible_before_d_with_lag_0(tmp_path):
    _rate_files(tmp_path)
    md = load_market_data(["ETF"], ["RATE"], csv_dir_source(tmp_path), macro_lag=0)
    got = md.series["RATE"]
    assert np.isnan(got.loc["2024-07-01"])
    assert got.loc["2024-07-02"] == 4.5 and got.loc["2024-07-03"] == 4.5
    assert got.loc["2024-07-05"] == 4.4 and got.loc["2024-07-08"] == 4.3


def test_macro_value_is_usable_from_the_next_session_by_default(tmp_path):
    """FRED publishes the yield dated D after the equity close of D: usable from session D+1."""
    _rate_files(tmp_path)
    md = load_market_data(["ETF"], ["RATE"], csv_dir_source(tmp_path))
    got = md.series["RATE"]
    assert md.macro_lag == 1
    assert np.isnan(got.loc["2024-07-01"]) and np.isnan(got.loc["2024-07-02"])
    assert got.loc["2024-07-03"] == 4.5  # dated 07-02, published after its close
    assert got.loc["2024-07-05"] == 4.4  # dated on the 07-04 holiday: first session after it
    assert got.loc["2024-07-08"] == 4.4  # dated 07-08: not usable at the close of 07-08


def test_macro_lag_two_sessions(tmp_path):
    _rate_files(tmp_path)
    got = load_market_data(["ETF"], ["RATE"], csv_dir_source(tmp_path), macro_lag=2).series["RATE"]
    assert (
        np.isnan(got.loc["2024-07-03"])
        and got.loc["2024-07-05"] == 4.5
        and got.loc["2024-07-08"] == 4.4
    )


def test_index_levels_are_not_lagged(tmp_path):
    write_csv(tmp_path / "ETF.csv", "date,open,high,low,close,adj_close,volume\n" + "\n".join(
        f"{d},10,11,9,10,10,100" for d in ["2024-07-01", "2024-07-02", "2024-07-03"]))
    write_csv(tmp_path / "LVL.csv", "date,close\n2024-07-01,100\n2024-07-02,101\n2024-07-03,102\n")
    got = load_market_data(["ETF"], ["LVL"], csv_dir_source(tmp_path)).series["LVL"]
    assert list(got) == [100, 101, 102]


@pytest.mark.parametrize("lag", [0, 1])
def test_bundled_dgs2_matches_a_direct_lookup(bundled, lag):
    md = load_market_data(["IWM"], ["DGS2"], macro_lag=lag)
    _, raw = read_series_csv(bundled / "macro" / "DGS2.csv")
    sample = md.sessions[::97]
    for day in sample:
        visible = raw.loc[(raw.index <= day) if lag == 0 else (raw.index < day), "value"]
        assert md.series["DGS2"].loc[day] == visible.iloc[-1]


def test_common_window_starts_at_latest_first_date_and_names_it():
    md = load_market_data(["SPY", "IWM", "QQQ"])
    assert md.limited_by == "IWM"
    assert md.sessions[0] == pd.Timestamp("2000-05-26")
    assert all(len(f) == len(md.sessions) for f in md.prices.values())


def test_an_index_level_is_not_tradable():
    try:
        load_market_data(["RUT"])
    except UserError as exc:
        assert "index series" in str(exc) and "IWM" in exc.hint
    else:
        raise AssertionError("RUT must be rejected as a tradable symbol")
