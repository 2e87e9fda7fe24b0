"""What a command shows while it works, on stderr: a spinner, a bar over variants, or plain lines.

``--progress`` chooses (:data:`ProgressOpt`): ``bar`` (a live bar or spinner; on a terminal),
``plain`` (one line per N finished variants, for batch logs and pipes: a bar on a non-terminal
prints nothing until the end), ``none``, or ``auto`` (the default: ``bar`` on a terminal,
``plain`` otherwise, ``none`` under ``--json``). ``plain:N`` sets N; by default a line per 5% of
the variants (at least one variant). Progress goes to stderr, so ``--json`` on stdout stays one
document whatever the mode.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.options import err
from core.errors import UserError, did_you_mean

if TYPE_CHECKING:
    from engine.sweep import SweepResult, Variant

MODES = ("auto", "bar", "plain", "none")
#: Lines in a plain log of a study whose variant count is known (one per 5%).
PLAIN_LINES = 20
#: A plain line per this many variants when the count is not known beforehand (walk-forward).
PLAIN_EVERY = 10

ProgressOpt = Annotated[str, typer.Option(
    "--progress", help="auto (a bar on a terminal, plain lines otherwise), bar, plain (a line per "
                       "5% of the variants; plain:N a line per N), none")]


@dataclass(frozen=True)
class Progress:
    """A resolved ``--progress``: ``mode`` is bar, plain or none; ``every`` is the N of
    ``plain:N`` (None: a line per 5% of the variants)."""

    mode: str
    every: int | None = None


def progress_mode(choice: str = "auto", quiet: bool = False) -> Progress:
    """``--progress`` resolved for this process: ``auto`` is ``none`` when ``quiet`` (--json),
    else ``bar`` if stderr is a terminal and ``plain`` if not. A mode given by name is kept
    even with --json (it writes to stderr). A bad value is a one-line UserError."""
    name, _, every = choice.strip().lower().partition(":")
    if name not in MODES:
        raise UserError(f"--progress '{choice}' is not a progress mode", did_you_mean(name, MODES))
    if every and (name != "plain" or not every.isdigit() or int(every) < 1):
        raise UserError(f"--progress '{choice}': only plain takes a count, a whole number >= 1",
                        "e.g. --progress plain:100 (a line per 100 variants)")
    if name == "auto":
        name = "none" if quiet else ("bar" if err.is_terminal else "plain")
    return Progress(name, int(every) if every else None)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    if minutes >= 60:
        return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class PlainLines:
    """The ``plain`` mode's callback: a line on stderr per ``every`` finished variants and at the
    last one (done/total, share, failures, elapsed time, estimate of the rest), and a line per
    failure. ``total`` None: the count is not known, the line says how many are done."""

    def __init__(self, title: str, total: int | None, every: int | None = None) -> None:
        self.title, self.total, self.done, self.failed = title, total, 0, 0
        default = max(1, math.ceil(total / PLAIN_LINES)) if total else PLAIN_EVERY
        self.every, self.started = every or default, time.monotonic()

    def __call__(self, row: dict) -> None:
        self.done += 1
        if row.get("status") == "failed":
            self.failed += 1
            err.print(f"variant {row.get('id')} failed: {row.get('error')}", markup=False)
        if self.done % self.every == 0 or self.done == self.total:
            err.print(self.line(), markup=False, highlight=False)

    def line(self) -> str:
        """The progress line as it reads now."""
        spent = time.monotonic() - self.started
        if not self.total:
            return f"{self.title}: {self.done} variants done, {self.failed} failed, {_clock(spent)}"
        left = spent / self.done * (self.total - self.done) if self.done else 0.0
        return (f"{self.title}: {self.done}/{self.total} variants ({self.done / self.total:.0%}), "
                f"{self.failed} failed, {_clock(spent)} elapsed, eta {_clock(left)}")


def busy(what: str, quiet: bool = False) -> AbstractContextManager:
    """A spinner reading ``what`` on stderr while the block runs (nothing when ``quiet``)."""
    return nullcontext() if quiet else err.status(what, spinner="dots")


@contextmanager
def working(what: str, progress: Progress) -> Iterator[Callable[[dict], None]]:
    """Work of unknown length, which may run variants (walk-forward, timing, costs, statistics):
    a spinner reading ``what`` and the variants done so far (``bar``), a line per N variants
    and one when it ends (``plain``; none before work is done, so an error stays one line), or
    nothing (``none``). Yields the callback to give each finished variant's row (ignore it if
    the work runs none)."""
    if progress.mode == "plain":
        lines = PlainLines(what, None, progress.every)
        yield lines
        counts = f"{lines.done} variants, {lines.failed} failed, " if lines.done else ""
        err.print(f"{what}: done ({counts}{_clock(time.monotonic() - lines.started)})",
                  markup=False, highlight=False)
        return
    if progress.mode == "none":
        yield lambda row: None
        return
    count = [0]
    with err.status(what, spinner="dots") as status:
        def tick(row: dict) -> None:
            count[0] += 1
            status.update(f"{what} ({count[0]} variants done)")

        yield tick


@contextmanager
def variant_bar(title: str, total: int, quiet: bool = False,
                progress: Progress | None = None) -> Iterator[Callable[[dict], None]]:
    """Progress over ``total`` variants as ``progress`` says (default: a bar, or nothing when
    ``quiet``). The bar shows elapsed time and an estimate of the rest and disappears when the
    block ends; ``plain`` prints :class:`PlainLines`.

    Yields the callback to give each finished variant's row (``id``, ``status``, ``error``): it
    advances the bar and prints a failure above it.
    """
    progress = progress or Progress("none" if quiet else "bar")
    if progress.mode == "plain":
        yield PlainLines(title, total, progress.every)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    with Bar(*columns, console=err, disable=progress.mode == "none", transient=True) as bar:
        task = bar.add_task(title, total=total)

        def tick(row: dict) -> None:
            bar.advance(task)
            if row["status"] == "failed":
                bar.console.print(f"variant {row['id']} failed: {row['error']}", markup=False)

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
                 progress: Progress | None = None, **options: Any) -> SweepResult:
    """``engine.sweep.run_sweep`` of ``variants`` into ``folder`` under a :func:`variant_bar`
    titled ``title`` (``progress``: the resolved ``--progress``; default a bar, none when
    ``quiet``); ``options`` go to ``run_sweep``. Ctrl-C stops it, says where the finished
    variants are and how to resume, and exits with code 130."""
    from engine.sweep import run_sweep

    try:
        with variant_bar(title, len(variants), quiet, progress) as tick:
            return run_sweep(variants, folder, on_result=tick, on_note=None if quiet else warn,
                             **options)
    except KeyboardInterrupt:
        err.print(f"interrupted: finished variants are in {folder}/sweep.csv; continue with "
                  f"--out {folder} --resume", markup=False)
        raise typer.Exit(130) from None
