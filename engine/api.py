"""Glue the CLI calls: merge command-line options over a config file, run, save, report.

Kept out of ``cli.py`` so the CLI stays thin and notebooks/tests can call the same path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import load_run_config, make_run_config
from engine.errors import UserError
from engine.results import BacktestResult


def build_config(strategy: str | None, params: dict[str, Any], symbols: str | None, start: str | None,
                 end: str | None, cash: float | None, broker: dict[str, Any], benchmark: str | None,
                 risk_free: float | None, data: str | None, config_file: str | None):
    """A validated, resolved RunConfig: the file's values, overridden by every option given."""
    base = load_run_config(config_file).to_dict() if config_file else {}
    doc: dict[str, Any] = dict(base)
    if strategy:
        if base.get("strategy") and base["strategy"] != strategy:
            doc["params"] = {}
        doc["strategy"] = strategy
    if not doc.get("strategy"):
        raise UserError("no strategy given", "name one, e.g. `smallcap backtest relative_momentum`; list them with `smallcap strategies`")
    doc["params"] = {**doc.get("params", {}), **params}
    if symbols:
        from strategies.registry import get_strategy

        spec = get_strategy(doc["strategy"])
        if "assets" not in spec.cls.Params.model_fields:
            raise UserError(f"strategy '{doc['strategy']}' has no `assets` parameter for --symbols",
                            "set its symbol parameters with --param (see `smallcap strategies NAME`)")
        doc["params"]["assets"] = symbols
    for key, value in (("start", start), ("end", end), ("cash", cash), ("benchmark", benchmark),
                       ("risk_free", risk_free)):
        if value is not None:
            doc[key] = value
    doc["broker"] = {**doc.get("broker", {}), **{k: v for k, v in broker.items() if v is not None}}
    if data is not None:
        doc["data"] = {**doc.get("data", {}), "source": data}
    return make_run_config(**doc).resolve()


def backtest_from_cli(*, out: str, report: bool, **options: Any) -> BacktestResult:
    """Build the config, run it, save the run directory under ``out``, write the tearsheet."""
    from engine.runner import run_backtest

    config = build_config(**options)
    result = run_backtest(config)
    run_dir = result.save(Path(out))
    if report:
        from reports.tearsheet import write_tearsheet

        write_tearsheet(run_dir)
    from reports.index import write_index

    write_index(Path(out))
    return result


def compare_runs(run_dirs: list[str], out: str | None, rank_by: str = "sharpe",
                 title: str = "Strategy comparison") -> Path:
    """Write a comparison page of saved runs (default under ``runs/compare-<UTC time>``); refresh the index."""
    import datetime as dt

    from engine.results import is_complete_run
    from reports.compare import write_comparison
    from reports.index import write_index

    dirs = [Path(d) for d in run_dirs]
    bad = [str(d) for d in dirs if not is_complete_run(d)]
    if bad:
        raise UserError(f"not a complete run directory: {bad[0]}", "pass folders written by `smallcap backtest`")
    folder = Path(out) if out else Path("runs") / f"compare-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    page = write_comparison(dirs, folder, rank_by=rank_by, title=title)
    write_index(folder.parent)
    return page


def _grid_value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def prepare_sweep(experiment: str | None, strategy: str | None, grids: list[str], params: dict[str, str],
                  start: str | None, end: str | None, out: str | None):
    """(experiment, expanded variants, output folder) from a TOML file or the --strategy/--grid shortcut."""
    from engine.sweep import expand, grid_experiment, load_experiment

    if experiment and strategy:
        raise UserError("give an experiment file or --strategy/--grid, not both", "see `smallcap sweep --help`")
    if experiment:
        exp = load_experiment(experiment)
    elif strategy:
        parsed: dict[str, list[Any]] = {}
        for g in grids:
            key, sep, values = g.partition("=")
            if not sep or not values.strip():
                raise UserError(f"--grid '{g}' is not key=v1,v2", "e.g. --grid lookback=63,126,252")
            parsed[key.strip()] = [_grid_value(v) for v in values.split(",") if v.strip()]
        defaults = {k: v for k, v in (("start", start), ("end", end)) if v}
        exp = grid_experiment(strategy, parsed, params, defaults)
    else:
        raise UserError("no experiment given", "pass EXPERIMENT.toml, or --strategy NAME --grid key=v1,v2")
    variants = expand(exp)
    folder = Path(out) if out else Path("runs") / f"sweep-{exp.name}"
    return exp, variants, folder


def finish_sweep(result, exp, rank_by: str, report: bool) -> Path | None:
    """The comparison page of a finished sweep (unless ``report`` is False) and a refreshed runs index."""
    from reports.compare import write_comparison
    from reports.index import write_index

    page = None
    done = [result.out / "variants" / r["id"] for r in result.rows if r["status"] == "done"]
    if report and done:
        page = write_comparison(done, result.out, rank_by=rank_by, title=f"Sweep {exp.name}")
    write_index(result.out.parent)
    return page
