"""Tearsheet time for a 25-year run: quantstats' own html path versus ours, side by side.

Both write the same page (``tests/test_reports.py`` compares them); ours skips the figures the
template never shows (quantstats' EOY chart, rolling beta and monthly heatmap, which we draw
our own way) and groups returns by period in one product. Interleaved rounds, medians.

    .venv/bin/python bench/tearsheet_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
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
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = run_backtest(RunConfig(strategy="relative_momentum")).save(tmp)
        ts.write_tearsheet(run_dir, Path(tmp) / "warm.html")  # imports (quantstats: ~2 s) outside the timings
        times: dict[str, list[float]] = {"quantstats' path": [], "ours": []}
        for _ in range(args.repeats):
            for name in times:
                ts.quicker_quantstats = quicker if name == "ours" else (lambda template: contextlib.nullcontext())
                t = time.perf_counter()
                ts.write_tearsheet(run_dir, Path(tmp) / "page.html")
                times[name].append(time.perf_counter() - t)
        ts.quicker_quantstats = quicker
        sessions = len(run_backtest(RunConfig(strategy="relative_momentum")).returns)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"25-year run ({sessions} sessions), {args.repeats} interleaved rounds")
    for name, value in med.items():
        print(f"{name:<18} median {value:5.2f} s")
    plain = med["quantstats' path"]
    print(f"speed-up {plain / med['ours']:.2f}x; goal <= 3 s: "
          f"{'met' if med['ours'] <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
