"""``smallcap backtest``, ``report``, ``compare``, ``signal`` and ``strategies``: one run of one
strategy, its page, pages over saved runs, what the strategy holds next, and what strategies
there are.

Each command parses its options, calls one function of ``cli.glue`` (or of the engine and the
reports directly) and prints with ``cli.present``. Libraries load inside the commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import (
    BenchmarkOpt,
    CashBufferOpt,
    CashOpt,
    CommissionBpsOpt,
    CommissionMinOpt,
    CommissionPerShareOpt,
    ConfigOpt,
    CostsOpt,
    FillOpt,
    FractionalOpt,
    JsonOpt,
    MacroLagOpt,
    ParamOpt,
    RankByOpt,
    RiskFreeOpt,
    RunDataOpt,
    SelfContainedOpt,
    SlippageBpsOpt,
    StrategyArg,
    StrategyFileOpt,
    broker_fields,
    err,
    out,
)
from cli.parse import parse_assignments, parse_date, parse_weights
from cli.present import print_json
from cli.progress import busy

commands = typer.Typer()

Opt = typer.Option

# the options of `backtest` alone
_Symbols = Annotated[str | None, Opt(
    help="comma-separated risk assets, for strategies with an `assets` parameter")]
_Start = Annotated[str | None, Opt(
    help="first measured session, YYYY-MM-DD (default: first after warm-up)")]
_End = Annotated[str | None, Opt(
    help="last measured session, YYYY-MM-DD (default: last in the data)")]
_Twin = Annotated[str | None, Opt(
    help="the no-rotation twin's weights, e.g. IWM=0.5,SPY=0.5 (default: the strategy's own)")]
_RunsOut = Annotated[str, Opt("--out", help="parent folder of the run directory")]
_Timeout = Annotated[
    float | None,
    Opt(
        "--timeout",
        help="seconds the backtest may take, then it stops in one line (default: no limit)",
    ),
]


@commands.command("strategies")
def strategies_cmd(
    name: Annotated[str | None, typer.Argument(help="show one strategy in full")] = None,
    strategy_file: StrategyFileOpt = None, as_json: JsonOpt = False,
) -> None:
    """List the rotation strategies and their parameters (type, default, unit, bounds, meaning)."""
    from cli.listing import strategy_docs
    from cli.present import print_strategies

    docs = strategy_docs(name, strategy_file)
    if as_json:
        print_json(docs[0] if name else docs)
        return
    print_strategies(out, docs, one=bool(name))


@commands.command("backtest")
def backtest_cmd(
    strategy: StrategyArg = None, param: ParamOpt = None, symbols: _Symbols = None,
    start: _Start = None, end: _End = None, cash: CashOpt = None, costs: CostsOpt = None,
    commission_bps: CommissionBpsOpt = None, commission_per_share: CommissionPerShareOpt = None,
    commission_min: CommissionMinOpt = None, slippage_bps: SlippageBpsOpt = None,
    fill: FillOpt = None, fractional: FractionalOpt = None, cash_buffer: CashBufferOpt = None,
    benchmark: BenchmarkOpt = None, risk_free: RiskFreeOpt = None, twin: _Twin = None,
    data: RunDataOpt = None,
    macro_lag: MacroLagOpt = None, config: ConfigOpt = None,
    strategy_file: StrategyFileOpt = None, out_dir: _RunsOut = "runs", as_json: JsonOpt = False,
    no_report: Annotated[bool, Opt("--no-report", help="skip the HTML tearsheet")] = False,
    timeout: _Timeout = None,
) -> None:
    """Run one backtest and save it as a run directory (returns, trades, orders, metrics,
    tearsheet).

    Example: smallcap backtest relative_momentum -p lookback=63 --fill close
    """
    from cli.glue import backtest_from_cli, run_document
    from cli.present import print_run

    broker = broker_fields(commission_bps, commission_per_share, commission_min, slippage_bps, fill,
                           fractional, cash_buffer, costs)
    what = "running the backtest" + ("" if no_report else " and writing its tearsheet")
    with busy(what, as_json):
        result = backtest_from_cli(
            strategy=strategy, params=parse_assignments(param or []), symbols=symbols,
            start=parse_date(start, "--start"), end=parse_date(end, "--end"), cash=cash,
            broker=broker, benchmark=benchmark, risk_free=risk_free, data=data,
            macro_lag=macro_lag, config_file=config, strategy_file=strategy_file, out=out_dir,
            report=not no_report, timeout=timeout, twin=parse_weights(twin))
    if as_json:
        print_json(run_document(result))
    else:
        print_run(out, err, result)
    if result.tearsheet_error:
        raise typer.Exit(1)


@commands.command("signal")
def signal_cmd(
    strategy: StrategyArg = None,
    param: ParamOpt = None,
    config: ConfigOpt = None,
    data: Annotated[str | None, Opt(
        "--data", help="bundled (default), yahoo (refreshed first), or csv:DIR")] = None,
    strategy_file: StrategyFileOpt = None,
    costs: CostsOpt = None, commission_bps: CommissionBpsOpt = None,
    commission_per_share: CommissionPerShareOpt = None, commission_min: CommissionMinOpt = None,
    slippage_bps: SlippageBpsOpt = None, fill: FillOpt = None, fractional: FractionalOpt = None,
    cash_buffer: CashBufferOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What the strategy would hold at the next session, given the data up to the last one.

    Shows the target weights and why, when that was decided, how old the last data is, and when
    the schedule decides next. With --data yahoo the cache is refreshed first.

    Example: smallcap signal relative_momentum -p lookback=126 --data yahoo
    """
    from cli.glue import build_config
    from cli.present import print_signal
    from engine.signal import current_signal

    broker = broker_fields(commission_bps, commission_per_share, commission_min, slippage_bps, fill,
                           fractional, cash_buffer, costs)
    cfg = build_config(strategy, parse_assignments(param or []), None, None, None, None, broker,
                       None, None, data, config, strategy_file)
    with busy("running the strategy over its history", as_json):
        doc = current_signal(cfg)
    if as_json:
        print_json(doc)
        return
    print_signal(out, doc)


@commands.command("report")
def report_cmd(
    run_dir: Annotated[str, typer.Argument(help="a run directory written by `smallcap backtest`")],
    as_json: JsonOpt = False,
) -> None:
    """(Re)write the quantstats tearsheet of a saved run (nothing is re-run)."""
    from pathlib import Path

    from reports.index import record_in_place
    from reports.tearsheet import write_tearsheet

    path = write_tearsheet(Path(run_dir))
    record_in_place(run_dir)  # its row in the runs index now links the tearsheet
    if as_json:
        print_json({"tearsheet": str(path)})
    else:
        out.print(f"tearsheet: {path}", markup=False)


@commands.command("compare")
def compare_cmd(
    run_dirs: Annotated[list[str], typer.Argument(help="run directories to compare")],
    out_dir: Annotated[str | None, Opt(
        "--out", help="folder of the page (default runs/compare-<UTC time>)")] = None,
    rank_by: RankByOpt = "sharpe",
    title: Annotated[str, Opt(help="page title")] = "Strategy comparison",
    self_contained: SelfContainedOpt = False, as_json: JsonOpt = False,
) -> None:
    """One HTML page comparing saved runs: metrics table, equity, drawdowns, yearly returns,
    rotation, and how much of the best is luck (PBO, DSR, SPA, MCS on the runs' common window)."""
    from cli.glue import compare_runs
    from cli.present import compare_table, print_luck

    with busy("comparing (with overfitting statistics)", as_json):
        page, luck, rows = compare_runs(run_dirs, out_dir, rank_by, title,
                                        self_contained=self_contained)
    if as_json:
        print_json({"comparison": str(page), "rank_by": rank_by, "ranked": rows,
                    "statistics": luck.to_dict() if luck else None})
        return
    out.print(compare_table(rows, rank_by, any(r["own_window"] != r["window"] for r in rows)))
    if luck:
        print_luck(out, luck)
    out.print(f"comparison: {page}", markup=False)
