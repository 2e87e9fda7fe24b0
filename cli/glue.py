"""What the commands call: merge options over a config file, run, save, report.

Kept out of ``cli.app`` so the commands stay thin and notebooks/tests can call the same path.
This module may import every layer (engine, research, reports): it is where they meet. The
statistics (``research``: arch, scipy; 1.6 s to import) and the pages (``reports``: plotly,
quantstats) load inside the functions that use them, so `smallcap strategies` or
`backtest --no-report` do not pay for them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from engine.config import RunConfig, make_run_config, read_toml
from engine.metrics import check_rank_metric
from engine.results import BacktestResult, ensure_writable, is_complete_run, remove_stale_temp
from engine.runner import run_backtest
from engine.sweep import (
    MAX_VARIANTS,
    Experiment,
    SweepResult,
    Variant,
    common_start,
    expand,
    grid_experiment,
    load_experiment,
    run_sweep,
    write_sweep_csv,
)
from reports.index import write_index
from strategies import get_strategy, load_strategy_file

if TYPE_CHECKING:
    from research.timing import TimingSummary


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
    if symbols is not None:
        if not [x for x in symbols.split(",") if x.strip()]:
            raise UserError("--symbols is empty", "name the risk assets, e.g. --symbols IWM,SPY,QQQ")
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
    """Build the config, check ``out`` is writable, run, save the run directory, write the
    tearsheet. A tearsheet that fails after the run is saved is recorded in
    ``result.tearsheet_error`` (the run stays saved)."""
    from reports.tearsheet import write_tearsheet

    config = build_config(**options)
    ensure_writable(out)
    remove_stale_temp(Path(out))  # hidden temp folders of saves that were killed
    result = run_backtest(config)
    run_dir = result.save(Path(out))
    result.tearsheet_error = None
    if report:
        try:
            write_tearsheet(run_dir)
        except Exception as exc:  # noqa: BLE001 - the run is saved; say why the page is missing
            result.tearsheet_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    write_index(Path(out))
    return result


def compare_runs(run_dirs: list[str], out: str | None, rank_by: str = "sharpe",
                 title: str = "Strategy comparison", settings=None,
                 self_contained: bool = False) -> tuple[Path, object | None, list[dict]]:
    """Write a comparison page of saved runs (default under ``runs/compare-<UTC time>``) with the
    overfitting statistics on their common window (``stats.json`` beside it); refresh the index.
    Returns the page, the statistics (``research.luck.LuckReport``) and the ranked rows (label,
    run, metrics) for the terminal. ``settings``: a ``research.luck.LuckSettings``."""
    from reports.compare import comparison_data, write_comparison
    from research.luck import luck_from_results, write_stats

    check_rank_metric(rank_by)
    dirs = [Path(d) for d in run_dirs]
    bad = [str(d) for d in dirs if not is_complete_run(d)]
    if bad:
        raise UserError(f"not a complete run directory: {bad[0]}", "pass folders written by `smallcap backtest`")
    folder = Path(out) if out else Path("runs") / f"compare-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    data = comparison_data(dirs, rank_by)
    ensure_writable(folder)
    luck = luck_from_results(data.runs, settings) if len(dirs) > 1 else None
    page = write_comparison(dirs, folder, rank_by=rank_by, title=title, luck=luck.to_dict() if luck else None, data=data,
                            self_contained=self_contained)
    if luck:
        write_stats(luck, folder)
    write_index(folder.parent)
    rows = [{"label": rec["label"], "run_dir": str(rec["run_dir"]), "window": rec["window"],
             "metrics": {k: rec[k] for k in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                                             "exposure", "turnover", "trades", "switches")},
             **(luck.variants.get(Path(rec["run_dir"]).name, {}) if luck else {})}
            for rec in data.table.to_dict("records")]
    return page, luck, rows


def prepare_sweep(experiment: str | None, strategy: str | None, grids: dict[str, list[str]],
                  params: dict[str, str], start: str | None, end: str | None, out: str | None,
                  rank_by: str = "sharpe", strategy_file: str | None = None,
                  max_variants: int = MAX_VARIANTS) -> tuple[Experiment, list[Variant], Path, str | None]:
    """(experiment, expanded variants, output folder) from a TOML file or the --strategy/--grid
    shortcut. Everything a user can get wrong (``rank_by`` too) is checked here, before any work.
    Variants without a start share one (``engine.sweep.common_start``); the last item says so."""
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
    variants, note = common_start(expand(exp, max_variants))
    if out:
        folder = Path(out)
    else:  # each sweep its own folder, as backtests: name, UTC time and a hash of its variants
        digest = hashlib.sha256(",".join(sorted(v.id for v in variants)).encode()).hexdigest()[:6]
        folder = Path("runs") / f"sweep-{exp.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{digest}"
    ensure_writable(folder)
    return exp, variants, folder, note


def finish_sweep(result: SweepResult, exp: Experiment, rank_by: str, report: bool,
                 settings=None, self_contained: bool = False) -> tuple[Path | None, object | None]:
    """After a sweep: the overfitting statistics of its finished variants (``stats.json``, and
    their columns in ``sweep.csv``), the comparison page (unless ``report`` is False) and a
    refreshed runs index. Statistics need at least two finished variants. Returns the page and
    the ``research.luck.LuckReport``; ``settings``: a ``research.luck.LuckSettings``."""
    from reports.compare import comparison_data, write_comparison
    from research.luck import VARIANT_COLUMNS, luck_from_results, write_stats

    page, luck = None, None
    done = [result.out / "variants" / r["id"] for r in result.rows if r["status"] == "done"]
    data = comparison_data(done, rank_by) if done else None  # every finished run, loaded once
    if len(done) > 1:
        luck = luck_from_results(data.runs, settings)
        write_stats(luck, result.out)
        columns = {vid: {k: v[k] for k in VARIANT_COLUMNS} for vid, v in luck.variants.items()}
        write_sweep_csv(result, result.out / "sweep.csv", columns)
        for row in result.rows:
            row["statistics"] = columns.get(row["id"])
    if report and done:
        page = write_comparison(done, result.out, rank_by=rank_by, title=f"Sweep {exp.name}",
                                luck=luck.to_dict() if luck else None, data=data, self_contained=self_contained)
    write_index(result.out.parent)
    return page, luck


def timing_from_cli(strategy: str, params: dict[str, str], start: str | None, end: str | None,
                    tranches: int | None, out: str | None, strategy_file: str | None = None,
                    **sweep_options: Any) -> tuple[TimingSummary, Path, Path]:
    """Run ``strategy`` at every rebalance offset and tranched; (summary, page, folder).

    ``sweep_options`` go to :func:`engine.sweep.run_sweep` (executor, workers, on_result...).
    """
    from reports.study_page import write_timing_page
    from research.timing import timing_experiment, timing_summary

    path = str(Path(strategy_file).expanduser().resolve()) if strategy_file else None
    if path:
        load_strategy_file(path)
    defaults = {k: v for k, v in (("start", start), ("end", end)) if v}
    exp, schedule, n = timing_experiment(strategy, params, defaults, tranches, path)
    folder = Path(out) if out else Path("runs") / f"timing-{strategy}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    ensure_writable(folder)
    result = run_sweep(expand(exp), folder, **sweep_options)
    summary = timing_summary(result, schedule, n)
    page = write_timing_page(summary.to_dict(), folder / "variants", folder / "timing.html", strategy)
    write_index(folder.parent)
    return summary, page, folder


def walkforward_from_cli(experiment: str | None, strategy: str | None, grids: dict[str, list[str]],
                         params: dict[str, str], start: str | None, end: str | None, out: str | None,
                         train: str, test: str, select: str = "sharpe", anchored: bool = False,
                         strategy_file: str | None = None, report: bool = True, **sweep_options: Any) -> dict:
    """Walk-forward analysis (``research.walkforward``): run the variants once, choose per fold on
    the train window, replay the choices as one out-of-sample run; the --json document."""
    from reports.study_page import write_walkforward_page
    from reports.tearsheet import write_tearsheet
    from research.walkforward import check_select, parse_window, plan_walk_forward, score_folds

    check_select(select)
    train_n, test_n = parse_window(train, "--train"), parse_window(test, "--test")
    exp, variants, _, _ = prepare_sweep(experiment, strategy, grids, params, start, end, None, "sharpe", strategy_file)
    folder = Path(out) if out else Path("runs") / f"walkforward-{exp.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    ensure_writable(folder)
    result = run_sweep(variants, folder, **sweep_options)
    if result.failed:
        raise UserError(f"{len(result.failed)} variant(s) failed: {result.failed[0]['error']}", f"see {folder / 'sweep.csv'}")
    plan = plan_walk_forward([folder / "variants" / v.id for v in variants], train_n, test_n, select, anchored)
    base = variants[0].config
    oos_config = make_run_config(
        strategy="replay_targets", params={"targets": plan.targets, "label": plan.why, "tolerance": plan.tolerance},
        start=plan.folds[0].test_start, end=plan.folds[-1].test_end, benchmark=base.benchmark, cash=base.cash,
        risk_free=base.risk_free, broker=base.broker.model_dump(), data=base.data.model_dump())
    oos = run_backtest(oos_config)
    oos_dir = oos.save(folder / "oos", name="walkforward-oos")
    if report:
        write_tearsheet(oos_dir)
    summary = score_folds(plan, oos.returns["strategy"], float(oos.metrics["risk_free_rate"]))
    doc = {"name": exp.name, "select": select, "anchored": anchored, "train_sessions": train_n, "test_sessions": test_n,
           "benchmark": base.benchmark, "variants": len(variants), "folds": plan.folds_dict(),
           "varying": sorted({k for v in exp.variants for k in v.grid}),
           "oos_run_dir": str(oos_dir), "efficiency": summary["efficiency"], "summary": summary, "out": str(folder)}
    span = oos.returns.index
    if report:
        page = write_walkforward_page(doc, oos.returns["strategy"],
                                      plan.returns[summary["best_in_hindsight"]["id"]].loc[span[0]:span[-1]],
                                      oos.returns["benchmark"], folder / "walkforward.html", f"Walk-forward: {exp.name}")
        doc["page"] = str(page)
    (folder / "walkforward.json").write_text(json.dumps(doc, indent=2, default=float) + "\n")
    write_index(folder.parent)
    return doc


def strategy_data(name: str) -> dict:
    """What data a strategy reads with its default parameters, and the window the bundled data
    allows for it: ``prices`` (tradables and the benchmark), ``series`` (as-of signals; DGS2 for
    the default risk-free rate), ``window`` (start, end and the symbols that set them)."""
    from engine.data.catalog import bundled_window
    from engine.runner import data_needs

    prices, series = (list(dict.fromkeys(x)) for x in data_needs(make_run_config(strategy=name)))
    return {"prices": prices, "series": series, "window": bundled_window(prices)}
