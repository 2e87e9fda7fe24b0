"""What is under a runs folder: saved backtests, sweeps, comparisons, walk-forwards and timing
studies; find one by id (folder name or a unique prefix), remove with care, clean up leftovers.

Only reads the saved files (``metrics.json``, ``config.toml``, ``sweep.csv``...); never runs
anything. Removing is explicit: the CLI asks before calling ``engine.results.remove_paths`` on
listed items or on ``engine.results.stale_temp`` leftovers.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from core.errors import UserError, did_you_mean
from engine.results import Removal, is_complete_run

KINDS = ("run", "sweep", "compare", "walkforward", "timing")


def item_kind(path: Path) -> str | None:
    """What a folder written by this tool holds: run, sweep, walkforward, timing or compare
    (None for anything else)."""
    return _kind(path)


def _kind(path: Path) -> str | None:
    if is_complete_run(path):
        return "run"
    for name, kind in (
        ("walkforward.json", "walkforward"),
        ("timing.html", "timing"),
        ("sweep.csv", "sweep"),
        ("experiment.json", "sweep"),
        ("comparison.html", "compare"),
    ):
        if (path / name).exists():
            return kind
    return None


def saved_runs(root: Path) -> list[Path]:
    """Runs up to three folders below ``root`` (a walk-forward's ``<wf>/oos/<run>``), hidden
    folders aside; a sweep's variants are reached through its comparison page. A full scan: for
    rebuilding the catalog, not for a backtest's update."""
    found = []
    for pattern in ("*/metrics.json", "*/*/metrics.json", "*/*/*/metrics.json"):
        for metrics in sorted(root.glob(pattern)):
            parts = metrics.relative_to(root).parts
            if not any(part.startswith(".") for part in parts) and "variants" not in parts[:-2]:
                found.append(metrics.parent)
    return found


def run_entry(run: Path, root: Path) -> dict | None:
    """The catalog entry (``engine.catalog_file``) of the saved run ``run`` under ``root``: its
    path relative to ``root``, strategy, parameters (``k=v, ...``), start, end, CAGR, Sharpe and
    maximum drawdown (fractions), trades, whether it has a tearsheet, and when it was saved (UTC,
    minutes). Reads that run's ``metrics.json`` and ``config.toml`` only; None if unreadable
    or not under ``root``."""
    rel = relative_path(run, root)
    try:
        m = json.loads((run / "metrics.json").read_text())
        cfg = tomllib.loads((run / "config.toml").read_text())
        saved = run.stat().st_mtime
    except (OSError, ValueError):
        return None
    if rel is None:
        return None
    return {"path": rel, "type": "run",
            "strategy": cfg.get("strategy", "?"),
            "params": ", ".join(f"{k}={v}" for k, v in cfg.get("params", {}).items()),
            "start": str(m.get("start")), "end": str(m.get("end")), "cagr": m.get("cagr"),
            "sharpe": m.get("sharpe"), "max_drawdown": m.get("max_drawdown"),
            "trades": m.get("trades", ""), "tearsheet": (run / "tearsheet.html").exists(),
            "created": _minute(saved)}


def relative_path(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root``, ``/``-separated (None if it is not under ``root``)."""
    try:
        return Path(path).absolute().relative_to(Path(root).absolute()).as_posix()
    except ValueError:
        return None


def _minute(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _from_entry(path: Path, entry: dict) -> dict:
    """A listing row of a run from its catalog entry (no file of the run read)."""
    return {"id": path.name, "kind": "run", "path": str(path), "strategy": entry["strategy"],
            "window": f"{entry['start']} .. {entry['end']}", "cagr": entry.get("cagr"),
            "sharpe": entry.get("sharpe"), "created": entry["created"]}


def _summary(path: Path, kind: str) -> dict:
    row = {
        "id": path.name,
        "kind": kind,
        "path": str(path),
        "strategy": "",
        "window": "",
        "cagr": None,
        "sharpe": None,
        "created": _minute(path.stat().st_mtime),
    }
    try:
        if kind == "run":
            m = json.loads((path / "metrics.json").read_text())
            cfg = tomllib.loads((path / "config.toml").read_text())
            row.update(
                strategy=cfg.get("strategy", ""),
                window=f"{m['start']} .. {m['end']}",
                cagr=m.get("cagr"),
                sharpe=m.get("sharpe"),
            )
        elif kind == "sweep" and (path / "sweep.csv").exists():
            lines = (path / "sweep.csv").read_text().splitlines()
            strategies = sorted({ln.split(",")[2] for ln in lines[1:] if ln.count(",") > 2})
            row.update(strategy=",".join(strategies), window=f"{len(lines) - 1} variants")
        elif kind == "walkforward":
            doc = json.loads((path / "walkforward.json").read_text())
            oos = doc["summary"]["oos"]
            row.update(
                strategy=doc.get("name", ""),
                window=f"{doc['folds'][0]['test_start']} .. {doc['folds'][-1]['test_end']}",
                cagr=oos.get("cagr"),
                sharpe=oos.get("sharpe"),
            )
    except (OSError, ValueError, KeyError, IndexError):
        row["strategy"] = "(unreadable)"
    return row


def check_listing(root: str | Path, kind: str | None = None) -> None:
    """A one-line UserError if ``kind`` is not one of :data:`KINDS` or ``root`` is a file."""
    if kind and kind not in KINDS:
        raise UserError(f"unknown kind '{kind}'", did_you_mean(kind, KINDS))
    if Path(root).exists() and not Path(root).is_dir():
        raise UserError(
            f"--root {root} is a file, not a runs folder", "pass the folder that holds the runs"
        )


def list_runs(
    root: str | Path = "runs", kind: str | None = None, strategy: str | None = None,
    entries: dict[str, dict] | None = None,
) -> list[dict]:
    """Every saved item directly under ``root`` (newest first), optionally of one ``kind`` or whose
    strategy contains ``strategy``. Hidden and unrecognised folders are skipped. ``entries``: the
    runs catalog (``engine.catalog_file``) by path; a run found there is listed from its entry,
    without reading its files."""
    root = Path(root)
    check_listing(root, kind)
    if not root.is_dir():
        return []
    rows = []
    for path in root.iterdir():
        if not path.is_dir() or path.name.startswith("."):
            continue
        known = (entries or {}).get(path.name)
        k = "run" if known and known.get("type") == "run" else _kind(path)
        if k and (kind is None or k == kind):
            row = _from_entry(path, known) if k == "run" and known else _summary(path, k)
            if strategy is None or strategy in row["strategy"]:
                rows.append(row)
    return sorted(rows, key=lambda r: r["created"], reverse=True)


def find_run(root: str | Path, run_id: str) -> dict:
    """The item whose folder name is ``run_id`` or starts with it (unique); a UserError
    otherwise."""
    rows = list_runs(root)
    exact = [r for r in rows if r["id"] == run_id]
    matches = exact or [r for r in rows if r["id"].startswith(run_id) or run_id in r["id"]]
    if not matches:
        raise UserError(f"no run '{run_id}' under {root}", "list them with `smallcap runs`")
    if len(matches) > 1:
        raise UserError(
            f"'{run_id}' matches {len(matches)} items "
            f"({', '.join(r['id'] for r in matches[:3])}...)",
            "give more of the name",
        )
    return matches[0]


def main_page(row: dict) -> Path:
    """The page to open for an item: tearsheet, comparison, walk-forward or timing page."""
    path = Path(row["path"])
    for name in ("tearsheet.html", "comparison.html", "walkforward.html", "timing.html"):
        if (path / name).exists():
            return path / name
    raise UserError(f"{row['id']} has no page", f"write one with `smallcap report {path}`")


def removal_error(done: Removal) -> UserError:
    """The one line naming what :func:`engine.results.remove_paths` could not remove, and why."""
    names = "; ".join(f"{path} ({why})" for path, why in done.kept[:3])
    more = f" and {len(done.kept) - 3} more" if len(done.kept) > 3 else ""
    return UserError(
        f"could not delete {len(done.kept)} of {len(done.kept) + len(done.removed)}: {names}{more}",
        "a sweep still running keeps its folder; for permissions, check who owns the folder",
    )
