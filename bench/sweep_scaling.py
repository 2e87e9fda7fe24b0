"""Sweep scaling: 24 variants serially, on a 2-process pool, on a 2-worker Dask LocalCluster the
sweep starts itself, and on a 2-worker Dask cluster already running (started outside the timing,
as a cluster a team keeps up; ``--scheduler`` mode).

Prints variants per minute for each executor and the ratios (vs serial, and Dask vs the process
pool: the goal is a running cluster within 15% of the pool), then peak memory (max RSS) per
worker over a longer sweep (default 200 variants) on the process pool.

    .venv/bin/python bench/sweep_scaling.py [--variants 24] [--memory-variants 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from engine.sweep import Experiment, VariantSpec, expand, run_sweep


def experiment(lookback_step: int = 7) -> Experiment:
    """Relative momentum over lookback (21..756 sessions by ``lookback_step``) x top_n x absolute,
    2005-2025."""
    grid = {
        "lookback": list(range(21, 757, lookback_step)),
        "top_n": [1, 2, 3],
        "absolute": [False, True],
    }
    return Experiment(name="bench", defaults={"start": "2005-01-03"},
                      variants=[VariantSpec(strategy="relative_momentum", grid=grid)])


def variants(n: int, lookback_step: int = 7):
    """``n`` distinct variants of :func:`experiment`, spread over its grid."""
    everything = expand(experiment(lookback_step))
    step = max(1, len(everything) // n)
    return everything[::step][:n]


def timed(executor: str, vs, workers: int | None, root: Path, scheduler: str | None = None,
          name: str | None = None) -> tuple[float, list[dict]]:
    t = time.perf_counter()
    result = run_sweep(
        vs, root / (name or executor), executor=executor, workers=workers, scheduler=scheduler
    )
    elapsed = time.perf_counter() - t
    failed = [r for r in result.rows if r["status"] != "done"]
    if failed:
        raise SystemExit(f"{executor}: {len(failed)} variants failed: {failed[0]['error']}")
    return elapsed, result.rows


def main() -> None:  # a script
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=24)
    ap.add_argument("--memory-variants", type=int, default=200)
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of process pool vs running Dask cluster",
    )
    args = ap.parse_args()
    vs = variants(args.variants)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # imports and data cache, outside the timings
        run_sweep(vs[:1], root / "warm", executor="serial")
        rates = {}
        for name, executor, workers in (
            ("serial", "serial", None),
            ("dask, new local cluster", "dask", 2),
        ):
            elapsed, _ = timed(
                executor, vs, workers, root, None, name.replace(" ", "_").replace(",", "")
            )
            rates[name] = len(vs) / elapsed * 60
            print(
                f"{name:24s} {len(vs)} variants in {elapsed:6.1f} s = {rates[name]:6.1f} "
                "variants/min"
            )
        from dask.distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as running:
            times: dict[str, list[float]] = {"process": [], "dask, running cluster": []}
            for round_ in range(args.rounds):  # interleaved: the machine's noise hits both alike
                for name, executor, scheduler in (
                    ("process", "process", None),
                    ("dask, running cluster", "dask", running.scheduler_address),
                ):
                    elapsed, _ = timed(executor, vs, 2, root, scheduler, f"{executor}{round_}")
                    times[name].append(elapsed)
            for name, values in times.items():
                elapsed = statistics.median(values)
                rates[name] = len(vs) / elapsed * 60
                print(
                    f"{name:24s} {len(vs)} variants in {elapsed:6.1f} s = {rates[name]:6.1f} "
                    f"variants/min (median of {args.rounds})"
                )
        print(
            f"scaling vs serial: process x{rates['process'] / rates['serial']:.2f}, dask (new "
            f"cluster) x{rates['dask, new local cluster'] / rates['serial']:.2f}, dask (running "
            f"cluster) x{rates['dask, running cluster'] / rates['serial']:.2f} (2 workers each)"
        )
        gap = rates["process"] / rates["dask, running cluster"] - 1
        print(
            f"running Dask cluster vs process pool: {gap:+.0%} time "
            f"({'within' if gap <= 0.15 else 'NOT within'} 15%)"
        )
        if args.memory_variants:
            big = variants(args.memory_variants)
            elapsed, rows = timed("process", big, 2, root / "memory")
            peak = defaultdict(float)
            first = {}
            for r in rows:
                first.setdefault(r["pid"], r["peak_rss_mb"])
                peak[r["pid"]] = max(peak[r["pid"]], r["peak_rss_mb"])
            for pid, mb in sorted(peak.items()):
                print(
                    f"worker {pid}: peak RSS {mb:.0f} MB (after its first variant {first[pid]:.0f} "
                    "MB)"
                )
            print(
                f"{len(big)} variants in {elapsed:.0f} s on 2 processes "
                f"({len(big) / elapsed * 60:.0f}/min)"
            )


if __name__ == "__main__":
    main()
