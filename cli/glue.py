"""What the commands call: merge options over a config file, run, save, report.

Kept out of the command modules (``cli.*_cmds``) so the commands stay thin and notebooks/tests can
call the same path. This module may import every layer (engine, research, reports): it is where they
meet. The statistics (``research``: arch, scipy; slow to import) and the pages (``reports``: plotly,
quantstats) load inside the functions that use them, so `smallcap strategies` or
`backtest --no-report` do not pay for them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core.errors import UserError, notice
from engine.config import RunConfig, make_run_config, read_toml
from engine.metrics import check_rank_metric
from engine.results import (
    BacktestResult,
    ensure_writable,
    fresh_folder,
    is_complete_run,
    remove_stale_temp,
)
from engine.runner import run_backtest
from reports.index import record
from strategies import get_strategy, load_strategy_file, user_strategy


def _config_doc(config_file: str | None, strategy_file: str | None) -> dict[str, Any]:
    """The run file's values (tables checked to be tables) and the user's strategy file, if any."""
    doc: dict[str, Any] = dict(read_toml(config_file)) if config_file else {}
    for key in ("params", "broker", "data"):  # merged with the options below: tables only
        if key in doc and not isinstance(doc[key], dict):
            raise UserError(f"{config_file}: '{key}' must be a table, got {doc[key]!r}",
                            f"write it as [{key}] followed by key = value lines")
    if strategy_file:
        doc["strategy_file"] = str(Path(strategy_file).expanduser().resolve())
    return doc


def _checked_symbols(symbols: str, spec: Any, strategy: str) -> str:
    """``--symbols`` for a strategy with an ``assets`` parameter; otherwise a one-line error."""
    if not [x for x in symbols.split(",") if x.strip()]:
        raise UserError("--symbols is empty", "name the risk assets, e.g. --symbols IWM,SPY,QQQ")
    if "assets" not in spec.cls.Params.model_fields:
        raise UserError(f"strategy '{strategy}' has no `assets` parameter for --symbols",
                        "set its symbol parameters with --param (see `smallcap strategies NAME`)")
    return symbols


def build_config(
    strategy: str | None,
    params: dict[str, str],
    symbols: str | None,
    start: str | None,
    end: str | None,
    cash: float | None,
    broker: dict[str, Any],
    benchmark: str | None,
    risk_free: float | None,
    data: str | None,
    config_file: str | None,
    strategy_file: str | None = None,
    macro_lag: int | None = None,
    twin: dict[str, float] | None = None,
) -> RunConfig:
    """A validated RunConfig: the file's values, overridden by every option given.

    ``params`` are raw ``key=value`` strings; they are validated once, with the file's, by the
    strategy's typed parameter model. ``strategy_file`` loads a user's strategy module first.
    """
    doc = _config_doc(config_file, strategy_file)
    if strategy:
        if doc.get("strategy") and doc["strategy"] != strategy:
            doc["params"] = {}
        doc["strategy"] = strategy
    if not doc.get("strategy"):
        raise UserError(
            "no strategy given",
            "name one, e.g. `smallcap backtest relative_momentum`; list them with `smallcap "
            "strategies`",
        )
    doc["params"] = {**doc.get("params", {}), **params}
    if doc.get("strategy_file"):
        load_strategy_file(doc["strategy_file"])
    spec = user_strategy(doc["strategy"])  # the walk-forward's replay tool is not for users
    if symbols is not None:
        doc["params"]["assets"] = _checked_symbols(symbols, spec, doc["strategy"])
    for key, value in (("start", start), ("end", end), ("cash", cash), ("benchmark", benchmark),
                       ("risk_free", risk_free), ("twin", twin)):
        if value is not None:
            doc[key] = value
    doc["broker"] = {**doc.get("broker", {}), **{k: v for k, v in broker.items() if v is not None}}
    for key, value in (("source", data), ("macro_lag", macro_lag)):
        if value is not None:
            doc["data"] = {**doc.get("data", {}), key: value}
    return make_run_config(**doc)


def backtest_from_cli(*, out: str, report: bool, timeout: float | None = None,
                      **options: Any) -> BacktestResult:
    """Build the config, check ``out`` is writable, run (within ``timeout`` seconds, if given),
    save the run directory, write the tearsheet. A tearsheet that fails after the run is saved
    is recorded in ``result.tearsheet_error`` (the run stays saved)."""
    from reports.tearsheet import write_tearsheet

    config = build_config(**options)
    ensure_writable(out)
    remove_stale_temp(Path(out))  # hidden temp folders of saves that were killed
    if timeout is not None and not (timeout >= 0 and math.isfinite(timeout)):
        raise UserError(
            f"--timeout must be a number of seconds, got {timeout}", "e.g. --timeout 60"
        )
    result = run_backtest(config, timeout=timeout or None)
    run_dir = result.save(Path(out))
    result.tearsheet_error = None
    if report:
        try:
            write_tearsheet(run_dir)
        except Exception as exc:  # the run is saved; say why the page is missing
            result.tearsheet_error = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
            )
    record(Path(out), [run_dir])  # O(1): appends the run to the runs index
    return result


def run_document(result: BacktestResult) -> dict[str, Any]:
    """The document ``backtest --json`` prints: run folder, metrics, warnings, the config and
    why the tearsheet is missing (None when written or not asked for)."""
    return {"run_dir": str(result.run_dir), "metrics": result.metrics, "warnings": result.warnings,
            "config": result.config.to_dict(), "tearsheet_error": result.tearsheet_error}


def expand_sweeps(dirs: list[Path]) -> list[Path]:
    """``dirs`` with each sweep folder among them replaced by its finished variants' folders."""
    from reports.store_compare import sweep_folder

    out: list[Path] = []
    for d in dirs:
        if not sweep_folder(d):
            out.append(d)
            continue
        variants = (d / "variants").iterdir()
        out += sorted(p for p in variants if not p.name.startswith(".") and is_complete_run(p))
    return out


def compared(dirs: list[Path], rank_by: str, settings=None) -> tuple[Any, Any]:
    """(the page's data, the statistics or None) of the runs ``dirs``: from their sweep's store
    when they are variants of one sweep (``engine.sweep_store``), else from their folders."""
    from engine.sweep_store import open_store
    from reports.compare import comparison_data
    from reports.store_compare import store_comparison_data, sweep_of
    from research.luck import luck_from_results
    from research.store_luck import luck_from_store

    sweep = sweep_of(dirs) if len(dirs) > 1 else None
    if sweep is None:
        data = comparison_data(dirs, rank_by)
        return data, luck_from_results(data.runs, settings) if len(dirs) > 1 else None
    store, ids = open_store(sweep), [d.name for d in dirs]
    return store_comparison_data(store, ids, rank_by), luck_from_store(store, ids, settings)


def compare_runs(run_dirs: list[str], out: str | None, rank_by: str = "sharpe",
                 title: str = "Strategy comparison", settings=None,
                 self_contained: bool = False) -> tuple[Path, object | None, list[dict]]:
    """Write a comparison page of saved runs (default under ``runs/compare-<UTC time>``) with the
    overfitting statistics on their common window (``stats.json`` beside it); refresh the index.
    Returns the page, the statistics (``research.luck.LuckReport``) and the ranked rows (label,
    run, metrics) for the terminal. ``settings``: a ``research.luck.LuckSettings``."""
    from reports.compare import write_comparison
    from research.luck import write_stats

    check_rank_metric(rank_by)
    dirs = expand_sweeps([Path(d) for d in run_dirs])
    bad = [str(d) for d in dirs if not is_complete_run(d)]
    if bad:
        raise UserError(
            f"not a complete run directory: {bad[0]}", "pass folders written by `smallcap backtest`"
        )
    data, luck = compared(dirs, rank_by, settings)
    folder = Path(out) if out else fresh_folder("compare")
    ensure_writable(folder)
    page = write_comparison(
        dirs,
        folder,
        rank_by=rank_by,
        title=title,
        luck=luck.to_dict() if luck else None,
        data=data,
        self_contained=self_contained,
    )
    if luck:
        write_stats(luck, folder)
    for note in data.notes:
        notice(note)
    record(folder.parent, [page])
    rows = [
        {
            "label": rec["label"],
            "run_dir": str(rec["run_dir"]),
            "window": rec["window"],
            "own_window": rec["own_window"],
            "costs": rec["costs"],
            "metrics": {
                k: rec[k]
                for k in (
                    "cagr",
                    "volatility",
                    "sharpe",
                    "sortino",
                    "max_drawdown",
                    "calmar",
                    "exposure",
                    "turnover",
                    "trades",
                    "switches",
                    "breakeven_bps",
                )
            },
            **(luck.variants.get(Path(rec["run_dir"]).name, {}) if luck else {}),
        }
        for rec in data.table.to_dict("records")
    ]
    return page, luck, rows


def strategy_data(name: str) -> dict:
    """What data a strategy reads with its default parameters, and the window the bundled data
    allows for it: ``prices`` (tradables and the benchmark), ``series`` (as-of signals; the cash
    rate, DTB3, always comes from the bundled data), ``window`` (start, end and the symbols that
    set them; ``warmup`` sessions and ``first_start``, the first start on which the strategy can
    already trade)."""
    from core.calendar import nyse_sessions
    from engine.data.catalog import bundled_window
    from engine.runner import data_needs

    config = make_run_config(strategy=name)
    prices, series = (list(dict.fromkeys(x)) for x in data_needs(config))
    window = bundled_window(prices)
    window["warmup"] = warmup = get_strategy(name).cls.warmup(config.params)
    window["first_start"] = None
    if window["start"]:  # the first --start that trades at once: the warm-up after the window opens
        sessions = nyse_sessions(str(window["start"]), str(window["end"]))
        window["first_start"] = str(sessions[min(warmup, len(sessions) - 1)].date())
    return {"prices": prices, "series": series, "window": window}
