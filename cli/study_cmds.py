"""``smallcap sweep``, ``walkforward`` and ``timing``: studies over many variants of a rule.

Each command parses its options, calls ``cli.study_glue`` (which prepares the variants, runs
them through ``engine.sweep`` and adds the statistics and pages) and prints with
``cli.present``; progress shows through ``cli.progress``. Libraries load inside the commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import (
    VARIANT_TIMEOUT,
    BenchmarkOpt,
    CashBufferOpt,
    CashOpt,
    CommissionBpsOpt,
    CommissionMinOpt,
    CommissionPerShareOpt,
    CostsOpt,
    ExecutorOpt,
    ExperimentArg,
    FillOpt,
    FractionalOpt,
    GridEndOpt,
    GridOpt,
    GridParamOpt,
    GridStartOpt,
    GridStrategyOpt,
    JsonOpt,
    MacroLagOpt,
    ParamOpt,
    RankByOpt,
    RiskFreeOpt,
    RunDataOpt,
    SelfContainedOpt,
    SlippageBpsOpt,
    StrategyFileOpt,
    VariantTimeoutOpt,
    WorkersOpt,
    broker_fields,
    out,
)
from cli.parse import parse_assignments, parse_date, parse_grid
from cli.present import print_json
from cli.progress import ProgressOpt, progress_mode, run_variants, say, warn, working

commands = typer.Typer()

Opt = typer.Option

# the options of `sweep` alone
_Scheduler = Annotated[str | None, Opt(
    help="Dask scheduler address tcp://HOST:PORT (default: a local cluster)")]
_Resume = Annotated[bool, Opt("--resume", help="skip variants already finished in --out")]
_Force = Annotated[bool, Opt("--force", help="write into an --out folder that holds another "
                                             "sweep (nothing is deleted)")]
_SweepOut = Annotated[str | None, Opt(
    "--out", help="sweep folder (default: a new runs/sweep-<name>-<UTC time>-<hash>)")]
_Tearsheets = Annotated[bool, Opt(
    "--tearsheets", help="also write each variant's tearsheet (slower)")]
_MaxVariants = Annotated[int, Opt(
    help="refuse grids larger than this (a typo can ask for millions)")]


@commands.command("sweep")
def sweep_cmd(
    experiment: ExperimentArg = None, executor: ExecutorOpt = "process",
    workers: WorkersOpt = None, scheduler: _Scheduler = None, resume: _Resume = False,
    force: _Force = False, rank_by: RankByOpt = "sharpe", out_dir: _SweepOut = None,
    no_report: Annotated[bool, Opt("--no-report", help="skip the comparison page")] = False,
    tearsheets: _Tearsheets = False, strategy: GridStrategyOpt = None, grid: GridOpt = None,
    param: GridParamOpt = None, start: GridStartOpt = None, end: GridEndOpt = None,
    strategy_file: StrategyFileOpt = None, self_contained: SelfContainedOpt = False,
    max_variants: _MaxVariants = 100_000, timeout: VariantTimeoutOpt = VARIANT_TIMEOUT,
    costs: CostsOpt = None, commission_bps: CommissionBpsOpt = None,
    commission_per_share: CommissionPerShareOpt = None, commission_min: CommissionMinOpt = None,
    slippage_bps: SlippageBpsOpt = None, fill: FillOpt = None, fractional: FractionalOpt = None,
    cash_buffer: CashBufferOpt = None, progress: ProgressOpt = "auto", as_json: JsonOpt = False,
) -> None:
    """Run many variants (an experiment file or a quick --grid) and compare them on one page.

    Examples:
      smallcap sweep examples/momentum_grid.toml --workers 2
      smallcap sweep --strategy relative_momentum --grid lookback=63,126,252
    """
    from cli import study_glue as glue
    from cli.present import print_sweep
    from engine.sweep import claim_folder
    from reports.tearsheet import write_tearsheet

    glue.check_executor(executor, workers, scheduler)  # before any work or progress bar
    shown = progress_mode(progress, as_json)
    broker = broker_fields(commission_bps, commission_per_share, commission_min, slippage_bps, fill,
                           fractional, cash_buffer, costs)
    exp, variants, folder, note = glue.prepare_sweep(
        experiment, strategy, parse_grid(grid or []), parse_assignments(param or []),
        parse_date(start, "--start"), parse_date(end, "--end"), out_dir, rank_by, strategy_file,
        max_variants, overrides=glue.run_overrides(broker=broker),
        on_note=None if as_json else warn)
    claim_folder(folder, variants, force)  # a folder holding another sweep is refused before work
    say(note, quiet=as_json)
    result = run_variants(variants, folder, f"sweep {exp.name}: {len(variants)} variants "
                          f"[{executor}]", as_json, shown, executor=executor, workers=workers,
                          scheduler=scheduler, resume=resume, force=force, timeout=timeout,
                          after_save=write_tearsheet if tearsheets else None)
    with working("overfitting statistics (PBO, DSR, SPA, MCS, bootstrap intervals)", shown):
        page, luck = glue.finish_sweep(result, exp, rank_by, not no_report, None, self_contained)
    summary = glue.sweep_summary(result, rank_by, page, luck, note, every_figure=as_json)
    if as_json:
        print_json(summary)
    else:
        print_sweep(out, summary, exp.name, glue.grid_keys(exp), luck)
    if result.failed:
        raise typer.Exit(1)


@commands.command("walkforward")
def walkforward_cmd(
    experiment: ExperimentArg = None,
    train: Annotated[str, Opt(help="train window: 3y, 18m or sessions (756)")] = "3y",
    test: Annotated[str, Opt(help="test window that follows it: 1y, 6m or sessions")] = "1y",
    anchored: Annotated[bool, Opt("--anchored", help="train from the first session every time "
                                                     "(default: rolling)")] = False,
    select: Annotated[str, Opt(
        help="metric that picks the variant on each train window: sharpe, sortino, cagr, "
             "calmar, max_drawdown, volatility, total_return")] = "sharpe",
    strategy: GridStrategyOpt = None, grid: GridOpt = None, param: GridParamOpt = None,
    start: GridStartOpt = None, end: GridEndOpt = None, executor: ExecutorOpt = "process",
    workers: WorkersOpt = None, timeout: VariantTimeoutOpt = VARIANT_TIMEOUT,
    out_dir: Annotated[str | None, Opt(
        "--out", help="folder (default runs/walkforward-<name>-<UTC time>)")] = None,
    no_report: Annotated[bool, Opt(
        "--no-report", help="skip the page and the out-of-sample tearsheet")] = False,
    strategy_file: StrategyFileOpt = None, cash: CashOpt = None, costs: CostsOpt = None,
    commission_bps: CommissionBpsOpt = None, progress: ProgressOpt = "auto",
    commission_per_share: CommissionPerShareOpt = None, commission_min: CommissionMinOpt = None,
    slippage_bps: SlippageBpsOpt = None, fill: FillOpt = None, fractional: FractionalOpt = None,
    cash_buffer: CashBufferOpt = None, benchmark: BenchmarkOpt = None, as_json: JsonOpt = False,
    risk_free: RiskFreeOpt = None, data: RunDataOpt = None, macro_lag: MacroLagOpt = None,
) -> None:
    """Walk-forward: choose a variant on each train window, hold it through the test window after.

    The chosen variants' own decisions replay as one out-of-sample run (each switch traded at the
    choice's close, paid); run options (--data, costs, fills) as `backtest`, over the file's.

    Examples:
      smallcap walkforward examples/momentum_grid.toml --train 3y --test 1y
      smallcap walkforward --strategy relative_momentum --grid lookback=63,126
    """
    from cli.present import print_walkforward
    from cli.study_glue import run_overrides, walkforward_from_cli

    broker = broker_fields(commission_bps, commission_per_share, commission_min, slippage_bps,
                           fill, fractional, cash_buffer, costs)
    overrides = run_overrides(cash, broker, benchmark, risk_free, data, macro_lag)
    with working("walk-forward: variants, folds, out-of-sample run",
                 progress_mode(progress, as_json)) as tick:
        doc = walkforward_from_cli(
            experiment, strategy, parse_grid(grid or []), parse_assignments(param or []),
            parse_date(start, "--start"), parse_date(end, "--end"), out_dir, train, test, select,
            anchored, strategy_file, report=not no_report, overrides=overrides, executor=executor,
            workers=workers, timeout=timeout, on_note=None if as_json else warn, on_result=tick)
    if as_json:
        print_json(doc)
        return
    print_walkforward(out, doc)


@commands.command("timing")
def timing_cmd(
    strategy: Annotated[str, typer.Argument(
        help="strategy name with a weekly, monthly or quarterly schedule")],
    param: ParamOpt = None,
    tranches: Annotated[int | None, Opt(
        help="sleeves of the tranched run (default 4; weekly 5)")] = None,
    start: Annotated[str | None, Opt(help="first measured session, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Opt(help="last measured session, YYYY-MM-DD")] = None,
    executor: ExecutorOpt = "process",
    workers: WorkersOpt = None,
    timeout: VariantTimeoutOpt = VARIANT_TIMEOUT,
    out_dir: Annotated[str | None, Opt(
        "--out", help="folder (default runs/timing-<strategy>-<UTC time>)")] = None,
    strategy_file: StrategyFileOpt = None,
    cash: CashOpt = None, costs: CostsOpt = None, commission_bps: CommissionBpsOpt = None,
    commission_per_share: CommissionPerShareOpt = None, commission_min: CommissionMinOpt = None,
    slippage_bps: SlippageBpsOpt = None, fill: FillOpt = None, fractional: FractionalOpt = None,
    cash_buffer: CashBufferOpt = None, benchmark: BenchmarkOpt = None,
    risk_free: RiskFreeOpt = None, data: RunDataOpt = None, macro_lag: MacroLagOpt = None,
    progress: ProgressOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Rebalance-timing luck: run the rule at every rebalance offset and tranched, show the spread.

    Each offset decides k sessions before the period's last session; the tranched run splits the
    capital into sleeves that decide on staggered offsets. The spread across offsets is luck.

    Example: smallcap timing relative_momentum --start 2005-01-03
    """
    from cli.present import timing_table
    from cli.study_glue import run_overrides, timing_from_cli

    broker = broker_fields(commission_bps, commission_per_share, commission_min, slippage_bps,
                           fill, fractional, cash_buffer, costs)
    overrides = run_overrides(cash, broker, benchmark, risk_free, data, macro_lag)
    with working("running every rebalance offset", progress_mode(progress, as_json)) as tick:
        summary, page, folder = timing_from_cli(
            strategy, parse_assignments(param or []), parse_date(start, "--start"),
            parse_date(end, "--end"), tranches, out_dir, strategy_file, overrides=overrides,
            executor=executor, workers=workers, timeout=timeout, on_note=None if as_json else warn,
            on_result=tick)
    if as_json:
        print_json({**summary.to_dict(), "out": str(folder), "page": str(page)})
        return
    out.print(timing_table(strategy, summary.to_dict()))
    out.print(f"costs: {summary.costs}", markup=False)
    out.print(f"page: {page}", markup=False)
