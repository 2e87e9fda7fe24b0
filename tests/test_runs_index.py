"""The incremental runs index (issue 29): a backtest appends its row to the folder's catalog
without listing the folder; the catalog and the page stay right after `runs rm`, `runs gc`, a
folder deleted by hand, a writer killed mid-line or before recording, and a lost catalog."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM, needs_browser

import reports.index as index_module
from engine.catalog_file import HEADER, NAME, read_catalog
from engine.config import RunConfig
from engine.runner import run_backtest
from reports.index import record, refresh_index, write_index

SHORT = {"start": "2015-01-02", "end": "2015-03-31"}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """One short saved run with a tearsheet-less folder (copied under new names by the tests)."""
    root = tmp_path_factory.mktemp("saved")
    return run_backtest(RunConfig(strategy="buy_and_hold", **SHORT)).save(root)


def _runs(saved: Path, root: Path, n: int, prefix: str = "2025") -> list[Path]:
    return [Path(shutil.copytree(saved, root / f"{prefix}0101T{i:06d}Z-buy_and_hold-x"))
            for i in range(n)]


def _entries(root: Path) -> dict:
    read = read_catalog(root / NAME)
    assert read is not None
    return read[0]


class FolderReads:
    """Counts every listing of a folder (``os.scandir``, ``os.listdir``: what ``Path.iterdir``,
    ``glob`` and ``rglob`` use underneath) of ``root`` or a folder below it."""

    def __init__(self, monkeypatch, root: Path) -> None:
        self.root, self.calls = str(root.resolve()), []
        for name in ("scandir", "listdir"):
            real = getattr(os, name)
            monkeypatch.setattr(os, name, self._spy(real))

    def _spy(self, real):
        def spy(path=".", *args, **kwargs):
            where = os.path.abspath(os.fspath(path)) if not isinstance(path, int) else ""
            if where == self.root or where.startswith(self.root + os.sep):
                self.calls.append(where)
            return real(path, *args, **kwargs)
        return spy


@pytest.mark.parametrize("saved_runs", [10, 60])
def test_a_backtest_adds_its_row_without_listing_or_reading_the_folder(saved, tmp_path, monkeypatch,
                                                                      saved_runs):
    root = tmp_path / "runs"
    _runs(saved, root, saved_runs)
    write_index(root)
    before = (root / NAME).read_bytes()
    new = Path(shutil.copytree(saved, root / "20260101T000000Z-buy_and_hold-new"))

    def no_full_read(*args, **kwargs):
        raise AssertionError("the update read the whole catalog")

    monkeypatch.setattr(index_module, "read_catalog", no_full_read)
    monkeypatch.setattr(index_module, "saved_runs", no_full_read)
    reads = FolderReads(monkeypatch, root)
    page = record(root, [new])
    assert reads.calls == []
    after = (root / NAME).read_bytes()
    assert after.startswith(before) and after[len(before):].count(b"\n") == 1  # one line appended
    monkeypatch.undo()
    entries = _entries(root)
    assert len(entries) == saved_runs + 1 and entries[new.name]["strategy"] == "buy_and_hold"
    assert page == root / "index.html" and f'src="{NAME}"' in page.read_text()


def test_a_missing_or_foreign_catalog_is_rebuilt_by_the_next_backtest(saved, tmp_path):
    root = tmp_path / "runs"
    first = _runs(saved, root, 3)
    record(root, [first[0]])  # no catalog yet: rebuilt from the folder
    assert set(_entries(root)) == {r.name for r in first}
    (root / NAME).write_text("not a catalog\n")
    new = Path(shutil.copytree(saved, root / "20260101T000000Z-buy_and_hold-new"))
    record(root, [new])
    assert set(_entries(root)) == {r.name for r in first} | {new.name}


def test_a_line_torn_by_a_killed_writer_is_cut_and_the_next_entry_lands_whole(saved, tmp_path):
    root = tmp_path / "runs"
    first = _runs(saved, root, 2)
    write_index(root)
    with open(root / NAME, "a") as handle:  # the writer was killed in the middle of its line
        handle.write('entry({"path":"2025-half-writ')
    assert set(_entries(root)) == {r.name for r in first}  # readers skip the torn line
    new = Path(shutil.copytree(saved, root / "20260101T000000Z-buy_and_hold-new"))
    record(root, [new])
    text = (root / NAME).read_text()
    assert "half-writ" not in text and text.startswith(HEADER) and text.endswith(");\n")
    assert read_catalog(root / NAME)[1] == 0
    assert set(_entries(root)) == {r.name for r in first} | {new.name}


def test_a_run_saved_but_not_recorded_and_a_folder_deleted_by_hand_are_caught(cli, saved, tmp_path):
    root = tmp_path / "runs"
    first = _runs(saved, root, 3)
    write_index(root)
    shutil.rmtree(first[0])  # deleted by hand
    late = Path(shutil.copytree(saved, root / "20260101T000000Z-buy_and_hold-late"))  # killed
    r = cli("runs", "--root", str(root), "--json")
    assert r.code == 0, r.stderr
    assert set(_entries(root)) == {first[1].name, first[2].name, late.name}
    assert first[0].name not in r.stdout and late.name in r.stdout


def test_runs_rm_and_gc_keep_the_catalog_in_step(cli, saved, tmp_path):
    root = tmp_path / "runs"
    first = _runs(saved, root, 3)
    record(root, [])
    page = root / "sweep-x" / "comparison.html"
    page.parent.mkdir()
    page.write_text('<meta name="generator" content="smallcap-rotation comparison">'
                    "<title>S</title>")
    record(root, [page])
    assert "sweep-x/comparison.html" in _entries(root)
    assert cli("runs", "rm", first[0].name, "sweep-x", "--root", str(root), "--yes").code == 0
    assert set(_entries(root)) == {first[1].name, first[2].name}
    (root / "sweep-empty" / "variants").mkdir(parents=True)  # gc's kind of leftover
    (root / f".tmp-x-{2**22 + 17}").mkdir()
    r = cli("runs", "gc", "--root", str(root), "--yes")
    assert r.code == 0 and not (root / "sweep-empty").exists(), r.stderr
    assert set(_entries(root)) == {first[1].name, first[2].name}
    assert (root / "index.html").exists()


def test_runs_index_rebuild_finds_what_the_catalog_never_heard_of(cli, saved, tmp_path):
    root = tmp_path / "runs"
    _runs(saved, root, 2)
    record(root, [])
    nested = root / "wf" / "oos"
    nested.mkdir(parents=True)
    shutil.copytree(saved, nested / "walkforward-oos")
    assert "wf/oos/walkforward-oos" not in refresh_index(root)  # the cheap check: top level only
    r = cli("runs", "index", "--root", str(root), "--rebuild", "--json")
    assert r.code == 0, r.stderr
    assert '"runs": 3' in r.stdout and "wf/oos/walkforward-oos" in _entries(root)


def _rendered(page: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        tab = browser.new_page()
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(page.resolve().as_uri())
        seen = tab.evaluate("""() => ({
            runs: [...document.querySelectorAll('#runs tbody tr')].map(tr => tr.dataset.run),
            links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
            summary: document.getElementById('summary').textContent})""")
        browser.close()
    return {**seen, "errors": errors}


@needs_browser
@pytest.mark.browser
def test_the_page_draws_the_catalog_and_says_when_it_cannot_read_it(saved, tmp_path):
    root = tmp_path / "runs"
    first = _runs(saved, root, 2)
    page = record(root, [first[0]])
    seen = _rendered(page)
    assert sorted(seen["runs"]) == sorted(r.name for r in first) and seen["errors"] == []
    assert f"{first[0].name}/" in seen["links"] and seen["summary"].startswith("2 runs, 0 pages")
    with open(root / NAME, "a") as handle:
        handle.write('entry({"path":"torn')
    seen = _rendered(page)
    assert seen["runs"] == [] and "runs index --rebuild" in seen["summary"]


def test_a_tearsheet_written_later_is_linked_from_the_runs_row(cli, tmp_path):
    root = tmp_path / "runs"
    r = cli("backtest", "buy_and_hold", "--start", "2015-01-02", "--end", "2015-03-31",
            "--no-report", "--out", str(root), "--json")
    assert r.code == 0, r.stderr
    (run,) = _entries(root)
    assert _entries(root)[run]["tearsheet"] is False
    assert cli("report", str(root / run)).code == 0
    assert _entries(root)[run]["tearsheet"] is True
