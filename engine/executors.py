"""Where a sweep's variants run: serially, on a process pool, or on Dask. Each yields finished rows.

Failure handling, so a sweep never hangs, leaves no orphaned worker, and loses no finished work:

* **Process pool** (spawn-free ``fork`` workers on Linux): every worker asks the kernel to kill it
  when its driver dies (``PR_SET_PDEATHSIG``) and also watches its parent, so ``kill -9`` of the
  driver leaves no worker behind. A worker that dies (killed, out of memory) breaks the pool: the
  variants it was running fail with "worker died: killed or out of memory", and a new pool runs
  the ones not started yet.
* **Dask**: the scheduler address is checked first (``tcp://host:port``), connecting has a
  deadline whatever answers on the port, and a scheduler without workers is a one-line error.
  Workers are warmed (``engine.dask_warm``) before the variants are sent. A worker that dies
  mid-sweep (killed, out of memory, its machine gone) loses only the variants it was running:
  the scheduler sends them to the workers left, and a variant already saved is never redone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from urllib.parse import urlparse

from core.errors import UserError
from core.processes import libc

EXECUTORS = ("serial", "process", "dask")
CONNECT_SECONDS = 15
WORKERS_SECONDS = 30
WORKER_DIED = "worker died: killed or out of memory"


# ----- process pool ---------------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """Pool-worker initializer: end this worker when the driver process ends."""
    c = libc() if sys.platform.startswith("linux") else None
    if c is not None:
        with contextlib.suppress(OSError, AttributeError):
            c.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the driver's handler: terminate() must end us

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _running_marker(job: tuple) -> Path:
    return Path(job[1]).parent / f".running-{Path(job[1]).name}"


def _marker_pid(job: tuple) -> int | None:
    try:
        return int(_running_marker(job).read_text().strip())
    except (OSError, ValueError):
        return None


def _run_marked(fn: Callable[..., dict], *job) -> dict:
    """Run ``fn(*job)`` in a worker, with a marker file naming the worker while it runs."""
    marker = _running_marker(job)
    marker.write_text(str(os.getpid()))
    try:
        return fn(*job)
    finally:
        marker.unlink(missing_ok=True)


def _process_map(fn: Callable[..., dict], jobs: list[tuple], workers: int | None) -> Iterable[dict]:
    pending = list(jobs)
    while pending:
        pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count(), initializer=_die_with_parent,
                                   initargs=(os.getpid(),))
        futures = {pool.submit(_run_marked, fn, *job): job for job in pending}
        processes = dict(getattr(pool, "_processes", None) or {})  # to tell, later, which worker died
        broken = False
        try:
            for fut in futures_completed(futures):
                try:
                    row = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                pending.remove(futures[fut])
                yield row
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)
        if not broken:
            return
        killed = {pid for pid, proc in processes.items() if proc.exitcode not in (None, 0, -signal.SIGTERM)}
        running = {job[1]: _marker_pid(job) for job in pending if _running_marker(job).exists()}
        died = [job for job in pending if running.get(job[1]) in killed] if killed else \
            [job for job in pending if job[1] in running]
        for job in pending:
            _running_marker(job).unlink(missing_ok=True)
        for job in died:  # the variants the dead worker was running fail; the rest run on a new pool
            pending.remove(job)
            yield {"id": Path(job[1]).name, "status": "failed", "error": WORKER_DIED}
        if not died:  # nothing was marked running (it died before starting one): fail one to make progress
            job = pending.pop(0)
            yield {"id": Path(job[1]).name, "status": "failed", "error": WORKER_DIED}


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (Ctrl-C, SIGTERM)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()


# ----- Dask -----------------------------------------------------------------------------------------
def check_scheduler_address(address: str) -> tuple[str, int]:
    """(host, port) of a ``tcp://host:port`` scheduler address that accepts a connection."""
    url = urlparse(address if "://" in address else f"tcp://{address}")
    if url.scheme not in ("tcp", "tls") or not url.hostname or url.port is None:
        raise UserError(f"'{address}' is not a Dask scheduler address", "write tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")
    try:
        with socket.create_connection((url.hostname, url.port), timeout=3):
            pass
    except OSError as exc:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}",
                        "start one with `dask scheduler` (it listens on 8786), or omit --scheduler for a local cluster") from None
    return url.hostname, url.port


def _connect(address: str):
    """A Client for ``address`` within :data:`CONNECT_SECONDS`, whatever answers on the port."""
    from dask.distributed import Client

    box: dict = {}

    def connect() -> None:
        try:
            box["client"] = Client(address, timeout=f"{CONNECT_SECONDS}s")
        except BaseException as exc:  # noqa: BLE001 - reported in one line below
            box["error"] = exc

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 2)
    if "client" in box:
        return box["client"]
    reason = "no answer" if thread.is_alive() else f"{type(box['error']).__name__}: {str(box['error'])[:120]}"
    raise UserError(f"no Dask scheduler answered at {address} within {CONNECT_SECONDS} s ({reason})",
                    "is it the dashboard port (8787)? the scheduler listens on 8786 by default")


def _ignore_sigint() -> bool:
    """Run on local Dask workers: the driver handles Ctrl-C (it reaches the whole process group)
    and closes the cluster; the workers must not each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True


def _dask_map(fn: Callable[..., dict], jobs: list[tuple], workers: int | None, scheduler: str | None) -> Iterable[dict]:
    try:
        from dask.distributed import LocalCluster, as_completed
    except ImportError:
        raise UserError("the dask executor needs dask.distributed", "pip install 'smallcap-rotation[distributed]'") from None
    cluster = None
    if scheduler:
        check_scheduler_address(scheduler)
        client = _connect(scheduler)
        try:
            client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except Exception:  # noqa: BLE001 - distributed raises TimeoutError or its own
            client.close()
            raise UserError(f"no Dask workers joined the scheduler at {scheduler} within {WORKERS_SECONDS} s",
                            f"start some with `dask worker {scheduler}`") from None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = cluster.get_client()
        with contextlib.suppress(Exception):  # best effort: only quiets tracebacks on Ctrl-C
            client.run(_ignore_sigint)
    futures = []
    try:
        from engine.dask_warm import WarmWorker

        client.register_plugin(WarmWorker())  # every worker, and any that joins later, imports once
        futures = [client.submit(fn, *job, pure=False) for job in jobs]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        for fut in futures:
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()


def executor_map(executor: str, fn: Callable[..., dict], jobs: list[tuple], workers: int | None = None,
                 scheduler: str | None = None) -> Iterable[dict]:
    """Run ``fn(*job)`` for every job on ``executor``; yield each finished row as it arrives."""
    if executor == "serial":
        for job in jobs:
            yield fn(*job)
    elif executor == "process":
        yield from _process_map(fn, jobs, workers)
    elif executor == "dask":
        yield from _dask_map(fn, jobs, workers, scheduler)
    else:
        raise UserError(f"unknown executor '{executor}'", f"use one of: {', '.join(EXECUTORS)}")
