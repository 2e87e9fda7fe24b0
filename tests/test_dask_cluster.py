"""A real Dask cluster from its own command lines: `dask scheduler` and two `dask worker`s on
127.0.0.1, in another working directory than the sweep's. One worker is killed mid-sweep; the
sweep still finishes every variant, its sweep.csv is byte for byte the serial sweep's, and its
columnar store (engine.sweep_store, appended by the driver) holds what the serial sweep's holds."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sweep_store import assert_same_store

from engine.sweep_store import open_store

pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
LOOKBACKS = [21, 42, 63, 84, 105, 126, 147, 168, 189, 210, 231, 252, 273, 294]
GRID = ["--strategy", "relative_momentum", "--grid", "lookback=" + ",".join(map(str, LOOKBACKS)),
        "--grid", "top_n=1", "--no-report", "--start", "2003-01-02"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(argv: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        argv, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the nanny and its worker process
    proc.wait(timeout=30)


def _wait_for_workers(address: str, n: int) -> None:
    from dask.distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=60)


@pytest.fixture
def cluster(tmp_path):
    """(address, [worker processes]) of a scheduler and two single-threaded workers."""
    elsewhere = tmp_path / "cluster-cwd"
    elsewhere.mkdir()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"], elsewhere, tmp_path / "scheduler.log")
    workers = [_start([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                       "--no-dashboard", "--name", f"w{i}"], elsewhere, tmp_path / f"worker{i}.log")
               for i in range(2)]
    try:
        _wait_for_workers(address, 2)
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            _kill(proc)


def test_a_sweep_on_a_real_cluster_survives_a_killed_worker(cluster, tmp_path, cli):
    address, workers = cluster
    out = tmp_path / "sweep"  # given as a relative --out: the workers run in another folder
    sweep = subprocess.Popen(
        [
            str(BIN / "smallcap"),
            "sweep",
            *GRID,
            "--executor",
            "dask",
            "--scheduler",
            address,
            "--out",
            "sweep",
            "--json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    done_at_kill = None
    while time.monotonic() < deadline and sweep.poll() is None:
        done = (
            len(list((out / "variants").glob("*/metrics.json")))
            if (out / "variants").exists()
            else 0
        )
        if done >= 3:
            _kill(workers[0])
            done_at_kill = done
            break
        time.sleep(0.05)
    stdout, stderr = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, stderr
    assert done_at_kill is not None and done_at_kill < len(LOOKBACKS), (
        "the worker was not killed mid-sweep"
    )
    assert workers[0].poll() is not None

    serial = tmp_path / "serial"
    r = cli("sweep", *GRID, "--executor", "serial", "--out", str(serial))
    assert r.code == 0, r.stderr
    ours, reference = (out / "sweep.csv").read_bytes(), (serial / "sweep.csv").read_bytes()
    assert ours == reference
    assert ours.count(b",done,") == len(LOOKBACKS)
    # the workers wrote run folders, the driver appended them to the store: the serial sweep's store
    assert_same_store(out, serial)
    assert len(open_store(out, refresh=False).ids) == len(LOOKBACKS)
    # no half-saved folder left
    assert not [p for p in (out / "variants").iterdir() if p.name.startswith(".")]


def test_a_row_lost_with_its_worker_before_it_was_read_is_computed_again(cluster):
    """A variant finished on a worker that is killed before the driver reads its row: the
    scheduler computes it again, and the driver waits for that row rather than reporting the
    variant failed (once seen as "variant ... failed: NoneType: None")."""
    from dask.distributed import Client, as_completed

    from engine.executors import _collect_dask

    def row_slow_on_w1(name: str) -> dict:  # nested: sent by value, the workers import no tests
        import time

        from distributed import get_worker

        if get_worker().name == "w1":
            time.sleep(3)  # the second computation: still running when the driver looks
        return {"id": name, "status": "done"}

    address, workers = cluster
    with Client(address, timeout="30s") as client:
        names = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
        fut = client.submit(row_slow_on_w1, "v1", pure=False, workers=[names["w0"]],
                            allow_other_workers=True)
        fut.result(timeout=60)
        pending = as_completed([fut])
        _kill(workers[0])
        deadline = time.monotonic() + 60
        while fut.status == "finished" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fut.status != "finished", "the scheduler did not notice the killed worker"
        rows = list(_collect_dask(client, pending, {fut.key: "v1"}, address))
    assert rows == [{"id": "v1", "status": "done"}]
