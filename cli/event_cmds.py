"""``smallcap streaks``: event studies (what followed an event in the market's history).

The command parses its options, calls ``research.events`` and prints with ``cli.present``
(the optional HTML page comes from ``reports.streaks``). Libraries load inside the command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import DataOpt, JsonOpt, out
from cli.parse import parse_date, parse_int_list
from cli.present import print_json

commands = typer.Typer()

Opt = typer.Option


@commands.command("streaks")
def streaks_cmd(
    symbol: Annotated[str, Opt(
        help="signal series: an index level (RUT, GSPC) or an ETF")] = "RUT",
    sessions: Annotated[int, Opt(
        help="consecutive qualifying sessions that make an episode")] = 5,
    min_gain: Annotated[float, Opt(help="minimum daily gain as a fraction (0.01 = 1%)")] = 0.01,
    horizons: Annotated[str, Opt(
        help="forward windows in sessions, comma-separated")] = "5,10,20,50",
    target: Annotated[str | None, Opt(
        help="whose forward returns to measure (default: the symbol)")] = None,
    versus: Annotated[str, Opt(help="comparison series (default SPY)")] = "SPY",
    relative: Annotated[bool, Opt(
        "--relative", help="count sessions where SYMBOL beat VERSUS by min-gain")] = False,
    start: Annotated[str | None, Opt(help="first date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Opt(help="last date, YYYY-MM-DD")] = None,
    data: DataOpt = "bundled",
    context: Annotated[str | None, Opt(
        help="symbols whose return over each streak run and on its signal day to show, "
             "e.g. RSP,SPY,QQQ,NVDA,MSFT")] = None,
    html: Annotated[str | None, Opt("--html", help="also write an HTML page to this file")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Event study: every N-session streak of strong days, and what followed.

    Examples:
      smallcap streaks --symbol RUT --sessions 5 --min-gain 0.01 --target IWM
      smallcap streaks --symbol IWM --versus SPY --relative --sessions 3 --min-gain 0.005
      smallcap streaks --target IWM --context RSP,SPY,QQQ,NVDA,MSFT
    """
    from cli.present import print_streaks
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
    print_streaks(out, study, windows, sessions, min_gain, relative)
    if page:
        out.print(f"html: {page}", markup=False)
