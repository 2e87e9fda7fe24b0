"""What a command shows while it works, on stderr: a spinner, or a bar over variants.

Both stay silent under ``--json`` (stdout then carries one JSON document and nothing else).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.options import err

if TYPE_CHECKING:
    from engine.sweep import SweepResult, Variant


def busy(what: str, quiet: bool = False) -> AbstractContextManager:
    """A spinner reading ``what`` on stderr while the block runs (nothing when ``quiet``)."""
    return nullcontext() if quiet else err.status(what, spinner="dots")


@contextmanager
def variant_bar(title: str, total: int, quiet: bool = False) -> Iterator[Callable[[dict], None]]:
    """A progress bar over ``total`` variants, with elapsed time and an estimate of the rest.

    Yields the callback to give each finished variant's row (``id``, ``status``, ``error``):
    it advances the bar and prints a failure above it. The bar disappears when the block ends.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    with Progress(*columns, console=err, disable=quiet, transient=True) as progress:
        task = progress.add_task(title, total=total)

        def tick(row: dict) -> None:
            progress.advance(task)
            if row["status"] == "failed":
                progress.console.print(f"variant {row['id']} failed: {row['error']}", markup=False)

        yield tick


def say(text: str | None, quiet: bool = False) -> None:
    """Print ``text`` on stderr as it is (a note about the work to come), unless ``quiet`` (JSON
    output) or there is nothing to say."""
    if text and not quiet:
        err.print(text, markup=False)


def warn(text: str) -> None:
    """Print a warning line on stderr (above a bar or spinner, if one runs)."""
    err.print(f"warning: {text}", markup=False, highlight=False)


def run_variants(variants: list[Variant], folder: Path, title: str, quiet: bool = False,
                 **options: Any) -> SweepResult:
    """``engine.sweep.run_sweep`` of ``variants`` into ``folder`` under a :func:`variant_bar`
    titled ``title``; ``options`` go to ``run_sweep``. Ctrl-C stops it, says where the finished
    variants are and how to resume, and exits with code 130."""
    from engine.sweep import run_sweep

    try:
        with variant_bar(title, len(variants), quiet) as tick:
            return run_sweep(
                variants, folder, on_result=tick, on_note=None if quiet else warn, **options
            )
    except KeyboardInterrupt:
        err.print(
            f"interrupted: finished variants are in {folder}/sweep.csv; continue with --out "
            f"{folder} --resume",
            markup=False,
        )
        raise typer.Exit(130) from None
