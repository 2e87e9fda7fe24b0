"""``smallcap runs ...``: saved runs, sweeps and pages: list, show, open, remove, clean up."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import JsonOpt, RootOpt, out
from cli.present import metric_text, print_json
from core.errors import UserError

runs_app = typer.Typer(
    help="Saved runs, sweeps and pages: list, show, open, remove, clean up.",
    invoke_without_command=True,
)


@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    root: RootOpt = "runs",
    kind: Annotated[
        str | None, typer.Option(help="run, sweep, compare, walkforward or timing")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option(help="only items whose strategy contains this")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List what is saved under runs/ (newest first): id, kind, strategy, window, CAGR, Sharpe,
    created."""
    if ctx.invoked_subcommand:
        return
    from cli.present import runs_table
    from reports.index import runs_listing

    rows = runs_listing(root, kind, strategy)
    if as_json:
        print_json(rows)
        return
    out.print(runs_table(rows, root))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="folder name or a unique part of it")],
    root: RootOpt = "runs",
    as_json: JsonOpt = False,
) -> None:
    """One saved item: its files, settings and metrics."""
    import json as _json
    from pathlib import Path

    from engine.run_catalog import find_run

    row = find_run(root, run_id)
    path = Path(row["path"])
    doc = {**row, "files": sorted(p.name for p in path.iterdir() if not p.name.startswith("."))}
    if (path / "metrics.json").exists():
        doc["metrics"] = _json.loads((path / "metrics.json").read_text())
    if (path / "config.toml").exists():
        doc["config"] = (path / "config.toml").read_text()
    if as_json:
        print_json(doc)
        return
    out.print(f"{row['kind']} {row['id']}  ({row['path']})", markup=False)
    for key in ("strategy", "window", "created"):
        out.print(f"  {key}: {row[key]}", markup=False)
    for key, value in (doc.get("metrics") or {}).items():
        out.print(f"  {key}: {metric_text(key, value)}", markup=False)
    out.print(f"  files: {' '.join(doc['files'])}", markup=False)


@runs_app.command("open")
def runs_open(
    run_id: Annotated[str, typer.Argument(help="folder name or a unique part of it")],
    root: RootOpt = "runs",
) -> None:
    """Open the item's page (tearsheet, comparison...) in the default browser."""
    import webbrowser

    from engine.run_catalog import find_run, main_page

    page = main_page(find_run(root, run_id))
    if not webbrowser.open(page.resolve().as_uri()):
        raise UserError(f"no browser to open {page}", "open the file yourself")
    out.print(f"opened {page}", markup=False)


@runs_app.command("rm")
def runs_rm(
    run_ids: Annotated[list[str], typer.Argument(help="folder names or unique parts of them")],
    root: RootOpt = "runs",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Delete saved items (asks first)."""
    from pathlib import Path

    from engine.results import remove_paths
    from engine.run_catalog import find_run

    rows = [find_run(root, r) for r in run_ids]
    for r in rows:
        out.print(f"  {r['kind']} {r['id']}", markup=False)
    _confirm(f"delete {len(rows)} item{'s' if len(rows) != 1 else ''}?", yes)
    _report(remove_paths([Path(r["path"]) for r in rows]), root)


@runs_app.command("gc")
def runs_gc(
    root: RootOpt = "runs",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Remove half-written temporary folders left by killed runs, and empty folders (sweeps,
    walk-forwards that finished nothing); asks first."""
    from engine.leftovers import empty_folders
    from engine.results import remove_paths, stale_temp

    stale = stale_temp(root, recursive=True)
    stale += [p for p in empty_folders(root) if p not in stale]
    if not stale:
        out.print("nothing to clean", markup=False)
        return
    out.print(f"in {root}:", markup=False, soft_wrap=True)
    for p in stale:
        out.print(
            f"  {p.relative_to(root) if p.is_relative_to(root) else p}",
            markup=False,
            soft_wrap=True,
        )
    _confirm(f"delete {len(stale)} leftover folder{'s' if len(stale) != 1 else ''}?", yes)
    _report(remove_paths(stale), root)


@runs_app.command("index")
def runs_index(root: RootOpt = "runs", rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="rescan the whole folder (every run and page) instead of checking the "
                          "catalog's entries")] = False, as_json: JsonOpt = False) -> None:
    """Bring runs/index.html in step with the folder: drop what was deleted by hand, add runs
    saved but not listed (a killed command); --rebuild rescans everything."""
    from reports.index import index_status

    doc = index_status(root, rebuild)
    if as_json:
        print_json(doc)
        return
    out.print(f"{doc['index']}: {doc['runs']} runs, {doc['pages']} pages", markup=False,
              soft_wrap=True)


def _confirm(question: str, yes: bool) -> None:
    """Ask ``question`` unless ``--yes``; no terminal to ask on is a one-line error."""
    import sys

    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError(
            "nothing deleted: no terminal to ask for confirmation",
            "pass --yes to delete without asking",
        )
    if not typer.confirm(question, default=False):
        raise typer.Exit(1)


def _report(done, root: str) -> None:
    """Print what was deleted (only what is really gone) and drop it from the runs index; what
    was not is one error line."""
    from engine.run_catalog import removal_error
    from reports.index import forget

    forget(root, done.removed)
    out.print(f"deleted {len(done.removed)}", markup=False)
    if done.kept:
        raise removal_error(done)
