"""``write_index(runs_dir)``: ``runs/index.html``, a browsable list of every run and comparison.

Scans the folder (runs may sit directly in it or one level down, e.g. inside a sweep folder);
reads only ``metrics.json`` and ``config.toml`` of each run, so it stays fast with many runs.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from core.atomic import write_failure, write_text_atomic
from core.locks import waiting_lock
from reports._render import environment, number


def _runs(root: Path) -> list[Path]:
    found = []
    for metrics in sorted(root.glob("*/metrics.json")) + sorted(root.glob("*/*/metrics.json")):
        if not any(part.startswith(".") for part in metrics.relative_to(root).parts):
            found.append(metrics.parent)
    return found


def write_index(runs_dir: str | Path = "runs") -> Path:
    """(Re)write ``runs_dir/index.html`` and return its path. Writers take turns (a lock on
    ``.index.lock``), each scanning the folder after the one before has written, so the last one
    lists every run saved before it (four backtests at once: all four)."""
    root = Path(runs_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(exc, "the runs index", root) from None
    with waiting_lock(root / ".index.lock"):
        return _write_index(root)


def _write_index(root: Path) -> Path:
    rows = []
    for run in _runs(root):
        try:
            m = json.loads((run / "metrics.json").read_text())
            cfg = tomllib.loads((run / "config.toml").read_text())
        except (OSError, ValueError):
            continue
        tearsheet = run / "tearsheet.html"
        rows.append({
            "name": str(run.relative_to(root)), "link": str(run.relative_to(root)) + "/",
            "strategy": cfg.get("strategy", "?"),
            "params": ", ".join(f"{k}={v}" for k, v in cfg.get("params", {}).items()),
            "period": f"{m.get('start')} .. {m.get('end')}", "cagr": number(m.get("cagr"), "pct"),
            "cagr_raw": m.get("cagr") or 0.0, "sharpe": number(m.get("sharpe")), "max_dd": number(m.get("max_drawdown"), "pct"),
            "trades": m.get("trades", ""), "tearsheet": str(tearsheet.relative_to(root)) if tearsheet.exists() else "",
        })
    rows.sort(key=lambda r: r["name"], reverse=True)
    comparisons = []
    for page in sorted(root.glob("**/comparison.html")):
        comparisons.append({"name": str(page.parent.relative_to(root)) or ".", "link": str(page.relative_to(root)),
                            "runs": page.read_text(encoding="utf-8").count('<tr data-run="'),
                            "updated": dt.datetime.fromtimestamp(page.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M")})
    html = environment().get_template("index.html").render(
        folder=str(root), runs=rows, comparisons=comparisons,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return write_text_atomic(root / "index.html", html, "the runs index")
