"""The one place that reaches into quantstats' private names, and the lock its stand-ins need.

quantstats (pinned: ``quantstats==0.0.86`` in pyproject.toml) offers no hooks, so the equal,
faster stand-ins of ``reports.quicker_qs`` lean on names it does not promise to keep. Each is
listed in :data:`PRIVATE` and reached only through this module:

* ``quantstats._compat.safe_concat`` and ``get_frequency_alias``: its pandas-version shims, used
  so that our stand-ins build exactly the objects quantstats builds;
* ``quantstats._plotting.core.safe_resample``: the resampling its plots call, stood in for;
* ``quantstats.utils._prepare_benchmark``: the benchmark alignment, stood in for.

:func:`missing` names those the installed quantstats lacks; ``tests/test_private_adapters.py``
fails naming this module when the pin moves and one is gone.

The stand-ins take effect by swapping module attributes of quantstats (and pyplot's figures are
process-global too), so :data:`PAGE_LOCK` is held for a whole page: two pages drawn on two
threads of one process (a Dask worker's) take turns instead of undoing each other's swaps.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from types import ModuleType
from typing import Any

#: The quantstats version these names were checked against.
PINNED = "0.0.86"
#: Every private quantstats name this project uses, as ``module:attribute``.
PRIVATE = ("quantstats._compat:safe_concat", "quantstats._compat:get_frequency_alias",
           "quantstats._plotting.core:safe_resample", "quantstats.utils:_prepare_benchmark")

#: Held while a page is drawn (see the module docstring); reentrant.
PAGE_LOCK = threading.RLock()


def _get(name: str) -> Any:
    module, _, attribute = name.partition(":")
    return getattr(import_module(module), attribute)


def missing() -> list[str]:
    """The names of :data:`PRIVATE` the installed quantstats does not have."""
    gone = []
    for name in PRIVATE:
        try:
            _get(name)
        except (ImportError, AttributeError):
            gone.append(name)
    return gone


def safe_concat(*args: Any, **kwargs: Any) -> Any:
    """``quantstats._compat.safe_concat`` (``pd.concat`` with its version shims)."""
    return _get(PRIVATE[0])(*args, **kwargs)


def frequency_alias(freq: str) -> str:
    """``quantstats._compat.get_frequency_alias``: pandas' spelling of quantstats' ``freq``."""
    return _get(PRIVATE[1])(freq)


def plotting_core() -> ModuleType:
    """The module whose ``safe_resample`` quantstats' plots call."""
    return import_module("quantstats._plotting.core")


def benchmark_preparer() -> tuple[ModuleType, str]:
    """Where quantstats keeps its benchmark alignment: (``quantstats.utils``, its name)."""
    module, _, name = PRIVATE[3].partition(":")
    return import_module(module), name


@contextlib.contextmanager
def swapped(replacements: list[tuple[ModuleType, str, Callable[..., Any]]]) -> Iterator[None]:
    """For the block, each ``(module, name, function)`` in place of the module's own, under
    :data:`PAGE_LOCK`; the originals come back however the block ends."""
    with PAGE_LOCK:
        saved = [(module, name, getattr(module, name)) for module, name, _ in replacements]
        try:
            for module, name, function in replacements:
                setattr(module, name, function)
            yield
        finally:
            for module, name, function in saved:
                setattr(module, name, function)
