"""A user's strategy failing: one line of ours plus the user's own frame; sys.exit() and
KeyboardInterrupt from user code are failures of that code (at run time and at import); a time
limit stops code that never returns; in a sweep each such variant fails alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_one_line_error

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["--start", "2015-01-02", "--end", "2015-06-30", "--no-report"]

BAD = '''
import sys, time
from strategies import register
from strategies.builtin.momentum import RelativeMomentum

@register
class Boom(RelativeMomentum):
    """Relative momentum that fails in its own way, chosen by lookback."""
    name = "boom"
    # a test's strategy: the golden matrices leave out strategies from users' files

    def targets(self):
        if self.cfg.lookback == 21:
            return 1 / 0
        if self.cfg.lookback == 22:
            sys.exit(3)
        if self.cfg.lookback == 23:
            raise KeyboardInterrupt
        if self.cfg.lookback == 24:
            while True:
                pass
        if self.cfg.lookback == 25:
            time.sleep(1000)
        return super().targets()
'''


@pytest.fixture
def bad(tmp_path) -> Path:
    path = tmp_path / "bad.py"
    path.write_text(BAD)
    return path


@pytest.mark.parametrize("lookback, words", [
    (21, ["failed: ZeroDivisionError: division by zero", "line 14, in targets: return 1 / 0"]),
    (22, ["called sys.exit(3)", "line 16, in targets: sys.exit(3)"]),
    (23, ["raised KeyboardInterrupt", "line 18, in targets: raise KeyboardInterrupt"]),
])
def test_a_failing_strategy_is_one_line_with_the_users_own_frame(
    cli, tmp_path, bad, lookback, words
):
    r = cli("backtest", "boom", "--strategy-file", str(bad), "-p", f"lookback={lookback}", *SHORT,
            "--out", str(tmp_path / "runs"))
    assert_one_line_error(r, "strategy 'boom'", str(bad), *words)
    assert "backtrader" not in r.stderr


@pytest.mark.parametrize("lookback, line", [(24, "line 20, in targets: while True:"),
                                            (25, "line 23, in targets: time.sleep(1000)")])
def test_a_backtest_over_its_timeout_stops_in_one_line(cli, tmp_path, bad, lookback, line):
    began = time.monotonic()
    r = cli("backtest", "boom", "--strategy-file", str(bad), "-p", f"lookback={lookback}", *SHORT,
            "--out", str(tmp_path / "runs"), "--timeout", "2")
    assert_one_line_error(r, "ran past its time limit of 2 s", line, "--timeout")
    assert time.monotonic() - began < 60
    assert not (tmp_path / "runs").exists() or not [
        p for p in (tmp_path / "runs").iterdir() if p.name[0] != "."
    ]


@pytest.mark.parametrize("body, words", [("import sys\nsys.exit(0)\n", "sys.exit(0)"),
                                         ("raise KeyboardInterrupt\n", "raised KeyboardInterrupt")])
def test_exit_or_interrupt_at_import_is_one_line(cli, tmp_path, body, words):
    path = tmp_path / "quits.py"
    path.write_text(body)
    r = cli(
        "backtest", "boom", "--strategy-file", str(path), *SHORT, "--out", str(tmp_path / "runs")
    )
    assert_one_line_error(r, "quits.py failed to import", words, "quits.py, line")


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_in_a_sweep_each_failing_variant_fails_alone_and_the_others_finish(
    cli, tmp_path, bad, executor
):
    out = tmp_path / "s"
    r = cli(
        "sweep",
        "--strategy",
        "boom",
        "--strategy-file",
        str(bad),
        "--grid",
        "lookback=21,22,23,24,25,63",
        "--start",
        "2015-01-02",
        "--end",
        "2015-06-30",
        "--no-report",
        "--executor",
        executor,
        "--workers",
        "2",
        "--timeout",
        "3",
        "--out",
        str(out),
        "--json",
    )
    assert r.code == 1, r.stderr
    doc = json.loads(r.stdout)
    errors = sorted(f["error"] for f in doc["failed"])
    assert len(errors) == 5 and len(doc["ranked"]) == 1
    assert sum("ran past its time limit of 3 s" in e for e in errors) == 2
    assert any("called sys.exit(3)" in e for e in errors) and any(
        "raised KeyboardInterrupt" in e for e in errors
    )
    assert any("ZeroDivisionError" in e for e in errors)


def test_workers_are_capped_at_the_variants_with_a_warning_above_the_cores(cli, tmp_path):
    r = cli("sweep", "--strategy", "relative_momentum", "--grid", "lookback=21,63", *SHORT,
            "--workers", "100000", "--out", str(tmp_path / "s"))
    assert r.code == 0, r.stderr
    assert (
        f"--workers 100,000 is more than the {os.cpu_count()} cores" in r.stderr
        and "at most 2 start" in r.stderr
    )


def test_plan_workers():
    from engine.executors import plan_workers

    notes: list[str] = []
    assert plan_workers(None, 3, "process", notes.append) == min(os.cpu_count() or 1, 3)
    assert plan_workers(10_000, 3, "dask", notes.append) == 3 and len(notes) == 1
    # a cluster's own workers
    assert plan_workers(10_000, 3, "dask", notes.append, remote=True) == 10_000
    assert plan_workers(None, 0, "process") == 1


def test_the_cli_default_timeout_is_the_engines():
    from cli.options import VARIANT_TIMEOUT
    from engine.sweep import VARIANT_TIMEOUT as ENGINE

    assert VARIANT_TIMEOUT == ENGINE


SLOW = '''
import time
from strategies import register
from strategies.builtin.momentum import RelativeMomentum

@register
class Slow(RelativeMomentum):
    """Relative momentum that takes its time when lookback is 99 or 98."""
    name = "slow_momentum"
    # a test's strategy: the golden matrices leave out strategies from users' files

    def targets(self):
        if self.cfg.lookback in (98, 99):
            time.sleep(2)
        return super().targets()
'''


def _pool_workers(driver: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == driver and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_sigterm_to_one_pool_worker_fails_only_its_own_variant(tmp_path):
    strategy = tmp_path / "slow.py"
    strategy.write_text(SLOW)
    out = tmp_path / "s"
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.app",
            "sweep",
            "--strategy",
            "slow_momentum",
            "--strategy-file",
            str(strategy),
            "--grid",
            "lookback=98,99",
            *SHORT,
            "--executor",
            "process",
            "--workers",
            "2",
            "--out",
            str(out),
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 90
    markers: list[Path] = []
    while time.time() < deadline and len(markers) < 2:
        time.sleep(0.2)
        markers = list((out / "variants").glob(".running-*")) if (out / "variants").is_dir() else []
    assert len(markers) == 2, "the variants never started"
    victim = int(markers[0].read_text().split()[0])
    victim_variant = markers[0].name.removeprefix(".running-")
    os.kill(victim, signal.SIGTERM)
    stdout, stderr = driver.communicate(timeout=120)
    doc = json.loads(stdout)
    assert [f["id"] for f in doc["failed"]] == [victim_variant], stderr
    assert len(doc["ranked"]) == 1
