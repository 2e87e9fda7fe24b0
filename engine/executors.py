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
import logging
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
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from core.errors import UserError
from core.processes import libc

if TYPE_CHECKING:  # Dask is the optional `distributed` extra, imported where a sweep uses it
    from distributed import Client, Future, as_completed

EXECUTORS = ("serial", "process", "dask")
CONNECT_SECONDS = 15
WORKERS_SECONDS = 30
WORKER_DIED = "worker died: killed or out of memory"
NO_WORKER_SECONDS = 60.0  # a Dask sweep without any worker for this long fails
POLL_SECONDS = 0.2


# ----- process pool -------------------------------------------------------------------------------
def _die_with_parent(parent: int, folder: str | None = None) -> None:
    """Pool-worker initializer: end this worker when the driver process ends; a SIGTERM leaves
    the time it arrived in ``folder/.term-<pid>`` (see :func:`_first_terminated`) and ends it."""
    c = libc() if sys.platform.startswith("linux") else None
    if c is not None:
        with contextlib.suppress(OSError, AttributeError):
            c.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops the pool

    def terminated(signum: int, frame: FrameType | None) -> None:  # signal handler signature
        if folder:
            with contextlib.suppress(OSError):
                Path(folder, f".term-{os.getpid()}").write_text(str(time.time_ns()))
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # then end as terminate() means
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, terminated)

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


def _run_marked(fn: Callable[..., dict], *job: Any) -> dict:
    """Run ``fn(*job)`` in a worker, with a marker file naming the worker while it runs."""
    marker = _running_marker(job)
    marker.write_text(str(os.getpid()))
    try:
        return fn(*job)
    finally:
        marker.unlink(missing_ok=True)


def _first_terminated(folder: Path, processes: dict) -> set[int]:
    """Of pool workers that all ended by SIGTERM, the one terminated first: the one a user (or a
    scheduler) killed; the pool terminates the others only after it saw that one die."""
    stamps = {}
    for pid in processes:
        stamp = folder / f".term-{pid}"
        with contextlib.suppress(OSError, ValueError):
            stamps[pid] = int(stamp.read_text())
        stamp.unlink(missing_ok=True)
    return {min(stamps, key=stamps.__getitem__)} if stamps else set()


def _dead_workers(processes: dict, folder: Path) -> set[int]:
    """Process ids of the pool workers that broke the pool (killed, out of memory, SIGTERM)."""
    killed = {
        pid for pid, proc in processes.items() if proc.exitcode not in (None, 0, -signal.SIGTERM)
    }
    first = _first_terminated(folder, processes)
    return killed or first


def _process_map(fn: Callable[..., dict], jobs: list[tuple], workers: int | None) -> Iterable[dict]:
    pending = list(jobs)
    folder = Path(jobs[0][1]).parent if jobs else Path(".")
    fruitless = 0  # pools in a row that broke with no variant to blame
    while pending:
        pool = ProcessPoolExecutor(
            max_workers=workers or os.cpu_count(),
            initializer=_die_with_parent,
            initargs=(os.getpid(), str(folder)),
        )
        futures = {pool.submit(_run_marked, fn, *job): job for job in pending}
        # to tell, later, which worker died
        processes = dict(getattr(pool, "_processes", None) or {})
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
        dead = _dead_workers(processes, folder)
        running = {job[1]: _marker_pid(job) for job in pending if _running_marker(job).exists()}
        died = [job for job in pending if running.get(job[1]) in dead] if dead else \
            [job for job in pending if job[1] in running]
        for job in pending:
            _running_marker(job).unlink(missing_ok=True)
        # the variants the dead worker was running fail; the rest run on a new pool
        for job in died:
            pending.remove(job)
            yield {"id": Path(job[1]).name, "status": "failed", "error": WORKER_DIED}
        fruitless = 0 if died else fruitless + 1
        if fruitless >= 3:  # a worker that dies before starting anything, again and again
            job = pending.pop(0)
            yield {"id": Path(job[1]).name, "status": "failed", "error": WORKER_DIED}


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (Ctrl-C, SIGTERM)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.kill()


def plan_workers(requested: int | None, variants: int, executor: str,
                 on_note: Callable[[str], None] | None = None, remote: bool = False) -> int | None:
    """How many workers to start: ``requested`` (default: every core) but never more than there
    are ``variants`` to run; more than the cores here is allowed with a note (``on_note``).
    A remote Dask cluster (``remote``) brings its own workers: nothing to plan."""
    if executor == "serial" or remote:
        return requested
    cores = os.cpu_count() or 1
    if requested and requested > cores and on_note:
        on_note(
            f"--workers {requested:,} is more than the {cores} cores here: workers will share them "
            f"(at most {max(min(requested, variants), 1):,} start, one per variant)"
        )
    return max(1, min(requested or cores, variants))


# ----- Dask ---------------------------------------------------------------------------------------
def check_scheduler_address(address: str) -> tuple[str, int]:
    """(host, port) of a ``tcp://host:port`` scheduler address that accepts a connection."""
    url = urlparse(address if "://" in address else f"tcp://{address}")
    if url.scheme not in ("tcp", "tls") or not url.hostname or url.port is None:
        raise UserError(
            f"'{address}' is not a Dask scheduler address",
            "write tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786",
        )
    try:
        with socket.create_connection((url.hostname, url.port), timeout=3):
            pass
    except OSError as exc:
        raise UserError(
            f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}",
            "start one with `dask scheduler` (it listens on 8786), or omit --scheduler for a "
            "local cluster",
        ) from None
    return url.hostname, url.port


def _connect(address: str) -> Client:
    """A Client for ``address`` within :data:`CONNECT_SECONDS`, whatever answers on the port."""
    from dask.distributed import Client

    box: dict = {}

    def connect() -> None:
        try:
            box["client"] = Client(address, timeout=f"{CONNECT_SECONDS}s")
        except BaseException as exc:  # reported in one line below
            box["error"] = exc

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 2)
    if "client" in box:
        return box["client"]
    reason = (
        "no answer"
        if thread.is_alive()
        else f"{type(box['error']).__name__}: {str(box['error'])[:120]}"
    )
    raise UserError(
        f"no Dask scheduler answered at {address} within {CONNECT_SECONDS} s ({reason})",
        "is it the dashboard port (8787)? the scheduler listens on 8786 by default",
    )


def _ignore_sigint() -> bool:
    """Run on local Dask workers: the driver handles Ctrl-C (it reaches the whole process group)
    and closes the cluster; the workers must not each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True


def _dask_map(
    fn: Callable[..., dict], jobs: list[tuple], workers: int | None, scheduler: str | None
) -> Iterable[dict]:
    try:
        from dask.distributed import LocalCluster, as_completed
    except ImportError:
        raise UserError(
            "the dask executor needs dask.distributed",
            "pip install 'smallcap-rotation[distributed]'",
        ) from None
    cluster = None
    for name in ("distributed", "asyncio"):  # their failures reach us as values; on Ctrl-C, closing
        logging.getLogger(name).setLevel(logging.CRITICAL)  # comms leave unretrieved futures
    if scheduler:
        check_scheduler_address(scheduler)
        client = _connect(scheduler)
        try:
            client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except Exception:  # distributed raises TimeoutError or its own
            client.close()
            raise UserError(
                f"no Dask workers joined the scheduler at {scheduler} within {WORKERS_SECONDS} s",
                f"start some with `dask worker {scheduler}`",
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        client = cluster.get_client()
        with contextlib.suppress(Exception):  # best effort: only quiets tracebacks on Ctrl-C
            client.run(_ignore_sigint)
    futures = []
    try:
        from engine.dask_warm import WarmWorker

        client.register_plugin(WarmWorker())  # every worker, and any that joins later, imports once
        futures = [client.submit(fn, *job, pure=False) for job in jobs]
        ids = {fut.key: Path(job[1]).name for fut, job in zip(futures, jobs, strict=True)}
        yield from _collect_dask(
            client, as_completed(futures), ids, scheduler or "the local cluster"
        )
    finally:
        for fut in futures:
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()


class _ClusterWatch:
    """Tells when a Dask sweep cannot go on: the scheduler is lost, or no worker has been left
    for :data:`NO_WORKER_SECONDS` (distributed itself would wait for one forever)."""

    def __init__(self, client: Client, where: str) -> None:
        self.client, self.where = client, where
        self.alone_since: float | None = None  # time.monotonic() when the last worker left

    def lost(self, left: int) -> UserError:
        return UserError(
            f"lost the Dask scheduler at {self.where}; {left} variant(s) not run",
            "finished variants are kept: start the scheduler again and continue with --resume",
        )

    def check(self, left: int) -> None:
        if self.client.status != "running":
            raise self.lost(left)
        try:
            workers = len(self.client.scheduler_info().get("workers", {}))
        except Exception:  # the client is closing under us
            raise self.lost(left) from None
        if workers:
            self.alone_since = None
            return
        self.alone_since = self.alone_since or time.monotonic()
        if time.monotonic() - self.alone_since > NO_WORKER_SECONDS:
            raise UserError(
                f"no Dask worker left at {self.where} for {NO_WORKER_SECONDS:g} s; {left} "
                "variant(s) not run",
                "finished variants are kept: start workers and continue with --resume",
            )


def _dask_row(fut: Future, ids: dict, watch: _ClusterWatch, left: int) -> dict:
    """The row of a finished future; a variant whose workers kept dying fails alone."""
    if fut.status == "finished":
        return fut.result()
    if fut.status == "cancelled" or watch.client.status != "running":
        raise watch.lost(left)
    exc = fut.exception()
    error = WORKER_DIED if type(exc).__name__ == "KilledWorker" else f"{type(exc).__name__}: {exc}"
    return {"id": ids[fut.key], "status": "failed", "error": error}


RECOMPUTED = ("lost", "pending")
"""Statuses of a future that had finished on a worker killed before its row was read: the
scheduler computes it again (``lost``, then ``pending``), so it is waited for once more."""


def _collect_dask(client: Client, pending: as_completed, ids: dict, where: str) -> Iterable[dict]:
    """Rows of the futures in ``pending`` (a ``distributed.as_completed``) as they finish,
    checking the cluster between them (:class:`_ClusterWatch`)."""
    watch = _ClusterWatch(client, where)
    while not pending.is_empty():
        batch = pending.next_batch(block=False) if pending.has_ready() else []
        for fut in batch:
            if fut.status in RECOMPUTED:
                pending.add(fut)  # its worker died before its row was read: it runs again
                continue
            yield _dask_row(fut, ids, watch, pending.count() + 1)
        if not batch:
            watch.check(pending.count())
            time.sleep(POLL_SECONDS)


def executor_map(
    executor: str,
    fn: Callable[..., dict],
    jobs: list[tuple],
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterable[dict]:
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
