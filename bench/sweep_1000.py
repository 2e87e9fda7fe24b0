"""Scale: a 1,000-variant sweep on 2 workers, then its statistics and comparison page.

Prints variants per minute; each worker's peak memory (max RSS) after its 10th variant and after
its last (flat = no growth per variant); how many rows ``sweep.csv`` held while the sweep ran
(it streams: a row per finished variant); the time of the overfitting statistics and of the
comparison page (goal: under 10 s) and the page's size.

    .venv/bin/python bench/sweep_1000.py [--variants 1000] [--executor process] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from sweep_scaling import experiment, variants

from engine.sweep import run_sweep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--executor", default="process")
    ap.add_argument("--keep", help="leave the sweep in this folder (default: a temporary one)")
    args = ap.parse_args()
    exp, vs = experiment(lookback_step=3), variants(args.variants, lookback_step=3)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    out = root / "sweep"
    shutil.rmtree(out, ignore_errors=True)
    csv_rows: list[tuple[int, int]] = []  # (finished so far, rows in sweep.csv then)
    finished = [0]
    # (worker pid, its peak RSS in MB), in the order variants finish
    arrivals: list[tuple[int, float]] = []

    def arrived(row: dict) -> None:
        finished[0] += 1
        if "pid" in row:
            arrivals.append((row["pid"], row["peak_rss_mb"]))

    def watch() -> None:
        while finished[0] < len(vs):
            path = out / "sweep.csv"
            if path.exists():
                csv_rows.append((finished[0], max(0, len(path.read_text().splitlines()) - 1)))
            time.sleep(2.0)

    threading.Thread(target=watch, daemon=True).start()
    t = time.perf_counter()
    result = run_sweep(vs, out, executor=args.executor, workers=2,
                       on_result=arrived)
    elapsed = time.perf_counter() - t
    finished[0] = len(vs)
    failed = [r for r in result.rows if r["status"] != "done"]
    print(
        f"{len(vs)} variants on 2 workers ({args.executor}): {elapsed:.0f} s = "
        f"{len(vs) / elapsed * 60:.0f} variants/min"
        f"{f', {len(failed)} failed' if failed else ''}"
    )
    per_worker: dict[int, list[float]] = defaultdict(list)
    for pid, rss in arrivals:
        per_worker[pid].append(rss)
    for pid, rss in sorted(per_worker.items()):
        tenth = rss[min(9, len(rss) - 1)]
        print(
            f"worker {pid}: {len(rss)} variants, peak RSS after the 10th {tenth:.0f} MB, after the "
            f"last {rss[-1]:.0f} MB ({rss[-1] / tenth - 1:+.1%})"
        )
    streamed = [(n, rows) for n, rows in csv_rows if 0 < n < len(vs)]
    if streamed:
        n, rows = streamed[len(streamed) // 2]
        print(
            f"sweep.csv while running: {rows} rows when {n} variants had finished (streams row by "
            "row)"
        )

    from reports.compare import comparison_data, write_comparison
    from research.luck import luck_from_results

    done = [out / "variants" / r["id"] for r in result.rows if r["status"] == "done"]
    t = time.perf_counter()
    data = comparison_data(done, "sharpe")
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    luck = luck_from_results(data.runs)
    stats = time.perf_counter() - t
    t = time.perf_counter()
    page = write_comparison(
        done, out, rank_by="sharpe", title=f"Sweep {exp.name}", luck=luck.to_dict(), data=data
    )
    built = time.perf_counter() - t
    print(f"loading the {len(done)} runs {loaded:.1f} s; overfitting statistics {stats:.1f} s; "
          f"comparison page {built:.1f} s (goal < 10 s: {'met' if built < 10 else 'NOT met'}), "
          f"{page.stat().st_size / 1e6:.1f} MB")
    print(f"MCS: {len(luck.mcs)} of {len(done)} variants; page: {page}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
