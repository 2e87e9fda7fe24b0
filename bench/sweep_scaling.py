"""Sweep scaling: 24 variants serially, on a 2-process pool and on a 2-worker Dask LocalCluster.

Prints variants per minute for each executor and the scaling ratios (vs serial), then peak memory
(max RSS) per worker over a longer sweep (default 200 variants) on the process pool.

    .venv/bin/python bench/sweep_scaling.py [--variants 24] [--memory-variants 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from engine.sweep import Experiment, VariantSpec, expand, run_sweep


def variants(n: int):
    """``n`` distinct relative-momentum variants (lookback x top_n x absolute), 2005-2025."""
    grid = {"lookback": list(range(21, 757, 7)), "top_n": [1, 2, 3], "absolute": [False, True]}
    exp = Experiment(name="bench", defaults={"start": "2005-01-03"},
                     variants=[VariantSpec(strategy="relative_momentum", grid=grid)])
    everything = expand(exp)
    step = max(1, len(everything) // n)
    return everything[::step][:n]


def timed(executor: str, vs, workers: int | None, root: Path) -> tuple[float, list[dict]]:
    t = time.perf_counter()
    result = run_sweep(vs, root / executor, executor=executor, workers=workers)
    elapsed = time.perf_counter() - t
    failed = [r for r in result.rows if r["status"] != "done"]
    if failed:
        raise SystemExit(f"{executor}: {len(failed)} variants failed: {failed[0]['error']}")
    return elapsed, result.rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=24)
    ap.add_argument("--memory-variants", type=int, default=200)
    args = ap.parse_args()
    vs = variants(args.variants)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_sweep(vs[:1], root / "warm", executor="serial")  # imports and data cache, outside the timings
        rates = {}
        for executor, workers in (("serial", None), ("process", 2), ("dask", 2)):
            elapsed, _ = timed(executor, vs, workers, root)
            rates[executor] = len(vs) / elapsed * 60
            print(f"{executor:8s} {len(vs)} variants in {elapsed:6.1f} s = {rates[executor]:6.1f} variants/min")
        print(f"scaling vs serial: process x{rates['process'] / rates['serial']:.2f}, "
              f"dask x{rates['dask'] / rates['serial']:.2f} (2 workers each)")
        if args.memory_variants:
            big = variants(args.memory_variants)
            elapsed, rows = timed("process", big, 2, root / "memory")
            peak = defaultdict(float)
            first = {}
            for r in rows:
                first.setdefault(r["pid"], r["peak_rss_mb"])
                peak[r["pid"]] = max(peak[r["pid"]], r["peak_rss_mb"])
            for pid, mb in sorted(peak.items()):
                print(f"worker {pid}: peak RSS {mb:.0f} MB (after its first variant {first[pid]:.0f} MB)")
            print(f"{len(big)} variants in {elapsed:.0f} s on 2 processes ({len(big) / elapsed * 60:.0f}/min)")


if __name__ == "__main__":
    main()
