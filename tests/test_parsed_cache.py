"""Series read and checked once, then served from the user cache: the same frame and report as a
fresh read, and never a stale one (a changed file, rule setting or corrupt entry is read again)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_csv

import engine.data.files as files_module
from core.errors import DataError
from engine.data.catalog import bundled_files
from engine.data.files import CsvFilesSource, bundled_source
from engine.data.parsed_cache import SERIES_CACHE
from engine.data.readers import read_series_csv
from engine.data.validate import validate_series

ROWS = ["date,open,high,low,close,adj_close,volume",
        "2024-01-02,10,11,9,10,10,100", "2024-01-03,10,11,9,10.5,10.5,100",
        "2024-01-04,10.5,11,10,10.8,10.8,100", "2024-01-05,10.8,11,10,10.9,10.9,100"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SMALLCAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / SERIES_CACHE.name


def _refuse_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the CSV was read again")

    monkeypatch.setattr(files_module, "read_series_csv", refuse)


def test_every_bundled_series_comes_back_from_the_cache_exactly_as_read(cache, monkeypatch):
    symbols = sorted(bundled_files())
    fresh = {s: bundled_source().load(s) for s in symbols}
    assert len(list(cache.glob("*.npz"))) == len(symbols)
    _refuse_reading(monkeypatch)
    cached = {s: bundled_source().load(s) for s in symbols}
    for s in symbols:
        path, kind = bundled_files()[s].path, bundled_files()[s].kind
        # the reader itself (only the source's name is refused)
        kind_read, frame = read_series_csv(path, kind)
        direct = frame.drop(columns="_line")
        pd.testing.assert_frame_equal(cached[s].frame, direct, check_exact=True, check_freq=True)
        pd.testing.assert_frame_equal(fresh[s].frame, direct, check_exact=True)
        assert cached[s].report == validate_series(frame, str(path), kind_read) == fresh[s].report
        assert (cached[s].kind, cached[s].sha256, cached[s].origin) == (
            fresh[s].kind,
            fresh[s].sha256,
            fresh[s].origin,
        )


def test_a_changed_file_is_read_again_under_a_new_entry(cache, tmp_path):
    path = write_csv(tmp_path / "data" / "ABC.csv", "\n".join(ROWS) + "\n")
    source = lambda: CsvFilesSource("csv", {"ABC": (path, None)})  # noqa: E731
    assert source().load("ABC").frame["close"].iloc[-1] == 10.9
    write_csv(path, "\n".join([*ROWS[:-1], "2024-01-05,10.8,11,10,10.7,10.7,100"]) + "\n")
    assert source().load("ABC").frame["close"].iloc[-1] == 10.7
    # the old entry stays until pruned (another checkout may still have the old file)
    assert len(list(cache.glob("*.npz"))) == 2


def test_a_rule_setting_is_part_of_the_key(cache, tmp_path, monkeypatch):
    jump = [*ROWS[:-1], "2024-01-05,10.8,20,10,19,19,100"]  # +76% in a session
    path = write_csv(tmp_path / "data" / "ABC.csv", "\n".join(jump) + "\n")
    monkeypatch.setenv("SMALLCAP_MAX_DAILY_MOVE", "0.99")
    assert CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC").frame["close"].iloc[-1] == 19
    monkeypatch.delenv("SMALLCAP_MAX_DAILY_MOVE")
    with pytest.raises(DataError, match="moved"):
        CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC")


def test_bad_files_are_not_cached_and_fail_every_time(cache, tmp_path):
    path = write_csv(
        tmp_path / "data" / "ABC.csv", "\n".join([*ROWS, "2024-01-06,1,1,1,-1,1,1"]) + "\n"
    )
    for _ in range(2):
        with pytest.raises(DataError, match="price <= 0"):
            CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC")
    assert not list(cache.glob("*.npz"))


def test_a_corrupt_entry_is_read_again_from_the_csv(cache, tmp_path):
    path = write_csv(tmp_path / "data" / "ABC.csv", "\n".join(ROWS) + "\n")
    first = CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC")
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    again = CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC")
    pd.testing.assert_frame_equal(again.frame, first.frame, check_exact=True)
    assert again.report == first.report


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("SMALLCAP_CACHE_DIR", str(blocker))
    path = write_csv(tmp_path / "data" / "ABC.csv", "\n".join(ROWS) + "\n")
    assert CsvFilesSource("csv", {"ABC": (path, None)}).load("ABC").frame["close"].iloc[-1] == 10.9


def test_entries_of_files_long_gone_are_removed(cache, tmp_path):
    import os
    import time

    MAX_AGE_DAYS = SERIES_CACHE.max_age_days  # the policy's setting

    old = write_csv(tmp_path / "data" / "OLD.csv", "\n".join(ROWS) + "\n")
    CsvFilesSource("csv", {"OLD": (old, None)}).load("OLD")
    (entry,) = cache.glob("*.npz")
    long_ago = time.time() - (MAX_AGE_DAYS + 1) * 86_400
    os.utime(entry, (long_ago, long_ago))
    new = write_csv(tmp_path / "data" / "NEW.csv", "\n".join(ROWS) + "\n")
    CsvFilesSource("csv", {"NEW": (new, None)}).load("NEW")
    assert entry not in list(cache.glob("*.npz")) and len(list(cache.glob("*.npz"))) == 1
