"""``smallcap data ...``: what data there is, is it sound, returns, refresh a live source."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import CacheOpt, DataOpt, FetchDataOpt, JsonOpt, OfflineOpt, err, out
from cli.options import open_data_source as _open
from cli.parse import parse_date
from cli.present import print_json, table
from core.errors import UserError

data_app = typer.Typer(help="What data there is, is it sound, refresh a live source (Yahoo).",
                       no_args_is_help=True)


@data_app.command("list")
def data_list(data: DataOpt = "bundled", cache_dir: CacheOpt = None, offline: OfflineOpt = False,
              as_json: JsonOpt = False) -> None:
    """List every series: symbol, kind (price/index/macro), first and last date, rows, source."""
    from engine.data.summary import list_series

    rows = list_series(_open(data, cache_dir, offline))
    if as_json:
        print_json(rows)
        return
    out.print(
        table(f"data source: {data}", rows, ["symbol", "kind", "first", "last", "rows", "usable"])
    )
    out.print(
        "usable: when a value dated D can be used by a strategy (macro lag: backtest --macro-lag)",
        markup=False,
    )


@data_app.command("show")
def data_show(
    symbol: Annotated[str, typer.Argument(help="e.g. IWM, RUT, DGS2")],
    start: Annotated[str | None, typer.Option(help="first date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last date, YYYY-MM-DD")] = None,
    rows: Annotated[int, typer.Option(min=0, help="rows to print at each end (tables only)")] = 5,
    data: DataOpt = "bundled",
    cache_dir: CacheOpt = None,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Show one series as backtests see it (ETF prices total-return adjusted)."""
    from cli.present import series_table
    from engine.data.summary import show_series

    frame = show_series(
        _open(data, cache_dir, offline),
        symbol.upper(),
        parse_date(start, "--start"),
        parse_date(end, "--end"),
    )
    if as_json:
        records = frame.reset_index()
        records["date"] = records["date"].dt.strftime("%Y-%m-%d")
        print_json({"symbol": symbol.upper(), "rows": records.to_dict(orient="records")})
        return
    out.print(series_table(symbol.upper(), frame, rows))


@data_app.command("returns")
def data_returns(
    symbols: Annotated[list[str], typer.Argument(help="symbols, e.g. RUT IWM SPY RSP NVDA")],
    start: Annotated[
        str | None, typer.Option("--from", help="from the close of this session, YYYY-MM-DD")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="to the close of this session, YYYY-MM-DD")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="one session's return (from the previous close)")
    ] = None,
    data: DataOpt = "bundled",
    cache_dir: CacheOpt = None,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Returns over a period or on one session: ETFs and stocks total return, index levels price
    return.

    Examples:
      smallcap data returns RUT IWM SPY --from 2024-07-09 --to 2024-07-16
      smallcap data returns NVDA MSFT AAPL --on 2024-07-11 --json
    """
    from engine.data.summary import period_returns

    rows = period_returns(_open(data, cache_dir, offline), symbols, parse_date(start, "--from"),
                          parse_date(end, "--to"), parse_date(on, "--on"))
    if as_json:
        print_json({r["symbol"]: r["return"] for r in rows})
        return
    for r in rows:
        r["return"] = f"{r['return']:+.2%}"
    out.print(
        table(
            "returns"
            + (f" on {on}" if on else f" from the close of {start} to the close of {end}"),
            rows,
            ["symbol", "return", "basis", "from_close", "to_close"],
        )
    )


@data_app.command("verify")
def data_verify(data: DataOpt = "bundled", cache_dir: CacheOpt = None, offline: OfflineOpt = False,
                as_json: JsonOpt = False) -> None:
    """Check every series: sorted unique dates, no NaN, prices > 0, OHLC bracket, NYSE sessions."""
    from engine.data.summary import verify_source

    rows = verify_source(_open(data, cache_dir, offline))
    bad = [r for r in rows if not r["ok"]]
    if as_json:
        print_json({"source": data, "ok": not bad, "series": rows})
    else:
        for r in rows:
            r["status"] = "ok" if r["ok"] else "FAIL"
        out.print(
            table(
                f"verify {data}",
                rows,
                [
                    "symbol",
                    "kind",
                    "status",
                    "rows",
                    "first",
                    "last",
                    "missing_sessions",
                    "message",
                ],
            )
        )
        out.print(f"{len(rows) - len(bad)} of {len(rows)} series pass")
    if bad:
        raise UserError(
            f"{len(bad)} series failed validation: {', '.join(r['symbol'] for r in bad)}",
            "see the table for the file, row and rule",
        )


@data_app.command("fetch")
def data_fetch(
    symbols: Annotated[list[str], typer.Argument(help="symbols, e.g. IWM SPY RUT")],
    start: Annotated[
        str | None, typer.Option(help="earliest date to fetch (default 1990-01-01)")
    ] = None,
    data: FetchDataOpt = None,
    cache_dir: CacheOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Download (or refresh) symbols from a live source (Yahoo) into its cache, fetching only
    what is missing."""
    from dataclasses import asdict

    from rich.progress import Progress

    from engine.data.sources import live_sources

    src = _open(data or next(iter(live_sources()), "bundled"), cache_dir, False)
    since = parse_date(start, "--start")
    done = []
    with Progress(console=err, transient=True, disable=as_json) as progress:
        task = progress.add_task("fetching", total=len(symbols))
        for s in symbols:
            progress.update(task, description=f"fetching {s.upper()}")
            done.append(asdict(src.fetch(s, start=since)))
            progress.advance(task)
    if as_json:
        print_json(done)
    else:
        columns = ["symbol", "first", "last", "rows", "path"]
        out.print(table(f"fetched from {src.name}", done, columns))
