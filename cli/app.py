"""The ``smallcap`` application: assembles the command families and runs them.

Nothing here parses a command's options or prints its results. Each family lives in a module of
its own, registered below with one line: ``cli.backtest_cmds`` (backtest, report, compare,
signal, strategies), ``cli.study_cmds`` (sweep, walkforward, timing), ``cli.event_cmds``
(streaks), ``cli.regime_cmds`` (regimes, attribution), and the groups ``cli.data_cmds`` (``smallcap
data ...``) and ``cli.runs_cmds`` (``smallcap runs ...``). Shared options and consoles are
``cli.options``; parsing ``cli.parse``; what commands call ``cli.glue`` and ``cli.study_glue``;
tables ``cli.present``; spinners and progress bars ``cli.progress``.

This module holds the entry point too: :func:`main` turns user errors into one line and exit
code 2, and keeps start-up fast. Only typer and rich load at import; pandas, backtrader and
quantstats are imported inside the commands that need them (the only function-level imports of
the project, for that reason), and typer builds only the command that is invoked
(:func:`app_for`).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli import backtest_cmds, cost_cmds, event_cmds, regime_cmds, study_cmds
from cli.data_cmds import data_app
from cli.options import err, out
from cli.runs_cmds import runs_app
from core.errors import UserError, escape_controls
from engine import __version__

try:  # typer >= 0.20 vendors click as typer._click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer with click as a dependency
    from click import exceptions as click_exceptions

_APP_SETTINGS = dict(
    name="smallcap",
    help="Backtest small-cap rotation strategies on real market history.\n\n"
         "Every command works offline on the bundled data set (2000-2025 daily ETFs, Russell 2000 "
         "and S&P 500 levels, Treasury yields, VIX). Add --json for machine-readable output.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)


def _add_family(family: typer.Typer) -> None:
    """Register the commands of one family module (its ``commands``) in the order written."""
    app.registered_commands.extend(family.registered_commands)


_add_family(backtest_cmds.commands)
_add_family(study_cmds.commands)
_add_family(event_cmds.commands)
_add_family(regime_cmds.commands)
_add_family(cost_cmds.commands)
app.add_typer(data_app, name="data")
app.add_typer(runs_app, name="runs")


def _version(value: bool) -> None:
    if value:
        out.print(f"smallcap-rotation {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")] = False,
          ) -> None:
    """Backtest small-cap rotation strategies on real market history."""


def _terminate(signum, frame) -> None:  # signal handler signature
    """Ctrl-C and SIGTERM: noted as real (``core.user_code``: not a strategy's own raise), then
    the usual KeyboardInterrupt."""
    from core.user_code import note_interrupt

    note_interrupt()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``smallcap`` console script: user errors print one line and exit 2;
    Ctrl-C and SIGTERM (what `timeout`, batch schedulers and systemd send) stop cleanly, exit 130.
    ``argv``: the arguments (default: the process's; then the process also ends without the
    interpreter's teardown, see :func:`_exit_now`)."""
    import signal

    if argv is None:  # the console script (not tests calling main in-process)
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
        # pydantic looks for plug-ins (observability hooks) by reading every installed package's
        # entry points at every start; the CLI has no use for them. Set the variable to an
        # empty value to load them anyway.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    code = _run_noting(argv)
    if argv is None:
        _exit_now(code)
    sys.exit(code)


def app_for(args: list[str]) -> typer.Typer:
    """The app that parses ``args``: when the first argument names a command (not a group such
    as ``data``), an app holding only that command; otherwise the whole app.

    typer turns every registered command into a click command, with a pydantic validator per
    option, before it parses anything; one command costs a fraction of the whole app
    (``bench/cli_latency.py``). Help,
    errors and behaviour are the same (``tests/test_cli_startup.py`` compares them)."""
    name = args[0] if args else None
    chosen = [info for info in app.registered_commands if info.name == name]
    if not chosen:
        return app
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands = chosen
    return one


def _run_noting(argv: list[str] | None) -> int:
    """:func:`_run`, then each :class:`core.errors.Notice` the command raised as a ``note:``
    on stderr, wrapped at spaces (other warnings are shown as Python shows them)."""
    import warnings

    from cli.present import print_note
    from core.errors import Notice

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Notice)
        code = _run(argv)
    for w in caught:
        if issubclass(w.category, Notice):
            print_note(err, str(w.message))
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return code


def _run(argv: list[str] | None) -> int:
    from cli.help_text import keep_examples

    command = keep_examples(typer.main.get_command(app_for(sys.argv[1:] if argv is None else argv)))
    try:
        code = command.main(args=argv, prog_name="smallcap", standalone_mode=False)
    except UserError as exc:
        err.print(f"error: {exc.one_line()}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except click_exceptions.UsageError as exc:
        hint = "see 'smallcap --help'"
        if exc.ctx:
            command = exc.ctx.command_path.partition(" ")[2]
            hint = f"see 'smallcap {command} --help'".replace("  ", " ")
        err.print(f"error: {escape_controls(exc.format_message())} (hint: {escape_controls(hint)})",
                  markup=False, highlight=False, soft_wrap=True)
        return 2
    except (typer.Abort, getattr(click_exceptions, "Abort", typer.Abort)):  # Ctrl-C at a prompt
        err.print("aborted", markup=False)
        return 130
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    return code if isinstance(code, int) else 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown of every module and object (after a
    backtest, a visible share of its time spent freeing pandas, pyarrow and backtrader state nobody
    reads again): the atexit handlers run (logging, multiprocessing, Dask), the standard streams are
    flushed, and the process exits with ``code``. Every file the command wrote is closed by then.
    With
    another thread still running, it exits the ordinary way (which waits for that thread)."""
    import atexit
    import contextlib
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`smallcap ... | head`) or stream
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
