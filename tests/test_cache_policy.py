"""One cache policy (``core.cache``): every disk cache keys its entries by content, library
versions and the project's version, prunes the same way, and lets checkouts share a folder."""

from __future__ import annotations

import os
import re
import time
import tomllib
from pathlib import Path

import pytest

import core.cache as policy
from core.cache import CACHES, DiskCache

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(policy.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _fill_every_cache():
    """Use each derived cache once: a series, the session table, the strategy listing."""
    from cli import listing
    from core import calendar
    from engine.data.files import bundled_source

    calendar._days.cache_clear()
    calendar.nyse_sessions("2024-01-02", "2024-01-31")
    bundled_source().load("SPY")
    listing._cached_docs()


def _refuse_every_build(monkeypatch):
    """From here on, building any entry again fails: only hits succeed."""
    from cli import listing
    from core import calendar
    from engine.data import files

    def refuse(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(calendar, "_build", refuse)
    monkeypatch.setattr(files, "read_series_csv", refuse)
    monkeypatch.setattr(listing, "build_docs", refuse)


def _each_cache_misses() -> list[str]:
    from cli import listing
    from core import calendar
    from engine.data.files import bundled_source

    calendar._days.cache_clear()
    missed = []
    for name, use in (("calendar", lambda: calendar.nyse_sessions("2024-01-02", "2024-01-31")),
                      ("series", lambda: bundled_source().load("SPY")),
                      ("strategies", listing._cached_docs)):
        try:
            use()
        except AssertionError:
            missed.append(name)
    return missed


@pytest.mark.parametrize("library", ["pandas", "numpy"])
def test_a_new_library_version_misses_every_entry(cache_dir, monkeypatch, library):
    from core import calendar

    _fill_every_cache()
    _refuse_every_build(monkeypatch)
    assert _each_cache_misses() == []  # all served from disk
    real = policy.library_version
    monkeypatch.setattr(policy, "library_version",
                        lambda name: real(name) + ("-next" if name == library else ""))
    assert sorted(_each_cache_misses()) == sorted(CACHES) == ["calendar", "series", "strategies"]
    calendar._days.cache_clear()


def test_a_new_project_version_misses_every_entry(cache_dir, monkeypatch):
    from core import calendar

    _fill_every_cache()
    _refuse_every_build(monkeypatch)
    monkeypatch.setattr(policy, "__version__", "9.9.9")
    assert sorted(_each_cache_misses()) == ["calendar", "series", "strategies"]
    calendar._days.cache_clear()


def test_two_checkouts_sharing_a_cache_keep_their_entries(cache_dir):
    cache = DiskCache("test-shared", ".txt")
    ours, theirs = cache.path("code of checkout A"), cache.path("code of checkout B")
    assert ours != theirs
    for path in (ours, theirs, ours, theirs):  # alternate, as two checkouts would
        if cache.read(path, Path.read_text) is None:
            cache.write(path, lambda tmp, p=path: tmp.write_text(p.name))
    assert cache.read(ours, Path.read_text) == ours.name
    assert cache.read(theirs, Path.read_text) == theirs.name
    CACHES.pop("test-shared")


def test_entries_unused_for_long_or_beyond_the_limit_are_pruned(cache_dir):
    cache = DiskCache("test-prune", ".txt", max_age_days=10, max_entries=3)
    paths = [cache.path(str(i)) for i in range(5)]
    cache.folder().mkdir(parents=True)
    for i, path in enumerate(paths):  # last used in this order, the last one 11 days ago
        path.write_text("x")
        when = time.time() - 100 + i if i < 4 else time.time() - 11 * 86_400
        os.utime(path, (when, when))
    cache.prune()
    assert [p.exists() for p in paths] == [False, True, True, True, False]
    old = time.time() - 2 * 86_400
    os.utime(paths[1], (old, old))
    assert cache.read(paths[1], Path.read_text) == "x"  # used again: marked
    assert paths[1].stat().st_mtime > time.time() - 60
    CACHES.pop("test-prune")


def test_an_unwritable_cache_is_skipped_and_a_bad_entry_is_a_miss(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(policy.CACHE_ENV, str(blocker))
    cache = DiskCache("test-ro", ".txt")
    cache.write(cache.path("a"), lambda tmp: tmp.write_text("x"))  # no error
    assert cache.read(cache.path("a"), Path.read_text) is None
    CACHES.pop("test-ro")


def test_the_project_version_is_the_packaged_one():
    import core
    import engine

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert core.__version__ == engine.__version__ == meta


def test_no_module_keeps_its_own_disk_cache():
    """Only the policy module finds the cache folder for caches; the Yahoo price store
    (downloaded data) and the runs index of a folder the tool does not own (an output page) keep
    their files there too, without keys."""
    users = set()
    for package in ("core", "engine", "strategies", "research", "reports", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            if re.search(r"\buser_cache_dir\(", path.read_text()):
                users.add(str(path.relative_to(ROOT)))
    assert users == {"core/cache.py", "engine/data/yahoo.py", "reports/index.py"}
