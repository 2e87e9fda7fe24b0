"""Warm Dask workers: import what a backtest needs before the first variant arrives.

A Dask worker is a fresh process: the first variant it gets would otherwise pay for importing
pandas, backtrader, the strategies and the runner, and for the NYSE session table,
while the process pool's forked workers inherit all of it from the driver. The sweep registers
:class:`WarmWorker` with its client, so every worker - those already connected and any that
join later, on this machine or another - runs :func:`warm` once when it starts. For workers
started by hand, ``dask worker --preload engine.dask_warm tcp://HOST:8786`` does the same.
"""

from __future__ import annotations

from distributed import Worker
from distributed.diagnostics.plugin import WorkerPlugin


def warm() -> None:
    """Import the engine and the built-in strategies and load the NYSE session table."""
    import engine.runner  # noqa: F401 - pandas, backtrader, the runner, the data layer
    from core.calendar import nyse_sessions
    from strategies import all_strategies

    all_strategies(include_unlisted=True)
    nyse_sessions("2000-01-03", "2000-01-03")


class WarmWorker(WorkerPlugin):
    """Runs :func:`warm` on each worker when it starts (and on those already running)."""

    name = "smallcap-warm"
    idempotent = True

    def setup(self, worker: Worker) -> None:  # the plugin interface
        warm()


def dask_setup(worker: Worker) -> None:  # called by `dask worker --preload engine.dask_warm`
    """The ``--preload`` hook of ``dask worker``."""
    warm()
