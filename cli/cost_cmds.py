"""``smallcap costs``: what trading costs do to one rule, and the cost per side where its edge is
gone (breakeven against the benchmark and the no-rotation twin).

The command parses, calls :func:`cost_study_from_cli` (build the config, rerun at each cost
level, save ``costs.json`` and the page) and prints with :func:`costs_table`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.options import (
    CashBufferOpt,
    ConfigOpt,
    FillOpt,
    FractionalOpt,
    JsonOpt,
    ParamOpt,
    SelfContainedOpt,
    StrategyArg,
    StrategyFileOpt,
    broker_fields,
    out,
)
from cli.parse import parse_assignments, parse_date
from cli.present import new_table, print_json
from cli.progress import ProgressOpt, progress_mode, working

commands = typer.Typer()


_Out = Annotated[str | None, typer.Option(
    "--out", help="folder (default runs/costs-<strategy>-<UTC time>)")]
_Data = Annotated[str | None, typer.Option("--data", help="bundled (default), yahoo, or csv:DIR")]
_Start = Annotated[str | None, typer.Option(help="first measured session, YYYY-MM-DD")]
_End = Annotated[str | None, typer.Option(help="last measured session, YYYY-MM-DD")]
_NoReport = Annotated[bool, typer.Option("--no-report", help="skip the HTML page")]


@commands.command("costs")
def costs_cmd(
    strategy: StrategyArg = None, param: ParamOpt = None, config: ConfigOpt = None,
    start: _Start = None, end: _End = None, data: _Data = None, fill: FillOpt = None,
    fractional: FractionalOpt = None, cash_buffer: CashBufferOpt = None,
    strategy_file: StrategyFileOpt = None, out_dir: _Out = None, no_report: _NoReport = False,
    self_contained: SelfContainedOpt = False, progress: ProgressOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Rerun a rule at 0, 1, 2, 5, 10, 25 and 50 bps per side and find its breakeven cost.

    A cost per side is slippage in bps of traded value with no commission: any row reproduces with
    `smallcap backtest ... --slippage-bps X --commission-bps 0`. Breakeven: the cost per side where
    the excess CAGR over the benchmark (and over the no-rotation twin) reaches zero, by bisection
    on reruns.

    Example: smallcap costs breadth_rotation --start 2005-06-01
    """
    broker = broker_fields(fill=fill, fractional=fractional, cash_buffer=cash_buffer)
    with working("rerunning at each cost per side (and bisecting for the breakeven)",
                 progress_mode(progress, as_json)):
        doc = cost_study_from_cli(
            strategy, parse_assignments(param or []), config, parse_date(start, "--start"),
            parse_date(end, "--end"), data, broker, strategy_file, out_dir,
            report=not no_report, self_contained=self_contained)
    if as_json:
        print_json(doc)
    else:
        print_costs(doc)


def print_costs(doc: dict[str, Any]) -> None:
    """``costs``: the table, the breakeven in words, what turnover means, where the files are."""
    out.print(costs_table(doc))
    for line in doc["findings"]:
        out.print(line, markup=False, highlight=False)
    out.print(f"turnover: {doc['turnover_definition']}; reruns: {doc['reruns']}", markup=False)
    page = f"; page: {doc['page']}" if doc.get("page") else ""
    out.print(f"saved: {doc['out']}{page}", markup=False)


def costs_table(doc: dict[str, Any]) -> Table:
    """The reruns, one row per cost per side (fits 80 columns)."""
    from reports.costs_page import cost_rows

    t = new_table(
        f"{doc['strategy']} {doc['start']} .. {doc['end']}: cost per side (bps), excess CAGR"
    )
    for c in (
        "bps",
        "CAGR",
        "Sharpe",
        f"vs {doc['benchmark']}",
        "vs twin",
        "turnover",
        "paid/yr",
        "trades",
    ):
        t.add_column(c, justify="right", no_wrap=True)
    for row in cost_rows(doc):
        t.add_row(*row)
    return t


def cost_study_from_cli(
    strategy: str | None,
    params: dict[str, str],
    config_file: str | None,
    start: str | None,
    end: str | None,
    data: str | None,
    broker: dict[str, Any],
    strategy_file: str | None,
    out: str | None,
    report: bool = True,
    self_contained: bool = False,
) -> dict[str, Any]:
    """Build the config (the file's values, overridden by the options), run the cost study
    (``research.costs``), save ``costs.json`` and ``costs.html`` in ``out`` (default
    ``runs/costs-<strategy>-<UTC time>``); the --json document (breakeven_bps, rows, findings).
    """
    from cli.glue import build_config
    from engine.results import ensure_writable
    from reports.costs_page import breakeven_words, write_costs_page
    from reports.index import record
    from research.costs import cost_study

    cfg = build_config(
        strategy,
        params,
        None,
        start,
        end,
        None,
        broker,
        None,
        None,
        data,
        config_file,
        strategy_file,
    )
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    folder = Path(out) if out else Path("runs") / f"costs-{cfg.strategy}-{stamp}"
    ensure_writable(folder)
    doc = cost_study(cfg).to_dict()
    doc["findings"] = [breakeven_words(doc, ref) for ref in ("benchmark", "twin")]
    folder.mkdir(parents=True, exist_ok=True)
    doc["out"] = str(folder)
    if report:
        doc["page"] = str(
            write_costs_page(doc, folder / "costs.html", self_contained=self_contained)
        )
    (folder / "costs.json").write_text(json.dumps(doc, indent=2) + "\n")
    record(folder.parent, [doc["page"]] if report else [])
    return doc
