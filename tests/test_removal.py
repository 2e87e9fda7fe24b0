"""`runs rm` / `runs gc` report only what they removed, name what they could not, respect a live
sweep's lock and work without a terminal; zombies count as dead; the runs index is complete when
writers race."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from core.locks import lock_holder, waiting_lock
from core.processes import pid_alive
from engine.config import RunConfig
from engine.results import remove_paths, stale_temp
from engine.runner import run_backtest

SHORT = {"start": "2015-01-02", "end": "2015-03-31"}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One short saved run (copied by the tests that remove it)."""
    root = tmp_path_factory.mktemp("saved")
    return run_backtest(RunConfig(strategy="buy_and_hold", **SHORT)).save(root)


def _copy_run(src: Path, root: Path, name: str) -> Path:
    import shutil

    return Path(shutil.copytree(src, root / name))


def test_a_zombie_is_dead():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.time() + 10
        while (
            time.time() < deadline
            and Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
        ):
            time.sleep(0.05)
        assert not pid_alive(pid)  # ended, not yet collected by its parent (us)
        assert pid_alive(os.getpid())
    finally:
        os.waitpid(pid, 0)
    assert not pid_alive(pid)


def test_a_zombie_workers_marker_is_stale(tmp_path):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        time.sleep(0.3)
        marker = tmp_path / ".running-abc"
        marker.write_text(str(pid))
        assert stale_temp(tmp_path) == [marker]
    finally:
        os.waitpid(pid, 0)


def test_rm_refuses_a_folder_whose_lock_a_live_process_holds(cli, tmp_path, saved):
    root = tmp_path / "runs"
    sweep = root / "sweep-x"
    sweep.mkdir(parents=True)
    (sweep / "experiment.json").write_text('{"ids": [], "name": "x"}')
    run = _copy_run(saved, root, "20250101T000000Z-buy_and_hold-aaaa")
    with open(sweep / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("4242")
        handle.flush()
        r = cli("runs", "rm", "sweep-x", run.name, "--root", str(root), "--yes")
    assert r.code == 2 and "deleted 1" in r.stdout, r.stdout
    assert_one_line_error(r, "could not delete 1 of 2", "sweep-x", "in use by process 4242")
    assert sweep.is_dir() and not run.exists()
    assert lock_holder(sweep) is None  # released: now it can go
    assert (
        cli("runs", "rm", "sweep-x", "--root", str(root), "--yes").code == 0 and not sweep.exists()
    )


def test_removal_counts_only_what_is_gone(tmp_path, monkeypatch):
    import shutil

    gone, stuck = tmp_path / "a", tmp_path / "b"
    gone.mkdir()
    stuck.mkdir()
    (stuck / "f").write_text("x")
    real = shutil.rmtree

    def refuse(path, *a, **kw):  # what a read-only folder does (the CLI trial runs a real one)
        if Path(path) == stuck:
            handler = kw.get("onexc") or kw.get("onerror")
            err = PermissionError(13, "Permission denied")
            handler(
                os.unlink, str(stuck / "f"), err if "onexc" in kw else (PermissionError, err, None)
            )
            return None
        return real(path, *a, **kw)

    monkeypatch.setattr(shutil, "rmtree", refuse)
    done = remove_paths([gone, stuck])
    assert done.removed == [gone] and done.kept == [(stuck, "Permission denied")]


def test_rm_and_gc_without_a_terminal_ask_for_yes(cli, tmp_path, saved):
    root = tmp_path / "runs"
    run = _copy_run(saved, root, "20250101T000000Z-buy_and_hold-bbbb")
    (root / f".tmp-x-{2**22 + 17}").mkdir()
    assert_one_line_error(cli("runs", "rm", run.name, "--root", str(root)), "no terminal", "--yes")
    assert_one_line_error(cli("runs", "gc", "--root", str(root)), "no terminal", "--yes")
    assert run.exists() and (root / f".tmp-x-{2**22 + 17}").exists()


def test_runs_root_that_is_a_file_is_refused(cli, tmp_path):
    (tmp_path / "f").write_text("x")
    assert_one_line_error(cli("runs", "--root", str(tmp_path / "f")), "is a file")


def test_the_index_writer_waits_its_turn_and_lists_what_was_saved_meanwhile(tmp_path, saved):
    from reports.index import write_index

    root = tmp_path / "runs"
    root.mkdir()
    _copy_run(saved, root, "first")
    with waiting_lock(root / ".index.lock"):  # another writer is busy (the lock of the catalog)
        writer = threading.Thread(target=write_index, args=(root,))
        writer.start()
        time.sleep(0.5)
        assert not (root / "index.html").exists() and writer.is_alive()
        _copy_run(saved, root, "second")  # saved while the other writer held the lock
    writer.join(30)
    from engine.catalog_file import NAME, read_catalog

    assert {"first", "second"} <= set(read_catalog(root / NAME)[0])
