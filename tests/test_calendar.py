"""The NYSE session table: what exchange-calendars says, cached on disk, rebuilt when stale or
bad."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import core.calendar as calendar


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no table in this process."""
    monkeypatch.setenv("SMALLCAP_CACHE_DIR", str(tmp_path))
    calendar._days.cache_clear()
    yield tmp_path
    calendar._days.cache_clear()


def _library_sessions(start: str, end: str) -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start=calendar.CALENDAR_START)
    return pd.DatetimeIndex(cal.sessions_in_range(start, end).tz_localize(None))


def test_sessions_equal_the_library_and_are_saved(fresh_cache):
    got = calendar.nyse_sessions("1987-10-01", "2025-12-31")
    expected = _library_sessions("1987-10-01", "2025-12-31")
    assert list(got) == list(expected) and got.name == "date"
    # the 9/11 closure
    assert pd.Timestamp("2001-09-11") not in got and pd.Timestamp("2001-09-17") in got
    assert pd.Timestamp("2025-01-09") not in got  # President Carter's day of mourning
    assert os.path.exists(calendar.table_path())
    calendar._days.cache_clear()  # a second process reads the table, the same sessions
    assert list(calendar.nyse_sessions("1987-10-01", "2025-12-31")) == list(expected)
    assert calendar.last_calendar_session() >= pd.Timestamp.now().normalize() + pd.Timedelta(
        days=300
    )


def test_ranges_outside_the_table_and_times_of_day(fresh_cache):
    assert len(calendar.nyse_sessions("2020-03-07", "2020-03-08")) == 0  # a weekend
    assert list(calendar.nyse_sessions("2020-03-06 16:00", "2020-03-09")) == \
        [pd.Timestamp("2020-03-06"), pd.Timestamp("2020-03-09")]
    assert calendar.nyse_sessions("1900-01-01", "1985-01-03")[0] == pd.Timestamp("1985-01-02")
    assert len(calendar.nyse_sessions("2200-01-01", "2201-01-01")) == 0


def test_a_corrupt_or_stale_table_is_rebuilt(fresh_cache, monkeypatch):
    calendar.nyse_sessions("2020-01-01", "2020-12-31")
    path = calendar.table_path()
    good = np.load(path)
    np.save(path, good[::-1].copy())  # out of order: not trusted
    calendar._days.cache_clear()
    assert list(calendar.nyse_sessions("2020-01-01", "2020-01-10")) == list(
        _library_sessions("2020-01-01", "2020-01-10")
    )
    assert (np.load(path) == good).all()
    np.save(path, good[:10])  # a short table, but from last month: a new month builds a new one
    monkeypatch.setattr(calendar, "_month", lambda: "2999-12")
    calendar._days.cache_clear()
    assert len(calendar.nyse_sessions("2020-01-01", "2020-12-31")) == 253
    assert calendar.table_path() != path and (np.load(calendar.table_path()) == good).all()
    path = calendar.table_path()
    with open(path, "wb") as f:
        f.write(b"not numpy")
    calendar._days.cache_clear()
    assert len(calendar.nyse_sessions("2020-01-01", "2020-12-31")) == 253


def test_an_unwritable_cache_still_gives_sessions(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SMALLCAP_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    calendar._days.cache_clear()
    try:
        assert len(calendar.nyse_sessions("2020-01-01", "2020-12-31")) == 253
    finally:
        calendar._days.cache_clear()


def test_a_backtest_process_loads_only_what_it_needs(tmp_path):
    """`smallcap backtest --no-report`: no quantstats, yfinance, plotly, scipy or arch, and with the
    session table cached, no exchange-calendars (together most of its start-up)."""
    env = {**os.environ, "SMALLCAP_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import sys; from cli.app import _run; sys.argv = ['smallcap', 'backtest', "
        "'buy_and_hold', '--start', '2015-01-02', '--end', '2015-06-30', '--no-report', '--out', "
        f"{str(tmp_path / 'runs')!r}]\n_run(None)\nheavy = ('quantstats', 'yfinance', 'plotly', "
        "'scipy', 'arch', 'exchange_calendars', 'matplotlib')\nprint('LOADED:' + ','.join(m for m "
        "in heavy if m in sys.modules))"
    )
    first = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert first.stdout.strip().splitlines()[-1] == "LOADED:exchange_calendars"  # built the table
    assert second.stdout.strip().splitlines()[-1] == "LOADED:"
