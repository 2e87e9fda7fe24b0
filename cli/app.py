"""The ``smallcap`` command line: parse, call the public API, print. No logic lives here.

Start-up stays fast: only typer and rich load at import; pandas, backtrader and quantstats are
imported inside the commands that need them (the only function-level imports of the project,
for that reason). Parsing is ``cli.parse``, the calls ``cli.glue`` (and ``cli.study_glue`` for
sweeps and studies), the tables ``cli.present``;
``smallcap data`` and ``smallcap runs`` live in ``cli.data_cmds`` and ``cli.runs_cmds``.
"""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from typing import Annotated

import typer

from cli.data_cmds import data_app
from cli.options import (
    DataOpt,
    JsonOpt,
    RankByOpt,
    SelfContainedOpt,
    StrategyFileOpt,
    err,
    out,
)
from cli.parse import parse_assignments, parse_date, parse_grid, parse_int_list
from cli.present import print_json
from cli.runs_cmds import runs_app
from core import texts
from core.errors import UserError
from engine import __version__

try:  # typer >= 0.20 vendors click as typer._click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer with click as a dependency
    from click import exceptions as click_exceptions

_APP_SETTINGS = dict(
    name="smallcap",
    help="Backtest small-cap rotation strategies on real market history.\n\n"
         "Every command works offline on the bundled data set (2000-2025 daily ETFs, Russell 2000 and "
         "S&P 500 levels, Treasury yields, VIX). Add --json for machine-readable output.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)
app.add_typer(data_app, name="data")
app.add_typer(runs_app, name="runs")


def _version(value: bool) -> None:
    if value:
        out.print(f"smallcap-rotation {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """Backtest small-cap rotation strategies on real market history."""


@app.command("strategies")
def strategies_cmd(name: Annotated[str | None, typer.Argument(help="show one strategy in full")] = None,
                   strategy_file: StrategyFileOpt = None, as_json: JsonOpt = False) -> None:
    """List the rotation strategies and their parameters (type, default, unit, bounds, meaning)."""
    from cli.listing import strategy_docs
    from cli.present import print_strategies

    docs = strategy_docs(name, strategy_file)
    if as_json:
        print_json(docs[0] if name else docs)
        return
    print_strategies(out, docs, one=bool(name))


@app.command("backtest")
def backtest_cmd(
    strategy: Annotated[str | None, typer.Argument(help="strategy name (see `smallcap strategies`)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="strategy parameter key=value (repeatable)")] = None,
    symbols: Annotated[str | None, typer.Option(help="comma-separated risk assets, for strategies with an `assets` parameter")] = None,
    start: Annotated[str | None, typer.Option(help="first measured session, YYYY-MM-DD (default: first after warm-up)")] = None,
    end: Annotated[str | None, typer.Option(help="last measured session, YYYY-MM-DD (default: last in the data)")] = None,
    cash: Annotated[float | None, typer.Option(help="starting cash (default 100000)")] = None,
    commission_bps: Annotated[float | None, typer.Option(help="commission in basis points of traded value")] = None,
    commission_per_share: Annotated[float | None, typer.Option(help="commission per share")] = None,
    commission_min: Annotated[float | None, typer.Option(help="minimum commission per order")] = None,
    slippage_bps: Annotated[float | None, typer.Option(help="slippage in basis points")] = None,
    fill: Annotated[str | None, typer.Option(help=texts.FILL)] = None,
    fractional: Annotated[bool | None, typer.Option("--fractional/--whole-shares", help="allow fractional shares")] = None,
    cash_buffer: Annotated[float | None, typer.Option(help="fraction of equity kept in cash (default 0.01 with open fills)")] = None,
    benchmark: Annotated[str | None, typer.Option(help="benchmark symbol (default SPY)")] = None,
    risk_free: Annotated[float | None, typer.Option(help="annual risk-free rate, decimal (default: mean DGS2)")] = None,
    data: Annotated[str | None, typer.Option("--data", help="bundled (default), yahoo, or csv:DIR")] = None,
    macro_lag: Annotated[int | None, typer.Option(help=texts.MACRO_LAG)] = None,
    config: Annotated[str | None, typer.Option("--config", help="a RunConfig TOML file; options given here override it")] = None,
    strategy_file: StrategyFileOpt = None,
    out_dir: Annotated[str, typer.Option("--out", help="parent folder of the run directory")] = "runs",
    as_json: JsonOpt = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="skip the HTML tearsheet")] = False,
) -> None:
    """Run one backtest and save it as a run directory (returns, trades, orders, metrics, tearsheet).

    Example: smallcap backtest relative_momentum -p lookback=63 --start 2010-01-01 --fill close
    """
    from contextlib import nullcontext

    from cli.glue import backtest_from_cli
    from cli.present import print_run

    busy = nullcontext() if as_json else err.status("running the backtest" + ("" if no_report else " and writing its tearsheet"))
    with busy:
        result = backtest_from_cli(
            strategy=strategy, params=parse_assignments(param or []), symbols=symbols,
            start=parse_date(start, "--start"), end=parse_date(end, "--end"), cash=cash,
            broker={"commission_bps": commission_bps, "commission_per_share": commission_per_share,
                    "commission_min": commission_min, "slippage_bps": slippage_bps, "fill": fill,
                    "fractional": fractional, "cash_buffer": cash_buffer},
            benchmark=benchmark, risk_free=risk_free, data=data, macro_lag=macro_lag, config_file=config,
            strategy_file=strategy_file, out=out_dir, report=not no_report)
    if as_json:
        print_json({"run_dir": str(result.run_dir), "metrics": result.metrics, "warnings": result.warnings,
                    "config": result.config.to_dict(), "tearsheet_error": result.tearsheet_error})
    else:
        print_run(out, err, result)
    if result.tearsheet_error:
        raise typer.Exit(1)


@app.command("signal")
def signal_cmd(
    strategy: Annotated[str | None, typer.Argument(help="strategy name (see `smallcap strategies`)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="strategy parameter key=value (repeatable)")] = None,
    config: Annotated[str | None, typer.Option("--config", help="a RunConfig TOML file; options given here override it")] = None,
    data: Annotated[str | None, typer.Option("--data", help="bundled (default), yahoo (refreshed first), or csv:DIR")] = None,
    strategy_file: StrategyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What the strategy would hold at the next session, given the data up to the last one.

    Shows the target weights and why, when that was decided, how old the last data is, and when
    the schedule decides next. With --data yahoo the cache is refreshed first.

    Example: smallcap signal relative_momentum -p lookback=126 --data yahoo
    """
    from cli.glue import build_config
    from engine.signal import current_signal

    cfg = build_config(strategy, parse_assignments(param or []), None, None, None, None, {}, None, None, data, config,
                       strategy_file)
    with err.status("running the strategy over its history", spinner="dots") if not as_json else nullcontext():
        doc = current_signal(cfg)
    if as_json:
        print_json(doc)
        return
    out.print(f"{doc['strategy']}: hold {doc['targets']} from the next session", markup=False)
    out.print(f"  why: {doc['reason']}", markup=False)
    out.print(f"  decided on {doc['decided_on']}; next decision {doc['next_decision'] or 'none (once)'}", markup=False)
    stale = doc["stale_sessions"]
    out.print(f"  data up to {doc['last_data']} ({doc['data_source']}): {stale} NYSE session{'s' if stale != 1 else ''} "
              f"since ({doc['stale_days']} days)" + ("; refresh with --data yahoo" if stale and doc["data_source"] != "yahoo" else ""),
              markup=False)


@app.command("report")
def report_cmd(run_dir: Annotated[str, typer.Argument(help="a run directory written by `smallcap backtest`")],
               as_json: JsonOpt = False) -> None:
    """(Re)write the quantstats tearsheet of a saved run (nothing is re-run)."""
    from pathlib import Path

    from reports.tearsheet import write_tearsheet

    path = write_tearsheet(Path(run_dir))
    if as_json:
        print_json({"tearsheet": str(path)})
    else:
        out.print(f"tearsheet: {path}", markup=False)


@app.command("compare")
def compare_cmd(run_dirs: Annotated[list[str], typer.Argument(help="run directories to compare")],
                out_dir: Annotated[str | None, typer.Option("--out", help="folder of the page (default runs/compare-<UTC time>)")] = None,
                rank_by: RankByOpt = "sharpe",
                title: Annotated[str, typer.Option(help="page title")] = "Strategy comparison",
                self_contained: SelfContainedOpt = False, as_json: JsonOpt = False) -> None:
    """One HTML page comparing saved runs: metrics table, equity, drawdowns, yearly returns, rotation,
    and how much of the best is luck (PBO, DSR, SPA, MCS on the runs' common window)."""
    from cli.glue import compare_runs
    from cli.present import compare_table, print_luck

    with err.status("comparing (with overfitting statistics)", spinner="dots") if not as_json else nullcontext():
        page, luck, rows = compare_runs(run_dirs, out_dir, rank_by, title, self_contained=self_contained)
    if as_json:
        print_json({"comparison": str(page), "rank_by": rank_by, "ranked": rows,
                    "statistics": luck.to_dict() if luck else None})
        return
    out.print(compare_table(rows, rank_by))
    if luck:
        print_luck(out, luck)
    out.print(f"comparison: {page}", markup=False)


@app.command("sweep")
def sweep_cmd(
    experiment: Annotated[str | None, typer.Argument(help="experiment TOML (see examples/)")] = None,
    executor: Annotated[str, typer.Option(help="serial | process (all cores) | dask")] = "process",
    workers: Annotated[int | None, typer.Option(help="processes or Dask workers (default: all cores)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT (default: a local cluster)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="skip variants already finished in --out")] = False,
    force: Annotated[bool, typer.Option("--force", help="write into an --out folder that holds another sweep (nothing is deleted)")] = False,
    rank_by: RankByOpt = "sharpe",
    out_dir: Annotated[str | None, typer.Option("--out", help="sweep folder (default: a new runs/sweep-<name>-<UTC time>-<hash>)")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="skip the comparison page")] = False,
    tearsheets: Annotated[bool, typer.Option("--tearsheets", help="also write each variant's tearsheet (slower)")] = False,
    strategy: Annotated[str | None, typer.Option(help="quick grid without a file: the strategy")] = None,
    grid: Annotated[list[str] | None, typer.Option(help="quick grid: key=v1,v2 (repeatable)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="quick grid: fixed parameter key=value")] = None,
    start: Annotated[str | None, typer.Option(help="quick grid: first measured session")] = None,
    end: Annotated[str | None, typer.Option(help="quick grid: last measured session")] = None,
    strategy_file: StrategyFileOpt = None,
    self_contained: SelfContainedOpt = False,
    max_variants: Annotated[int, typer.Option(help="refuse grids larger than this (a typo can ask for millions)")] = 100_000,
    as_json: JsonOpt = False,
) -> None:
    """Run many variants (an experiment file or a quick --grid) and compare them on one page.

    Examples:
      smallcap sweep examples/momentum_grid.toml --workers 2
      smallcap sweep --strategy relative_momentum --grid lookback=63,126,252 --grid top_n=1,2
    """
    from contextlib import nullcontext

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cli.present import print_luck, sweep_table
    from cli.study_glue import finish_sweep, prepare_sweep
    from engine.executors import check_scheduler_address
    from engine.metrics import rank
    from engine.sweep import claim_folder, run_sweep
    from reports.tearsheet import write_tearsheet

    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}", "e.g. --workers 2")
    if executor == "dask" and scheduler:
        check_scheduler_address(scheduler)  # before any work or progress bar
    exp, variants, folder, note = prepare_sweep(experiment, strategy, parse_grid(grid or []),
                                                parse_assignments(param or []), parse_date(start, "--start"),
                                                parse_date(end, "--end"), out_dir, rank_by, strategy_file,
                                                max_variants)
    claim_folder(folder, variants, force)  # a folder holding another sweep is refused before any work
    if note and not as_json:
        err.print(note, markup=False)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn()]
    with Progress(*columns, console=err, disable=as_json, transient=True) as progress:
        task = progress.add_task(f"sweep {exp.name}: {len(variants)} variants [{executor}]", total=len(variants))

        def tick(row: dict) -> None:
            progress.advance(task)
            if row["status"] == "failed":
                progress.console.print(f"variant {row['id']} failed: {row['error']}", markup=False)

        try:
            result = run_sweep(variants, folder, executor=executor, workers=workers, scheduler=scheduler,
                               resume=resume, after_save=write_tearsheet if tearsheets else None, on_result=tick,
                               force=force)
        except KeyboardInterrupt:
            progress.stop()
            err.print(f"interrupted: finished variants are in {folder}/sweep.csv; continue with --out {folder} --resume",
                      markup=False)
            raise typer.Exit(130) from None
    with err.status("overfitting statistics (PBO, DSR, SPA, MCS, bootstrap intervals)", spinner="dots") \
            if not as_json else nullcontext():
        page, luck = finish_sweep(result, exp, rank_by, report=not no_report, self_contained=self_contained)
    done = [r for r in result.rows if r["status"] == "done"]
    ranked = rank(done, rank_by, lambda r: r["metrics"])
    summary = {"out": str(result.out), "sweep_csv": str(result.out / "sweep.csv"), "variants": len(result.rows),
               "skipped": result.skipped, "failed": [{"id": r["id"], "error": r["error"]} for r in result.failed],
               "comparison": str(page) if page else None, "rank_by": rank_by, "common_start": note,
               "statistics": luck.to_dict() if luck else None,
               "ranked": [{"id": r["id"], "strategy": r["config"].strategy, "params": r["config"].param_values(),
                           "metrics": r["metrics"], **(r.get("statistics") or {})} for r in ranked]}
    if as_json:
        print_json(summary)
        if result.failed:
            raise typer.Exit(1)
        return
    out.print(sweep_table(exp.name, ranked[:5], len(done), rank_by, exp_grid_keys(exp)))
    if luck:
        print_luck(out, luck)
    ran = len(done) - result.skipped
    out.print(f"{ran} variant{'s' if ran != 1 else ''} run, {result.skipped} resumed, {len(result.failed)} failed; "
              f"table: {summary['sweep_csv']}", markup=False)
    if page:
        out.print(f"comparison: {page}", markup=False)
    if result.failed:
        raise typer.Exit(1)


def exp_grid_keys(exp) -> set[str]:
    """Parameter names that vary in an experiment (its grids)."""
    return {k for v in exp.variants for k in v.grid}


@app.command("walkforward")
def walkforward_cmd(
    experiment: Annotated[str | None, typer.Argument(help="experiment TOML (see examples/)")] = None,
    train: Annotated[str, typer.Option(help="train window: 3y, 18m or sessions (756)")] = "3y",
    test: Annotated[str, typer.Option(help="test window that follows it: 1y, 6m or sessions")] = "1y",
    anchored: Annotated[bool, typer.Option("--anchored", help="train from the first session every time (default: rolling)")] = False,
    select: Annotated[str, typer.Option(help="metric that picks the variant on each train window: sharpe, sortino, cagr, calmar, max_drawdown, volatility, total_return")] = "sharpe",
    strategy: Annotated[str | None, typer.Option(help="quick grid without a file: the strategy")] = None,
    grid: Annotated[list[str] | None, typer.Option(help="quick grid: key=v1,v2 (repeatable)")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="quick grid: fixed parameter key=value")] = None,
    start: Annotated[str | None, typer.Option(help="quick grid: first measured session")] = None,
    end: Annotated[str | None, typer.Option(help="quick grid: last measured session")] = None,
    executor: Annotated[str, typer.Option(help="serial | process (all cores) | dask")] = "process",
    workers: Annotated[int | None, typer.Option(help="processes or Dask workers (default: all cores)")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="folder (default runs/walkforward-<name>-<UTC time>)")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="skip the page and the out-of-sample tearsheet")] = False,
    strategy_file: StrategyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk-forward: choose a variant on each train window, hold it through the test window after.

    The variants run once; the chosen variants' own decisions are replayed as one out-of-sample
    backtest (switches at fold boundaries are traded and paid), saved as an ordinary run.

    Examples:
      smallcap walkforward examples/momentum_grid.toml --train 3y --test 1y
      smallcap walkforward --strategy relative_momentum --grid lookback=63,126,252 --anchored
    """
    from cli.present import folds_table
    from cli.study_glue import walkforward_from_cli

    with err.status("walk-forward: variants, folds, out-of-sample run", spinner="dots") if not as_json else nullcontext():
        doc = walkforward_from_cli(experiment, strategy, parse_grid(grid or []), parse_assignments(param or []),
                                   parse_date(start, "--start"), parse_date(end, "--end"), out_dir, train, test,
                                   select, anchored, strategy_file, report=not no_report,
                                   executor=executor, workers=workers)
    if as_json:
        print_json(doc)
        return
    out.print(folds_table(doc))
    s = doc["summary"]
    eff = "n/a" if doc["efficiency"] is None else f"{doc['efficiency']:.2f}"
    out.print(f"out of sample: CAGR {s['oos']['cagr']:.2%}, Sharpe {s['oos']['sharpe'] or 0:.2f}; in-sample CAGR of the "
              f"chosen {s['mean_in_sample_cagr']:.2%}; walk-forward efficiency {eff}", markup=False)
    out.print(f"best in hindsight {s['best_in_hindsight']['id']}: CAGR {s['best_in_hindsight']['cagr']:.2%}; "
              f"benchmark {doc['benchmark']}: CAGR {s['benchmark']['cagr']:.2%}", markup=False)
    out.print(f"out-of-sample run: {doc['oos_run_dir']}", markup=False)
    if doc.get("page"):
        out.print(f"page: {doc['page']}", markup=False)


@app.command("timing")
def timing_cmd(
    strategy: Annotated[str, typer.Argument(help="strategy name with a weekly, monthly or quarterly schedule")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="strategy parameter key=value (repeatable)")] = None,
    tranches: Annotated[int | None, typer.Option(help="sleeves of the tranched run (default 4; weekly 5)")] = None,
    start: Annotated[str | None, typer.Option(help="first measured session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last measured session, YYYY-MM-DD")] = None,
    executor: Annotated[str, typer.Option(help="serial | process (all cores) | dask")] = "process",
    workers: Annotated[int | None, typer.Option(help="processes or Dask workers (default: all cores)")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="folder (default runs/timing-<strategy>-<UTC time>)")] = None,
    strategy_file: StrategyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebalance-timing luck: run the rule at every rebalance offset and tranched, show the spread.

    Each offset decides k sessions before the period's last session; the tranched run splits the
    capital into sleeves that decide on staggered offsets. The spread across offsets is luck.

    Example: smallcap timing relative_momentum --start 2005-01-03
    """
    from cli.present import timing_table
    from cli.study_glue import timing_from_cli

    with err.status("running every rebalance offset", spinner="dots") if not as_json else nullcontext():
        summary, page, folder = timing_from_cli(strategy, parse_assignments(param or []), parse_date(start, "--start"),
                                                parse_date(end, "--end"), tranches, out_dir, strategy_file,
                                                executor=executor, workers=workers)
    doc = {**summary.to_dict(), "out": str(folder), "page": str(page)}
    if as_json:
        print_json(doc)
        return
    out.print(timing_table(strategy, summary.to_dict()))
    out.print(f"page: {page}", markup=False)


@app.command("streaks")
def streaks_cmd(
    symbol: Annotated[str, typer.Option(help="signal series: an index level (RUT, GSPC) or an ETF")] = "RUT",
    sessions: Annotated[int, typer.Option(help="consecutive qualifying sessions that make an episode")] = 5,
    min_gain: Annotated[float, typer.Option(help="minimum daily gain as a fraction (0.01 = 1%)")] = 0.01,
    horizons: Annotated[str, typer.Option(help="forward windows in sessions, comma-separated")] = "5,10,20,50",
    target: Annotated[str | None, typer.Option(help="whose forward returns to measure (default: the symbol)")] = None,
    versus: Annotated[str, typer.Option(help="comparison series (default SPY)")] = "SPY",
    relative: Annotated[bool, typer.Option("--relative", help="count sessions where SYMBOL beat VERSUS by min-gain")] = False,
    start: Annotated[str | None, typer.Option(help="first date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last date, YYYY-MM-DD")] = None,
    data: DataOpt = "bundled",
    context: Annotated[str | None, typer.Option(help="symbols whose return over each streak run and on its signal day to show, e.g. RSP,SPY,QQQ,NVDA,MSFT")] = None,
    html: Annotated[str | None, typer.Option("--html", help="also write an HTML page to this file")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Event study: every N-session streak of strong days, and what followed.

    Examples:
      smallcap streaks --symbol RUT --sessions 5 --min-gain 0.01 --target IWM
      smallcap streaks --symbol IWM --versus SPY --relative --sessions 3 --min-gain 0.005
      smallcap streaks --target IWM --context RSP,SPY,QQQ,NVDA,MSFT
    """
    from cli.present import context_table, streak_tables, streak_words
    from research.events import streak_study

    windows = parse_int_list(horizons, "--horizons", "5,10,20,50", "session counts")
    study = streak_study(symbol, sessions, min_gain, windows, target, versus, relative,
                         parse_date(start, "--start"), parse_date(end, "--end"), data,
                         [c.strip() for c in (context or "").split(",") if c.strip()])
    page = None
    if html:
        from reports.streaks import write_streaks_html

        page = write_streaks_html(study, html)
    if as_json:
        print_json(study.to_dict())
        return
    for t in streak_tables(study, windows, sessions, min_gain, relative):
        out.print(t)
    if study.params.get("context"):
        out.print(context_table(study))
    for line in streak_words(study):
        out.print(line, markup=False, highlight=False)
    if page:
        out.print(f"html: {page}", markup=False)


def _terminate(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``smallcap`` console script: user errors print one line and exit 2;
    Ctrl-C and SIGTERM (what `timeout`, batch schedulers and systemd send) stop cleanly, exit 130.
    ``argv``: the arguments (default: the process's; then the process also ends without the
    interpreter's teardown, see :func:`_exit_now`)."""
    import signal

    if argv is None:  # the console script (not tests calling main in-process)
        signal.signal(signal.SIGTERM, _terminate)
        # pydantic looks for plug-ins (observability hooks) by reading every installed package's
        # entry points, 20 ms per start; the CLI has no use for them. Set the variable to an
        # empty value to load them anyway.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    code = _run(argv)
    if argv is None:
        _exit_now(code)
    sys.exit(code)


def app_for(args: list[str]) -> typer.Typer:
    """The app that parses ``args``: when the first argument names a command (not a group such
    as ``data``), an app holding only that command; otherwise the whole app.

    typer turns every registered command into a click command, with a pydantic validator per
    option, before it parses anything: 50 ms for the whole app, 10 ms for one command. Help,
    errors and behaviour are the same (``tests/test_cli_startup.py`` compares them)."""
    name = args[0] if args else None
    chosen = [info for info in app.registered_commands if info.name == name]
    if not chosen:
        return app
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands = chosen
    return one


def _run(argv: list[str] | None) -> int:
    command = typer.main.get_command(app_for(sys.argv[1:] if argv is None else argv))
    try:
        code = command.main(args=argv, prog_name="smallcap", standalone_mode=False)
    except UserError as exc:
        err.print(f"error: {exc.one_line()}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except click_exceptions.UsageError as exc:
        hint = f"see 'smallcap {exc.ctx.command_path.partition(' ')[2]} --help'".replace("  ", " ") if exc.ctx else "see 'smallcap --help'"
        err.print(f"error: {exc.format_message()} (hint: {hint})", markup=False, highlight=False, soft_wrap=True)
        return 2
    except getattr(click_exceptions, "Abort", KeyboardInterrupt):
        err.print("aborted", markup=False)
        return 130
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    return code if isinstance(code, int) else 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown of every module and object (about 0.4 s
    after a backtest, freeing pandas, pyarrow and backtrader state nobody reads again): the
    atexit handlers run (logging, multiprocessing, Dask), the standard streams are flushed, and
    the process exits with ``code``. Every file the command wrote is closed by then. With
    another thread still running, it exits the ordinary way (which waits for that thread)."""
    import atexit
    import contextlib
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`smallcap ... | head`) or stream
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
