"""A time limit on a block of code (``--timeout``): the code that overruns it is stopped by an
exception raised into it, and the block ends in one line naming the limit.

* In the main thread (a backtest from the command line, a process-pool worker) a ``SIGALRM``
  timer raises :class:`OverTime`; a signal also interrupts a ``time.sleep`` or a blocking read.
* In another thread (a Dask worker runs tasks in threads) the exception is raised into that
  thread between two Python instructions (``PyThreadState_SetAsyncExc``); code blocked inside a C
  call is stopped when the call returns.

Either way the exception is raised again every second until the block ends, so user code that
swallows it (``except BaseException: pass``) still stops. :class:`OverTime` derives from
``BaseException``, so ``except Exception`` in a strategy does not catch it.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from core.errors import UserError
from core.user_code import user_frame


class OverTime(BaseException):  # an interruption, like KeyboardInterrupt
    """Raised into code that ran past its time limit."""


def over_time_error(what: str, seconds: float, where: str = "") -> UserError:
    """The one line for ``what`` stopped after ``seconds`` (``where``: the user's line it was
    on)."""
    at = f" at {where}" if where else ""
    return UserError(f"{what} ran past its time limit of {seconds:g} s and was stopped{at}",
                     "raise --timeout, or look for a loop that never ends in the strategy")


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc else None)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: FrameType | None) -> None:  # signal handler signature
        raise OverTime

    before = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@contextmanager
def _async_raise(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    done = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        wait = seconds
        while not done.wait(wait):
            with lock:
                if done.is_set():
                    return
                _raise_in(target, OverTime)
            wait = 1.0

    watcher = threading.Thread(target=watch, name="time-limit", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            _raise_in(target, None)  # one raised but not yet delivered is withdrawn
        watcher.join()


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Stop the block after ``seconds`` (None or 0: no limit) with a :class:`UserError` saying
    ``what`` ran past its time limit."""
    if not seconds:
        yield
        return
    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    try:
        with _alarm(seconds) if main else _async_raise(seconds):
            yield
    except OverTime as exc:
        raise over_time_error(what, seconds, user_frame(exc.__traceback__)) from None
