"""Tearsheet time for a 25-year run: quantstats' own html path versus ours, side by side.

All three write the same page (``tests/test_reports.py`` compares them byte for byte):

* quantstats' path: ``quantstats.reports.html`` as it is, every figure drawn in this process;
* ours, one process: the figures the template never shows are skipped and quantstats' slow
  internals stood in for by equal ones (``reports.quicker_qs``);
* ours, two processes (opt-in: ``SMALLCAP_FIGURE_WORKER=1``): the same, half the figures drawn by
  a forked second process (``reports.figure_worker``).

Interleaved rounds, medians.

    .venv/bin/python bench/tearsheet_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import reports.tearsheet as ts
from engine.config import RunConfig
from engine.runner import run_backtest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    quicker = ts.quicker_quantstats
    plain = lambda template: contextlib.nullcontext()  # noqa: E731
    paths = {"quantstats' path": (plain, False), "ours, one process": (quicker, False),
             "ours, two processes": (quicker, True)}
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = run_backtest(RunConfig(strategy="relative_momentum")).save(tmp)
        ts.write_tearsheet(run_dir, Path(tmp) / "warm.html")  # imports outside the timings
        times: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.repeats):
            for name, (context, parallel) in paths.items():
                ts.quicker_quantstats = context
                t = time.perf_counter()
                ts.write_tearsheet(run_dir, Path(tmp) / "page.html", parallel=parallel)
                times[name].append(time.perf_counter() - t)
        ts.quicker_quantstats = quicker
        sessions = len(run_backtest(RunConfig(strategy="relative_momentum")).returns)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"25-year run ({sessions} sessions), {args.repeats} interleaved rounds")
    base = med["quantstats' path"]
    for name, value in med.items():
        print(f"{name:<22} median {value:5.2f} s   {base / value:4.2f}x quantstats' speed")
    one, two = med["ours, one process"], med["ours, two processes"]
    print(f"figure worker (opt-in) on this {os.cpu_count()}-core machine: {one / two:4.2f}x the "
          f"one-process time ({'faster' if two < one else 'slower'})")


if __name__ == "__main__":
    main()
