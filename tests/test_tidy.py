"""Nothing left behind (issue 23): a walk-forward writes only inside its --out, and
`smallcap runs gc` finds the empty folders that killed or failed studies leave."""

from __future__ import annotations

import json
import os

from engine.leftovers import empty_folders


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_walkforward_writes_nothing_outside_its_out(cli, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "elsewhere" / "wf"
    r = cli("walkforward", "--strategy", "relative_momentum", "--grid", "lookback=63,126",
            "--start", "2012-01-03", "--end", "2014-12-31", "--train", "1y", "--test", "6m",
            "--executor", "serial", "--no-report", "--out", str(out), "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["out"] == str(out)
    assert _files(work) == []  # no runs/sweep-* in the current folder
    outside = [p for p in _files(tmp_path) if not p.startswith(("elsewhere", "work"))]
    assert outside == []


def test_runs_gc_finds_empty_and_orphaned_study_folders(cli, tmp_path):
    root = tmp_path / "runs"
    (root / "sweep-demo-20260101T000000Z-abc123").mkdir(parents=True)  # what walk-forwards left
    orphan = root / "sweep-x-20260101T000000Z-def456"
    (orphan / "variants" / ".tmp-v1-1").mkdir(parents=True)
    (orphan / "experiment.json").write_text('{"ids": ["v1"], "name": "x"}\n')
    (orphan / "sweep.csv").write_text("id,status\n")
    kept = root / "sweep-y-20260101T000000Z-0a0b0c"  # a failed variant's error is a result
    kept.mkdir()
    (kept / "sweep.csv").write_text("id,status\nv1,failed\n")
    mine = root / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("a user's file\n")
    assert empty_folders(root) == sorted([root / "sweep-demo-20260101T000000Z-abc123", orphan])
    r = cli("runs", "gc", "--root", str(root), "--yes")
    assert r.code == 0, r.stderr
    assert "sweep-demo-20260101T000000Z-abc123" in r.stdout and "sweep-x-" in r.stdout
    assert sorted(os.listdir(root)) == ["notes", "sweep-y-20260101T000000Z-0a0b0c"]
    assert (mine / "todo.txt").read_text() == "a user's file\n"
