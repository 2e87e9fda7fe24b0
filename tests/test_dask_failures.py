"""A Dask sweep that cannot go on ends in one line and keeps what finished: every worker gone
(after a deadline), or the scheduler lost. And a Dask variant over its time limit fails alone
(the limit raised into the worker's thread). A real `dask scheduler` and `dask worker`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_one_line_error

pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
SHORT = ["--start", "2015-01-02", "--end", "2015-06-30", "--no-report"]
SLOW = '''
import time
from strategies import register
from strategies.builtin.momentum import RelativeMomentum

@register
class Slowish(RelativeMomentum):
    """Relative momentum that takes its time when lookback is above 90 (forever above 200)."""
    name = "slowish_momentum"
    # a test's strategy: the golden matrices leave out strategies from users' files

    def targets(self):
        if self.cfg.lookback > 200:
            while True:
                pass
        if self.cfg.lookback > 90:
            time.sleep(3)
        return super().targets()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(argv: list[str], log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    """(address, scheduler, worker): a scheduler and one single-threaded worker without a nanny
    (killed, it stays dead)."""
    from dask.distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = _start(
        [
            str(BIN / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
        ],
        tmp_path / "scheduler.log",
    )
    worker = _start(
        [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
        tmp_path / "worker.log",
    )
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address, scheduler, worker
    finally:
        _kill(worker)
        _kill(scheduler)


def _kill_after_first_row(csv: Path, proc: subprocess.Popen) -> threading.Thread:
    def watch() -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            if csv.exists() and ",done," in csv.read_text():
                _kill(proc)
                return
            time.sleep(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "victim, needle", [("worker", "no Dask worker left"), ("scheduler", "lost the Dask scheduler")]
)
def test_a_dask_sweep_without_workers_or_scheduler_ends_in_one_line(
    cli, tmp_path, monkeypatch, cluster, victim, needle
):
    address, scheduler, worker = cluster
    monkeypatch.setattr("engine.executors.NO_WORKER_SECONDS", 3.0)
    strategy = tmp_path / "slow.py"
    strategy.write_text(SLOW)
    out = tmp_path / "s"
    watcher = _kill_after_first_row(out / "sweep.csv", worker if victim == "worker" else scheduler)
    began = time.monotonic()
    r = cli(
        "sweep",
        "--strategy",
        "slowish_momentum",
        "--strategy-file",
        str(strategy),
        "--grid",
        "lookback=21,91,92,93",
        *SHORT,
        "--executor",
        "dask",
        "--scheduler",
        address,
        "--out",
        str(out),
        "--progress",
        "none",  # plain lines of the variants that finished would come before the error
    )
    watcher.join(5)
    assert_one_line_error(r, needle, "--resume")
    assert time.monotonic() - began < 120
    rows = (out / "sweep.csv").read_text().splitlines()
    assert sum(",done," in row for row in rows) >= 1  # what finished is kept


def test_a_dask_variant_over_its_time_limit_fails_alone(cli, tmp_path, cluster):
    address, _, _ = cluster
    strategy = tmp_path / "slow.py"
    strategy.write_text(SLOW)
    r = cli(
        "sweep",
        "--strategy",
        "slowish_momentum",
        "--strategy-file",
        str(strategy),
        "--grid",
        "lookback=21,201",
        *SHORT,
        "--executor",
        "dask",
        "--scheduler",
        address,
        "--timeout",
        "3",
        "--out",
        str(tmp_path / "s"),
        "--json",
    )
    assert r.code == 1, r.stderr
    import json

    doc = json.loads(r.stdout)
    assert len(doc["ranked"]) == 1 and len(doc["failed"]) == 1
    assert (
        "ran past its time limit of 3 s" in doc["failed"][0]["error"]
        and "while True" in doc["failed"][0]["error"]
    )
