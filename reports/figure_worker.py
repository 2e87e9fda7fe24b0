"""A second process that draws a tearsheet's figures while this one computes and draws the rest.

Drawing is most of a tearsheet's time (eleven SVG figures for 25 years), and
quantstats draws them one after the other through pyplot's global state, so threads cannot share
the work. :class:`FigureWorker` forks the process once it has loaded quantstats and matplotlib,
so the worker starts at once with the same libraries, fonts and settings. While
``quantstats.reports.html`` runs, :meth:`FigureWorker.deferring` stands in for the figure
functions: each call writes a marker where its SVG goes, and every other call is drawn by the
worker (the rest here, in order). :meth:`FigureWorker.fill` then puts each SVG in place of its
marker. Figures are drawn by the same functions with the same arguments, so the page is the
same (``tests/test_reports.py`` compares it byte for byte with a page drawn in one process).

The worker is opt-in (``SMALLCAP_FIGURE_WORKER=1``, or ``write_tearsheet(..., parallel=True)``):
on a loaded machine a second process made pages slower, not faster (``bench/tearsheet_speed.py``
measures both ways). Even when asked for, it is used only where a second core can help: in the
main process of a machine with two or more cores, and where ``fork`` exists (not on Windows; a
Dask or pool worker draws in its own process, its siblings already use the cores). A worker that
dies is replaced by drawing its figures here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from io import BytesIO
from typing import Any


def second_core_free() -> bool:
    """Whether a figure worker helps here: two or more cores, ``fork`` available, and this is
    the main process (not a sweep's pool or Dask worker, whose siblings use the other cores)."""
    return ((os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()
            and multiprocessing.parent_process() is None)


#: Environment variable that turns the figure worker on (``1``); off by default.
WORKER_ENV = "SMALLCAP_FIGURE_WORKER"


def asked_for() -> bool:
    """Whether the user turned the worker on (``SMALLCAP_FIGURE_WORKER=1``) and it can help
    here (:func:`second_core_free`)."""
    return os.environ.get(WORKER_ENV, "").strip() == "1" and second_core_free()


def figure_worker(wanted: bool | None = None) -> FigureWorker | contextlib.nullcontext:
    """A :class:`FigureWorker` when ``wanted`` (default: :func:`asked_for`, off unless the
    environment turns it on) and the process can be started; otherwise a null context
    (``as worker`` gives None: draw here)."""
    if not (asked_for() if wanted is None else wanted):
        return contextlib.nullcontext()
    try:
        return FigureWorker()
    except (OSError, AssertionError, RuntimeError):  # no memory to fork; a daemonic process
        return contextlib.nullcontext()


def draw_quantstats_svg(name: str, args: tuple, kwargs: dict[str, Any]) -> str:
    """SVG text of ``quantstats.plots.<name>(*args, **kwargs)``, saved as quantstats saves it."""
    import quantstats as qs

    buf = BytesIO()
    getattr(qs.plots, name)(*args, savefig={"fname": buf, "format": "svg"}, **kwargs)
    return buf.getvalue().decode()


class FigureWorker:
    """One forked drawing process (see the module docstring); use as a context manager."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        self._pool.submit(int).result()  # fork now, before the figure functions are stood in for
        self._figures: dict[str, tuple[str | Future, Any]] = {}

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn, *args) -> Future:
        """Run ``fn(*args)`` in the worker (``fn`` and its arguments must pickle); a dead worker
        gives a future holding ``BrokenProcessPool`` (see :meth:`result`)."""
        try:
            return self._pool.submit(fn, *args)
        except BrokenProcessPool as exc:
            failed: Future = Future()
            failed.set_exception(exc)
            return failed

    @contextlib.contextmanager
    def deferring(self, names: list[str]):
        """For the block, the ``quantstats.plots`` functions ``names`` leave a marker in their SVG
        file and are drawn here or in the worker, alternately; other calls pass through."""
        import quantstats as qs

        originals = {name: getattr(qs.plots, name) for name in names}

        def stand_in(name: str):
            def plot(*args, **kwargs):
                savefig = kwargs.get("savefig")
                if not (isinstance(savefig, dict) and set(savefig) == {"fname", "format"}
                        and savefig["format"] == "svg" and hasattr(savefig["fname"], "write")):
                    return originals[name](*args, **kwargs)
                marker = f"<!--SMALLCAP:FIGURE:{len(self._figures)}-->"
                call = (name, args, {k: v for k, v in kwargs.items() if k != "savefig"})
                here = len(self._figures) % 2 == 0
                self._figures[marker] = (
                    (
                        self._draw_here(originals[name], call)
                        if here
                        else self.submit(draw_quantstats_svg, *call)
                    ),
                    (originals[name], call),
                )
                savefig["fname"].write(marker.encode())
                return None

            return plot

        try:
            for name in names:
                setattr(qs.plots, name, stand_in(name))
            yield
        finally:
            for name, fn in originals.items():
                setattr(qs.plots, name, fn)

    @staticmethod
    def _draw_here(plot, call) -> str:
        name, args, kwargs = call
        buf = BytesIO()
        plot(*args, savefig={"fname": buf, "format": "svg"}, **kwargs)
        return buf.getvalue().decode()

    def result(self, future: Future, redraw) -> Any:
        """``future``'s result; if the worker died, ``redraw()`` here instead."""
        try:
            return future.result()
        except BrokenProcessPool:
            return redraw()

    def fill(self, html: str) -> str:
        """``html`` with each figure's SVG in place of its marker (waiting for the worker's)."""
        for marker, (svg, (plot, call)) in self._figures.items():
            if isinstance(svg, Future):
                svg = self.result(svg, lambda plot=plot, call=call: self._draw_here(plot, call))
            html = html.replace(marker, svg, 1)
        self._figures.clear()
        return html
