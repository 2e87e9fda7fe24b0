"""Full and read-only disks, for real (a tmpfs that fills up, a read-only bind mount, in a
namespace of the test's own): every writer ends in one line, exit 2, and leaves no temporary
file; `runs rm` on a read-only folder says it deleted nothing and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sandbox import namespaces_work, smallcap_in_namespace

from engine.config import RunConfig
from engine.runner import run_backtest

pytestmark = pytest.mark.skipif(
    not namespaces_work(), reason="needs `unshare -rm` (user and mount namespaces)"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    for strategy in ("buy_and_hold", "relative_momentum"):
        run_backtest(RunConfig(strategy=strategy, start="2015-01-02", end="2015-06-30")).save(root)
    return root


def _one_line(o, *needles):
    assert o.code == 2, (o.code, o.stdout, o.stderr)
    assert len(o.lines) == 1 and "Traceback" not in o.stderr, o.stderr
    for n in needles:
        assert n in o.lines[0], (n, o.lines[0])


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if p.name not in (".lock", ".index.lock"))


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_every_page_writer_fails_in_one_line_and_leaves_no_temp_file(tmp_path, runs, how):
    target = tmp_path / "out"
    target.mkdir()
    mounts = {"read_only": [target]} if how == "read-only" else {"small": {target: 64}}
    reason = "Read-only file system" if how == "read-only" else "No space left on device"
    pair = [str(p) for p in sorted(runs.iterdir()) if p.is_dir()]
    o = smallcap_in_namespace(["compare", *pair, "--out", str(target / "cmp")], **mounts)
    _one_line(o, "write", reason)
    o = smallcap_in_namespace(["streaks", "--start", "2015-01-02", "--end", "2015-12-31",
                               "--html", str(target / "streaks.html")], **mounts)
    _one_line(o, "could not write the streaks page", reason)
    assert _hidden(target) == []


def test_a_report_on_a_full_disk_keeps_the_run_and_no_temp_file(tmp_path, runs):
    disk = tmp_path / "disk"
    disk.mkdir()
    run = sorted(p for p in runs.iterdir() if p.is_dir())[0]
    size_kb = sum(f.stat().st_size for f in run.iterdir()) // 1024 + 48
    o = smallcap_in_namespace(["report", str(disk / run.name)], small={disk: size_kb},
                              before=f"cp -r {run} {disk}/ && ls {disk}/{run.name} > /dev/null")
    _one_line(o, "could not write the tearsheet", "No space left on device")


def test_rm_on_a_read_only_folder_deletes_nothing_and_says_so(tmp_path, runs):
    root = tmp_path / "runs"
    shutil.copytree(runs, root)
    name = sorted(p.name for p in root.iterdir() if p.is_dir())[0]
    o = smallcap_in_namespace(["runs", "rm", name, "--root", str(root), "--yes"], read_only=[root])
    _one_line(o, "could not delete 1 of 1", "Read-only file system")
    assert "deleted 0" in o.stdout
    assert (root / name).is_dir()
