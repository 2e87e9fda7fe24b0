"""What the commands call: merge options over a config file, run, save, report.

Kept out of ``cli.app`` so the commands stay thin and notebooks/tests can call the same path.
This module may import every layer (engine, research, reports): it is where they meet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from core.errors import UserError
from engine.config import RunConfig, make_run_config, read_toml
from engine.metrics import check_rank_metric
from engine.results import BacktestResult, is_complete_run
from engine.runner import run_backtest
from engine.sweep import (
    Experiment,
    SweepResult,
    Variant,
    expand,
    grid_experiment,
    load_experiment,
    write_sweep_csv,
)
from reports.compare import write_comparison
from reports.index import write_index
from reports.tearsheet import write_tearsheet
from research.luck import VARIANT_COLUMNS, LuckReport, LuckSettings, luck_from_runs, write_stats
from strategies import get_strategy, load_strategy_file


def build_config(strategy: str | None, params: dict[str, str], symbols: str | None, start: str | None,
                 end: str | None, cash: float | None, broker: dict[str, Any], benchmark: str | None,
                 risk_free: float | None, data: str | None, config_file: str | None,
                 strategy_file: str | None = None, macro_lag: int | None = None) -> RunConfig:
    """A validated RunConfig: the file's values, overridden by every option given.

    ``params`` are raw ``key=value`` strings; they are validated once, with the file's, by the
    strategy's typed parameter model. ``strategy_file`` loads a user's strategy module first.
    """
    doc: dict[str, Any] = dict(read_toml(config_file)) if config_file else {}
    if strategy_file:
        doc["strategy_file"] = str(Path(strategy_file).expanduser().resolve())
    if strategy:
        if doc.get("strategy") and doc["strategy"] != strategy:
            doc["params"] = {}
        doc["strategy"] = strategy
    if not doc.get("strategy"):
        raise UserError("no strategy given", "name one, e.g. `smallcap backtest relative_momentum`; list them with `smallcap strategies`")
    doc["params"] = {**doc.get("params", {}), **params}
    if symbols:
        if doc.get("strategy_file"):
            load_strategy_file(doc["strategy_file"])
        if "assets" not in get_strategy(doc["strategy"]).cls.Params.model_fields:
            raise UserError(f"strategy '{doc['strategy']}' has no `assets` parameter for --symbols",
                            "set its symbol parameters with --param (see `smallcap strategies NAME`)")
        doc["params"]["assets"] = symbols
    for key, value in (("start", start), ("end", end), ("cash", cash), ("benchmark", benchmark),
                       ("risk_free", risk_free)):
        if value is not None:
            doc[key] = value
    doc["broker"] = {**doc.get("broker", {}), **{k: v for k, v in broker.items() if v is not None}}
    for key, value in (("source", data), ("macro_lag", macro_lag)):
        if value is not None:
            doc["data"] = {**doc.get("data", {}), key: value}
    return make_run_config(**doc)


def backtest_from_cli(*, out: str, report: bool, **options: Any) -> BacktestResult:
    """Build the config, run it, save the run directory under ``out``, write the tearsheet."""
    result = run_backtest(build_config(**options))
    run_dir = result.save(Path(out))
    if report:
        write_tearsheet(run_dir)
    write_index(Path(out))
    return result


def compare_runs(run_dirs: list[str], out: str | None, rank_by: str = "sharpe",
                 title: str = "Strategy comparison", settings: LuckSettings | None = None,
                 ) -> tuple[Path, LuckReport | None]:
    """Write a comparison page of saved runs (default under ``runs/compare-<UTC time>``) with the
    overfitting statistics on their common window (``stats.json`` beside it); refresh the index."""
    check_rank_metric(rank_by)
    dirs = [Path(d) for d in run_dirs]
    bad = [str(d) for d in dirs if not is_complete_run(d)]
    if bad:
        raise UserError(f"not a complete run directory: {bad[0]}", "pass folders written by `smallcap backtest`")
    folder = Path(out) if out else Path("runs") / f"compare-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    luck = luck_from_runs(dirs, settings) if len(dirs) > 1 else None
    page = write_comparison(dirs, folder, rank_by=rank_by, title=title, luck=luck.to_dict() if luck else None)
    if luck:
        write_stats(luck, folder)
    write_index(folder.parent)
    return page, luck


def prepare_sweep(experiment: str | None, strategy: str | None, grids: dict[str, list[str]],
                  params: dict[str, str], start: str | None, end: str | None, out: str | None,
                  rank_by: str = "sharpe", strategy_file: str | None = None,
                  ) -> tuple[Experiment, list[Variant], Path]:
    """(experiment, expanded variants, output folder) from a TOML file or the --strategy/--grid
    shortcut. Everything a user can get wrong (``rank_by`` too) is checked here, before any work."""
    check_rank_metric(rank_by)
    if experiment and strategy:
        raise UserError("give an experiment file or --strategy/--grid, not both", "see `smallcap sweep --help`")
    if experiment:
        exp = load_experiment(experiment)
    elif strategy:
        defaults = {k: v for k, v in (("start", start), ("end", end)) if v}
        exp = grid_experiment(strategy, grids, params, defaults)
    else:
        raise UserError("no experiment given", "pass EXPERIMENT.toml, or --strategy NAME --grid key=v1,v2")
    if strategy_file:  # the variants of strategies that file registers carry it (workers load it too)
        path = str(Path(strategy_file).expanduser().resolve())
        names = set(load_strategy_file(path))
        exp = exp.model_copy(update={"variants": [
            v.model_copy(update={"strategy_file": path}) if v.strategy in names else v for v in exp.variants]})
    variants = expand(exp)
    folder = Path(out) if out else Path("runs") / f"sweep-{exp.name}"
    return exp, variants, folder


def finish_sweep(result: SweepResult, exp: Experiment, rank_by: str, report: bool,
                 settings: LuckSettings | None = None) -> tuple[Path | None, LuckReport | None]:
    """After a sweep: the overfitting statistics of its finished variants (``stats.json``, and
    their columns in ``sweep.csv``), the comparison page (unless ``report`` is False) and a
    refreshed runs index. Statistics need at least two finished variants."""
    page, luck = None, None
    done = [result.out / "variants" / r["id"] for r in result.rows if r["status"] == "done"]
    if len(done) > 1:
        luck = luck_from_runs(done, settings)
        write_stats(luck, result.out)
        columns = {vid: {k: v[k] for k in VARIANT_COLUMNS} for vid, v in luck.variants.items()}
        write_sweep_csv(result, result.out / "sweep.csv", columns)
        for row in result.rows:
            row["statistics"] = columns.get(row["id"])
    if report and done:
        page = write_comparison(done, result.out, rank_by=rank_by, title=f"Sweep {exp.name}",
                                luck=luck.to_dict() if luck else None)
    write_index(result.out.parent)
    return page, luck
