"""One backtest's update of the runs index, with 10 and with 5,000 saved runs: the old rescan
against the new append to the catalog, side by side in one run (issue 29, item 4).

- old: what ``write_index`` did after every backtest until now: list the folder (runs one to
  three folders down, pages up to four), read every run's ``metrics.json`` and ``config.toml``,
  every page's head, and render one HTML row per run (the old template's row, kept here).
- new: ``reports.index.record(root, [run])``: read the new run's two files, append one line to
  the catalog (checking only its first line and its end), leave the page shell alone.

The saved runs are hard links of one real short backtest (``buy_and_hold``, 2015 Q1), each in
a folder of its own, plus a comparison page per 100 runs. Each figure is the median of repeats.

    .venv/bin/python bench/runs_index.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

import jinja2

from engine.config import RunConfig
from engine.run_catalog import saved_runs
from engine.runner import run_backtest
from reports._render import number
from reports.index import find_pages, record, write_index

SIZES = (10, 5000)
REPEATS = {10: 15, 5000: 3}
#: The old index's run row (reports/templates/index.html before the catalog), rendered per run.
OLD_ROWS = jinja2.Environment(autoescape=True).from_string(
    "{% for r in runs %}<tr><td><a href=\"{{ r.link }}\">{{ r.name }}</a></td><td>{{ r.strategy }}"
    "</td><td>{{ r.params }}</td><td>{{ r.period }}</td><td class=\"num\">{{ r.cagr }}</td>"
    "<td class=\"num\">{{ r.sharpe }}</td><td class=\"num neg\">{{ r.max_dd }}</td>"
    "<td class=\"num\">{{ r.trades }}</td><td>{% if r.tearsheet %}<a href=\"{{ r.tearsheet }}\">"
    "tearsheet</a>{% endif %}</td></tr>{% endfor %}"
    "{% for p in pages %}<tr><td><a href=\"{{ p.link }}\">{{ p.name }}</a></td></tr>{% endfor %}")


def old_update(root: Path) -> int:
    """The old per-backtest index update: rescan, read every run, render every row."""
    rows = []
    for run in saved_runs(root):
        m = json.loads((run / "metrics.json").read_text())
        cfg = tomllib.loads((run / "config.toml").read_text())
        tearsheet = run / "tearsheet.html"
        rows.append({
            "name": str(run.relative_to(root)), "link": str(run.relative_to(root)) + "/",
            "strategy": cfg.get("strategy"), "params": str(cfg.get("params")),
            "period": f"{m.get('start')} .. {m.get('end')}", "cagr": number(m.get("cagr"), "pct"),
            "sharpe": number(m.get("sharpe")), "max_dd": number(m.get("max_drawdown"), "pct"),
            "trades": m.get("trades"), "tearsheet": str(tearsheet) if tearsheet.exists() else ""})
    rows.sort(key=lambda r: r["name"], reverse=True)
    html = OLD_ROWS.render(runs=rows, pages=find_pages(root))
    (root / "old-index.html").write_text(html)
    return len(rows)


def fill(root: Path, source: Path, n: int) -> None:
    """``n`` saved runs (hard links of ``source``) and a comparison page per 100 runs."""
    for i in range(n):
        shutil.copytree(source, root / f"20250101T{i:06d}Z-buy_and_hold-{i:08x}",
                        copy_function=os.link)
        if i % 100 == 0:
            (root / f"compare-{i}").mkdir()
            (root / f"compare-{i}" / "comparison.html").write_text(
                '<meta name="generator" content="smallcap-rotation comparison"><title>c</title>'
                + '<tr data-run="x">' * 4)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = run_backtest(RunConfig(strategy="buy_and_hold", start="2015-01-02",
                                        end="2015-03-31")).save(Path(tmp) / "source")
        results = {}
        for n in SIZES:
            root = Path(tmp) / f"runs-{n}"
            fill(root, source, n)
            write_index(root)  # the catalog exists, as after any earlier backtest
            new_run = Path(shutil.copytree(source, root / "20260101T000000Z-buy_and_hold-new",
                                           copy_function=os.link))
            old = median_seconds(lambda root=root: old_update(root), REPEATS[n])
            new = median_seconds(lambda root=root, run=new_run: record(root, [run]), REPEATS[n])
            results[n] = (old, new)
    print("one backtest's runs-index update (median), old rescan vs new catalog append")
    print(f"{'saved runs':>10}  {'old (ms)':>10}  {'new (ms)':>10}  {'old/new':>8}")
    for n, (old, new) in results.items():
        print(f"{n:>10,}  {old * 1e3:>10.1f}  {new * 1e3:>10.2f}  {old / new:>7.0f}x")
    (o10, n10), (o5k, n5k) = results[SIZES[0]], results[SIZES[-1]]
    print(f"growth from {SIZES[0]} to {SIZES[-1]:,} runs: "
          f"old {o5k / o10:.0f}x, new {n5k / n10:.2f}x")


if __name__ == "__main__":
    main()
