"""``smallcap streaks`` and ``smallcap events``: event studies (what followed an event in the
market's history): breadth streaks, or any dates (FOMC decisions, a CSV of your own).

Both commands parse their options, call ``research.events`` / ``research.dated_events`` and print
the same tables with ``cli.event_tables`` (the optional HTML page comes from ``reports.streaks``).
Libraries load inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from cli.options import DataOpt, JsonOpt, out
from cli.parse import parse_date, parse_int_list
from cli.present import print_json

commands = typer.Typer()

Opt = typer.Option

HORIZONS = "5,21,63,126,252"
_Horizons = Annotated[str, Opt(help="forward windows in sessions, comma-separated")]
_Start = Annotated[str | None, Opt(help="first date, YYYY-MM-DD")]
_End = Annotated[str | None, Opt(help="last date, YYYY-MM-DD")]
_NoOverlap = Annotated[bool, Opt(
    "--no-overlap", help="leave out episodes that start inside an earlier one's forward window "
                         "(per horizon)")]
_Html = Annotated[str | None, Opt("--html", help="also write an HTML page to this file")]


def _symbols(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


@commands.command("streaks")
def streaks_cmd(
    symbol: Annotated[str, Opt(
        help="signal series: an index level (RUT, GSPC) or an ETF")] = "RUT",
    sessions: Annotated[int, Opt(
        help="consecutive qualifying sessions that make an episode")] = 5,
    min_gain: Annotated[float, Opt(help="minimum daily gain as a fraction (0.01 = 1%)")] = 0.01,
    horizons: _Horizons = HORIZONS,
    target: Annotated[str | None, Opt(
        help="whose forward returns to measure (default: the symbol)")] = None,
    versus: Annotated[str, Opt(help="comparison series")] = "SPY",
    relative: Annotated[bool, Opt(
        "--relative", help="count sessions where SYMBOL beat VERSUS by min-gain")] = False,
    start: _Start = None,
    end: _End = None,
    data: DataOpt = "bundled",
    context: Annotated[str | None, Opt(
        help="symbols whose return over each streak run and on its signal day to show, "
             "e.g. RSP,SPY,QQQ,NVDA,MSFT")] = None,
    no_overlap: _NoOverlap = False,
    html: _Html = None,
    as_json: JsonOpt = False,
) -> None:
    """Event study: every N-session streak of strong days, and what followed.

    Examples:
      smallcap streaks --symbol RUT --sessions 5 --min-gain 0.01 --target IWM
      smallcap streaks --symbol IWM --relative --sessions 3 --min-gain 0.005
      smallcap streaks --target IWM --context RSP,SPY,QQQ,NVDA,MSFT
    """
    from cli.event_tables import print_event_study, streak_title
    from research.events import streak_study

    windows = parse_int_list(horizons, "--horizons", HORIZONS, "session counts")
    study = streak_study(symbol, sessions, min_gain, windows, target, versus, relative,
                         parse_date(start, "--start"), parse_date(end, "--end"), data,
                         _symbols(context), no_overlap)
    _show(study, streak_title(study), html, as_json, print_event_study)


@commands.command("events")
def events_cmd(
    source: Annotated[str, typer.Argument(
        help="a CSV of dates (column date, optional label) or a built-in set: fomc-cuts, "
             "fomc-hikes, fomc-first-cuts, fomc-first-hikes, streaks")],
    target: Annotated[str, Opt(
        help="whose forward returns to measure: an index level or an ETF")] = "RUT",
    versus: Annotated[str, Opt(help="comparison series")] = "GSPC",
    horizons: _Horizons = HORIZONS,
    context: Annotated[str | None, Opt(
        help="symbols whose return on each event session to show, e.g. IWM,SPY")] = None,
    start: _Start = None,
    end: _End = None,
    data: DataOpt = "bundled",
    no_overlap: _NoOverlap = False,
    html: _Html = None,
    as_json: JsonOpt = False,
) -> None:
    """Event study on any dates: what TARGET did after each event, against any session.

    An event on a non-session moves to the next session (and says so); forward returns start at
    the close of the event session. Same table, page, JSON and p-values as `smallcap streaks`.

    Examples:
      smallcap events fomc-first-cuts --target RUT --versus GSPC
      smallcap events fomc-cuts --target IWM --horizons 21,63 --no-overlap
      smallcap events my_dates.csv --target IWM --html events.html
    """
    from cli.event_tables import events_title, print_event_study
    from research.dated_events import events_study

    windows = parse_int_list(horizons, "--horizons", HORIZONS, "session counts")
    study = events_study(source, target, versus, windows, _symbols(context),
                         parse_date(start, "--start"), parse_date(end, "--end"), data, no_overlap)
    _show(study, events_title(study), html, as_json, print_event_study)


def _show(study, title: str, html: str | None, as_json: bool, show: Callable) -> None:
    """The page (with ``--html``), then the JSON document or the tables."""
    from cli.event_tables import notes

    page = None
    if html:
        from reports.index import record_in_place
        from reports.streaks import write_event_page

        page = write_event_page(study, html, notes(study))
        record_in_place(page)  # listed in the index of the runs folder it is written in, if any
    if as_json:
        print_json(study.to_dict())
        return
    show(out, study, title)
    if page:
        out.print(f"html: {page}", markup=False)
