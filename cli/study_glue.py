"""What the study commands call: sweeps, the timing study and walk-forward analysis.

Kept apart from ``cli.glue`` (single backtests and comparisons) so that a backtest does not
import the sweep machinery (the executors, the experiment models). Like ``cli.glue``, this
module may import every layer; the statistics and the pages load inside the functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from engine.cash_rate import run_cash_returns
from engine.config import make_run_config
from engine.executors import check_scheduler_address
from engine.metrics import check_rank_metric, cost_summary, rank
from engine.results import ensure_writable, fresh_folder
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
from engine.sweep_store import open_store
from reports.index import record
from strategies import load_strategy_file, user_strategy

if TYPE_CHECKING:
    from research.timing import TimingSummary


def prepare_sweep(experiment: str | None, strategy: str | None, grids: dict[str, list[str]],
                  params: dict[str, str], start: str | None, end: str | None, out: str | None,
                  rank_by: str = "sharpe", strategy_file: str | None = None,
                  max_variants: int = MAX_VARIANTS, overrides: dict[str, Any] | None = None,
                  kind: str = "sweep", on_note: Callable[[str], None] | None = None,
                  ) -> tuple[Experiment, list[Variant], Path, str | None]:
    """(experiment, expanded variants, output folder) from a TOML file or the --strategy/--grid
    shortcut (without ``out``: ``runs/<kind>-<name>-<UTC time>-<hash>``). Everything a user can
    get wrong (``rank_by`` too) is checked here, before any work.
    Variants without a start share one (``engine.sweep.common_start``); the last item says so.
    ``overrides``: run options given on the command line, over the experiment's defaults."""
    check_rank_metric(rank_by)
    if experiment and strategy:
        raise UserError(
            "give an experiment file or --strategy/--grid, not both", "see `smallcap sweep --help`"
        )
    if experiment:
        exp = load_experiment(experiment)
    elif strategy:
        defaults = {k: v for k, v in (("start", start), ("end", end)) if v}
        exp = grid_experiment(strategy, grids, params, defaults)
    else:
        raise UserError(
            "no experiment given", "pass EXPERIMENT.toml, or --strategy NAME --grid key=v1,v2"
        )
    # the variants of strategies that file registers carry it (workers load it too)
    if strategy_file:
        path = str(Path(strategy_file).expanduser().resolve())
        names = set(load_strategy_file(path))
        exp = exp.model_copy(
            update={
                "variants": [
                    v.model_copy(update={"strategy_file": path}) if v.strategy in names else v
                    for v in exp.variants
                ]
            }
        )
    exp = with_overrides(exp, overrides)
    announce = (
        (lambda n: on_note(f"building {n:,} variants (about {n / 5000:.0f} s)"))
        if on_note
        else None
    )
    variants, note = common_start(expand(exp, max_variants, announce))
    for name in sorted({v.config.strategy for v in variants}):
        user_strategy(name)  # tools such as replay_targets are not for users
    if out:
        folder = Path(out)
    else:  # each sweep its own folder, as backtests: name, UTC time and a hash of its variants
        digest = hashlib.sha256(",".join(sorted(v.id for v in variants)).encode()).hexdigest()[:6]
        folder = fresh_folder(f"{kind}-{exp.name}", tail=digest)
    ensure_writable(folder)
    return exp, variants, folder, note


def check_executor(executor: str, workers: int | None, scheduler: str | None = None) -> None:
    """Refuse a bad ``--workers`` count or Dask ``--scheduler`` address before any work starts."""
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}", "e.g. --workers 2")
    if executor == "dask" and scheduler:
        check_scheduler_address(scheduler)


def sweep_summary(result: SweepResult, rank_by: str, page: Path | None, luck: Any,
                  note: str | None, every_figure: bool = True) -> dict[str, Any]:
    """The document ``sweep --json`` prints: counts, files, failures, the statistics
    (``luck``: a ``research.luck.LuckReport`` or None) and the finished variants best first by
    ``rank_by`` (with their statistics columns, and with ``every_figure`` every figure of their
    ``metrics.json`` read again: a row holds only some). ``note``: the common-start note."""
    done = [r for r in result.rows if r["status"] == "done"]
    ranked = rank(done, rank_by, lambda r: r["metrics"])

    def metrics(row: dict) -> dict:
        if not every_figure:
            return row["metrics"]
        return json.loads((result.out / "variants" / row["id"] / "metrics.json").read_text())

    return {"out": str(result.out), "sweep_csv": str(result.out / "sweep.csv"),
            "variants": len(result.rows), "skipped": result.skipped,
            "failed": [{"id": r["id"], "error": r["error"]} for r in result.failed],
            "comparison": str(page) if page else None, "rank_by": rank_by, "common_start": note,
            "statistics": luck.to_dict() if luck else None,
            "costs": sorted({r["config"].broker.describe_trading() for r in result.rows}),
            "ranked": [{"id": r["id"], "strategy": r["config"].strategy,
                        "params": r["config"].param_values(), "metrics": metrics(r),
                        **(r.get("statistics") or {})} for r in ranked]}


def grid_keys(exp: Experiment) -> set[str]:
    """Parameter names that vary in an experiment (its grids)."""
    return {k for v in exp.variants for k in v.grid}


def finish_sweep(result: SweepResult, exp: Experiment, rank_by: str, report: bool,
                 settings=None, self_contained: bool = False) -> tuple[Path | None, object | None]:
    """After a sweep: the overfitting statistics of its finished variants (``stats.json``, and
    their columns in ``sweep.csv``), the comparison page (unless ``report`` is False) and a
    refreshed runs index. Statistics need at least two finished variants. Returns the page and
    the ``research.luck.LuckReport``; ``settings``: a ``research.luck.LuckSettings``."""
    from reports.compare import write_comparison
    from reports.store_compare import store_comparison_data
    from research.luck import VARIANT_COLUMNS, write_stats
    from research.store_luck import luck_from_store

    page, luck = None, None
    done = [result.out / "variants" / r["id"] for r in result.rows if r["status"] == "done"]
    store = result.store or open_store(result.out)  # one returns matrix, not a CSV per variant
    if len(done) > 1:
        luck = luck_from_store(store, [d.name for d in done], settings)
        write_stats(luck, result.out)
        columns = {vid: {k: v[k] for k in VARIANT_COLUMNS} for vid, v in luck.variants.items()}
        write_sweep_csv(result, result.out / "sweep.csv", columns)
        for row in result.rows:
            row["statistics"] = columns.get(row["id"])
    if report and done:
        data = store_comparison_data(store, [d.name for d in done], rank_by)
        page = write_comparison(
            done,
            result.out,
            rank_by=rank_by,
            title=f"Sweep {exp.name}",
            luck=luck.to_dict() if luck else None,
            data=data,
            self_contained=self_contained,
        )
    record(result.out.parent, [page] if page else [])
    return page, luck


def timing_from_cli(strategy: str, params: dict[str, str], start: str | None, end: str | None,
                    tranches: int | None, out: str | None, strategy_file: str | None = None,
                    overrides: dict[str, Any] | None = None,
                    **sweep_options: Any) -> tuple[TimingSummary, Path, Path]:
    """Run ``strategy`` at every rebalance offset and tranched; (summary, page, folder).
    ``overrides``: run options as ``backtest`` takes them (:func:`run_overrides`).

    ``sweep_options`` go to :func:`engine.sweep.run_sweep` (executor, workers, on_result...).
    """
    from reports.study_page import write_timing_page
    from research.timing import timing_experiment, timing_summary

    path = str(Path(strategy_file).expanduser().resolve()) if strategy_file else None
    if path:
        load_strategy_file(path)
    user_strategy(strategy)
    defaults = {**{k: v for k, v in (("start", start), ("end", end)) if v}, **(overrides or {})}
    exp, schedule, n = timing_experiment(strategy, params, defaults, tranches, path)
    folder = Path(out) if out else fresh_folder(f"timing-{strategy}")
    ensure_writable(folder)
    result = run_sweep(expand(exp), folder, **sweep_options)
    summary = timing_summary(result, schedule, n)
    page = write_timing_page(
        summary.to_dict(), folder / "variants", folder / "timing.html", strategy
    )
    record(folder.parent, [page])
    return summary, page, folder


def run_overrides(
    cash: float | None = None,
    broker: dict[str, Any] | None = None,
    benchmark: str | None = None,
    risk_free: float | None = None,
    data: str | None = None,
    macro_lag: int | None = None,
) -> dict[str, Any]:
    """The run options a study command was given (as ``backtest`` takes them), as experiment
    defaults: only what was set; ``broker`` and ``data`` are merged into the experiment's own."""
    fields: dict[str, Any] = {k: v for k, v in (("cash", cash), ("benchmark", benchmark),
                                                 ("risk_free", risk_free)) if v is not None}
    if broker and any(v is not None for v in broker.values()):
        fields["broker"] = {k: v for k, v in broker.items() if v is not None}
    data_fields = {k: v for k, v in (("source", data), ("macro_lag", macro_lag)) if v is not None}
    if data_fields:
        fields["data"] = data_fields
    return fields


def with_overrides(exp: Experiment, overrides: dict[str, Any] | None) -> Experiment:
    """``exp`` with the command line's run options over its ``[defaults]`` (broker and data
    merged)."""
    if not overrides:
        return exp
    defaults = dict(exp.defaults)
    for key, value in overrides.items():
        merge = isinstance(value, dict) and isinstance(defaults.get(key), dict)
        defaults[key] = {**defaults[key], **value} if merge else value
    return exp.model_copy(update={"defaults": defaults})


def walkforward_from_cli(
    experiment: str | None,
    strategy: str | None,
    grids: dict[str, list[str]],
    params: dict[str, str],
    start: str | None,
    end: str | None,
    out: str | None,
    train: str,
    test: str,
    select: str = "sharpe",
    anchored: bool = False,
    strategy_file: str | None = None,
    report: bool = True,
    overrides: dict[str, Any] | None = None,
    **sweep_options: Any,
) -> dict:
    """Walk-forward analysis (``research.walkforward``): run the variants once, choose per fold on
    the train window, replay the choices as one out-of-sample run; the --json document.
    ``overrides``: run options over the experiment's defaults (:func:`run_overrides`)."""
    from research.walkforward import check_select, parse_window, plan_walk_forward

    check_select(select)
    train_n, test_n = parse_window(train, "--train"), parse_window(test, "--test")
    exp, variants, folder, _ = prepare_sweep(
        experiment,
        strategy,
        grids,
        params,
        start,
        end,
        out,
        "sharpe",
        strategy_file,
        overrides=overrides,
        kind="walkforward",
    )
    result = run_sweep(variants, folder, **sweep_options)
    if result.failed:
        raise UserError(
            f"{len(result.failed)} variant(s) failed: {result.failed[0]['error']}",
            f"see {folder / 'sweep.csv'}",
        )
    plan = plan_walk_forward(
        [folder / "variants" / v.id for v in variants], train_n, test_n, select, anchored
    )
    windows = {"train_sessions": train_n, "test_sessions": test_n, "anchored": anchored}
    doc = _replay_and_score(plan, exp, variants, folder, report, windows)
    (folder / "walkforward.json").write_text(json.dumps(doc, indent=2, default=float) + "\n")
    record(folder.parent, [doc["oos_run_dir"], *([doc["page"]] if doc.get("page") else [])])
    return doc


def _replay_and_score(plan, exp: Experiment, variants: list[Variant], folder: Path, report: bool,
                      windows: dict[str, Any]) -> dict:
    """Run the out-of-sample replay of ``plan``, score it, write its tearsheet and the page;
    ``windows``: train_sessions, test_sessions and anchored, as the document shows them."""
    from reports.study_page import write_walkforward_page
    from reports.tearsheet import write_tearsheet
    from research.walkforward import score_folds

    base = variants[0].config
    oos_config = make_run_config(
        strategy="replay_targets",
        params={"targets": plan.targets, "label": plan.why, "tolerance": plan.tolerance},
        start=plan.replay_start,
        end=plan.folds[-1].test_end,
        benchmark=base.benchmark,
        cash=base.cash,
        risk_free=base.risk_free,
        broker=base.broker.model_dump(),
        data=base.data.model_dump(),
    )
    oos = run_backtest(oos_config)
    oos_dir = oos.save(folder / "oos", name="walkforward-oos")
    if report:
        write_tearsheet(oos_dir)
    summary = score_folds(
        plan, oos.returns["strategy"], run_cash_returns(oos.metrics, oos.returns.index)
    )
    summary["best_in_hindsight"]["params"] = next(
        (v.config.param_values() for v in variants if v.id == summary["best_in_hindsight"]["id"]),
        {},
    )
    doc = {
        "name": exp.name,
        "select": plan.select,
        **windows,
        "benchmark": base.benchmark,
        "variants": len(variants),
        "folds": plan.folds_dict(),
        "varying": varying_parameters([v.config.param_values() for v in variants]),
        "oos_run_dir": str(oos_dir),
        "efficiency": summary["efficiency"],
        "summary": summary,
        "out": str(folder),
        "costs": cost_summary(oos.config.broker.describe_trading(), oos.metrics),
    }
    if report:
        span = oos.returns.loc[plan.folds[0].test_start:].index
        page = write_walkforward_page(
            doc,
            oos.returns["strategy"].loc[span[0] :],
            plan.returns[summary["best_in_hindsight"]["id"]].loc[span[0] : span[-1]],
            oos.returns["benchmark"].loc[span[0] :],
            folder / "walkforward.html",
            f"Walk-forward: {exp.name}",
        )
        doc["page"] = str(page)
    return doc


def varying_parameters(values: list[dict[str, Any]]) -> list[str]:
    """Parameter names whose values differ between the variants (in first-seen order)."""
    keys = list(dict.fromkeys(k for v in values for k in v))
    return [k for k in keys if len({repr(v.get(k)) for v in values}) > 1]
