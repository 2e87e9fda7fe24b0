"""``smallcap regimes`` and ``smallcap attribution``: when a saved run worked, and what its
returns are made of. Each parses, calls one public function of ``research`` per run directory
and prints (tables from ``cli.regime_present``). Libraries load inside the commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import JsonOpt, out
from cli.present import print_json

commands = typer.Typer()

RunDirsArg = Annotated[
    list[str], typer.Argument(help="run directories written by `smallcap backtest`")
]


@commands.command("regimes")
def regimes_cmd(
    run_dirs: RunDirsArg,
    regimes: Annotated[
        str | None,
        typer.Option(
            "--regimes", help="your own labels: a CSV file date,label (each label from its date on)"
        ),
    ] = None,
    hold_sessions: Annotated[
        int,
        typer.Option(
            min=0,
            max=2520,
            help="Fed on hold after this many sessions without a target change "
            "(0: never)",
        ),
    ] = 126,
    as_json: JsonOpt = False,
) -> None:
    """Returns split by regime: Fed policy, rate expectations, volatility, leadership.

    Per regime: share of sessions, separate spells, CAGR and Sharpe of the strategy, benchmark
    and no-rotation twin, excess over the benchmark with a 90% bootstrap interval, hit rate and
    maximum drawdown. Every label uses only data published by that session.

    Examples:
      smallcap regimes runs/<run>
      smallcap regimes runs/<a> runs/<b> --regimes my_labels.csv --json
    """
    from cli.regime_present import print_regimes
    from research.regimes import regime_report

    reports = {d: regime_report(d, regimes, hold_sessions) for d in run_dirs}
    if as_json:
        docs = {d: r["families"] for d, r in reports.items()}
        print_json(docs[run_dirs[0]] if len(run_dirs) == 1 else docs)
        return
    for run_dir, report in reports.items():
        print_regimes(out, run_dir, report)


@commands.command("attribution")
def attribution_cmd(run_dirs: RunDirsArg, as_json: JsonOpt = False) -> None:
    """What the returns are made of: Carhart factors and Sharpe's style weights.

    Daily return over the Fama-French rf regressed on Mkt-RF, SMB, HML and MOM with Newey-West
    errors (annual alpha, its t and 95% interval, loadings, R²); style weights on the symbols
    the strategy may hold, its benchmark and cash, beside the real average holdings.

    Examples:
      smallcap attribution runs/<run>
      smallcap attribution runs/<a> runs/<b> --json
    """
    from cli.regime_present import print_attribution
    from research.run_attribution import attribute_run

    docs = {d: attribute_run(d, rolling=False).summary for d in run_dirs}
    if as_json:
        print_json(docs[run_dirs[0]] if len(run_dirs) == 1 else docs)
        return
    for run_dir, doc in docs.items():
        print_attribution(out, run_dir, doc)
