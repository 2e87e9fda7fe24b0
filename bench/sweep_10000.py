"""Scale: a 10,000-variant sweep on 2 workers, then its statistics and comparison page.

The grid: relative momentum over lookback 21..520 sessions x top_n 1, 2 x absolute off, on x
rebalance_offset 0..4 (10,000 variants; adjacent lookbacks are near-clones, as in a real grid),
on a short window (default 2019-01-02 .. 2024-12-31: about 1,500 sessions; each variant's
warm-up comes from the data before it) so that the sweep fits in an hour on a shared 2-core
machine. Prints:

* variants per minute;
* peak memory (max RSS) of each worker after its 100th variant and after its last, and of the
  driver (this process) after the 100th variant finished and at the end: flat means under 10%
  growth from the 100th to the last;
* the store's size on disk (``engine.sweep_store``; without it, the run folders are read);
* the time of loading the returns and of the overfitting statistics (PBO, SPA, MCS, effective
  trials, DSR: ``research.luck``), with the MCS statistic used;
* the comparison page's build time and size.

    .venv/bin/python bench/sweep_10000.py [--variants 10000] [--start 2019-01-02] [--keep DIR]
        [--resume]

``--resume`` with ``--keep``: the sweep already in DIR is re-read, nothing left to run (the
statistics and the page again, e.g. once the store is there).

``--variants N`` takes an evenly spread N of the grid (develop with 1,000).
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from core.processes import peak_rss_mb
from engine.sweep import Experiment, VariantSpec, expand, run_sweep

WARM = 100  # the variant after which memory must stay flat


def experiment(start: str, end: str) -> Experiment:
    """The 10,000-variant grid on the window ``start`` .. ``end``."""
    grid = {
        "lookback": list(range(21, 521)),
        "top_n": [1, 2],
        "absolute": [False, True],
        "rebalance_offset": [0, 1, 2, 3, 4],
    }
    return Experiment(
        name="scale",
        defaults={"start": start, "end": end},
        variants=[VariantSpec(strategy="relative_momentum", grid=grid)],
    )


def spread(variants: list, n: int) -> list:
    """``n`` of ``variants`` evenly spread over the grid."""
    if n >= len(variants):
        return variants
    step = len(variants) / n
    return [variants[int(i * step)] for i in range(n)]


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def memory_lines(arrivals: list[tuple[int, float]], driver: dict[str, float]) -> list[str]:
    """Per worker and for the driver: peak RSS after the WARM-th variant and at the end."""
    per_worker: dict[int, list[float]] = defaultdict(list)
    for pid, rss in arrivals:
        per_worker[pid].append(rss)
    lines = []
    for pid, rss in sorted(per_worker.items()):
        warm = rss[min(WARM, len(rss)) - 1]
        growth = rss[-1] / warm - 1
        lines.append(
            f"worker {pid}: {len(rss)} variants, peak RSS after its {min(WARM, len(rss))}th "
            f"{warm:.0f} MB, after its last {rss[-1]:.0f} MB ({growth:+.1%}: "
            f"{'flat' if growth < 0.10 else 'GROWS'})"
        )
    if "warm" in driver and "last" in driver:
        growth = driver["last"] / driver["warm"] - 1
        lines.append(
            f"driver: peak RSS after {WARM} variants {driver['warm']:.0f} MB, after the last "
            f"{driver['last']:.0f} MB ({growth:+.1%}: {'flat' if growth < 0.10 else 'GROWS'}); "
            f"after the store's final compaction {driver['end']:.0f} MB"
        )
    return lines


def sweep(vs: list, out: Path, resume: bool) -> tuple[list[dict], float, list[str]]:
    """Run the sweep; (rows, seconds, memory lines)."""
    arrivals: list[tuple[int, float]] = []  # (worker pid, its peak RSS in MB), as variants finish
    driver: dict[str, float] = {}
    finished = itertools.count(1)
    t0 = time.perf_counter()

    def arrived(row: dict) -> None:
        n = next(finished)
        if row.get("peak_rss_mb") is not None:
            arrivals.append((row["pid"], row["peak_rss_mb"]))
        if n == WARM:
            driver["warm"] = peak_rss_mb() or 0.0
        if n == len(vs):
            driver["last"] = peak_rss_mb() or 0.0
        if n % 500 == 0:
            print(f"  {n} variants, {time.perf_counter() - t0:.0f} s", flush=True)

    result = run_sweep(vs, out, executor="process", workers=2, on_result=arrived, resume=resume)
    elapsed = time.perf_counter() - t0
    driver["end"] = peak_rss_mb() or 0.0
    return result.rows, elapsed, memory_lines(arrivals, driver)


def statistics(out: Path, done: list[Path]):
    """(luck report, load seconds, statistics seconds, source) from the store when there is
    one, else from the run folders."""
    from research.luck import luck_from_results

    try:
        from engine.sweep_store import open_store
        from research.store_luck import luck_from_store
    except ImportError:
        open_store = None
    if open_store is not None:
        t = time.perf_counter()
        store = open_store(out)
        store.returns()
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        luck = luck_from_store(store)
        return luck, loaded, time.perf_counter() - t, "store"
    from engine.results import BacktestResult

    t = time.perf_counter()
    runs = [BacktestResult.load(d, tables=()) for d in done]
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    luck = luck_from_results(runs)
    return luck, loaded, time.perf_counter() - t, "run folders"


def page(out: Path, done: list[Path], luck) -> tuple[float, float]:
    """(seconds, MB) of the comparison page of the sweep, its data read from the store as
    ``smallcap sweep`` reads it (from the run folders without one)."""
    from reports.compare import comparison_data, write_comparison

    t = time.perf_counter()
    try:
        from engine.sweep_store import open_store
        from reports.store_compare import store_comparison_data
    except ImportError:
        data = comparison_data(done, "sharpe")
    else:
        data = store_comparison_data(open_store(out), [d.name for d in done], "sharpe")
    written = write_comparison(
        done, out, rank_by="sharpe", title="Sweep scale", luck=luck.to_dict(), data=data
    )
    return time.perf_counter() - t, written.stat().st_size / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=10_000)
    ap.add_argument("--start", default="2019-01-02")
    ap.add_argument("--end", default="2024-12-31")
    ap.add_argument("--keep", help="leave the sweep in this folder (default: a temporary one)")
    ap.add_argument("--resume", action="store_true", help="with --keep: reuse the sweep there")
    args = ap.parse_args()
    vs = spread(expand(experiment(args.start, args.end)), args.variants)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    out = root / "sweep"
    if not (args.resume and args.keep):
        shutil.rmtree(out, ignore_errors=True)
    print(
        f"{len(vs)} variants of relative_momentum, {args.start} .. {args.end}, 2 workers",
        flush=True,
    )
    rows, elapsed, memory = sweep(vs, out, args.resume)
    failed = [r for r in rows if r["status"] != "done"]
    note = f", {len(failed)} failed: {failed[0].get('error')}" if failed else ""
    print(f"sweep: {elapsed:.0f} s = {len(vs) / elapsed * 60:.0f} variants/min{note}")
    print("\n".join(memory))
    store = out / "store"
    print(
        f"store: {folder_mb(store):.1f} MB"
        if store.exists()
        else "store: none (engine.sweep_store not there): statistics read the run folders"
    )
    print(f"run folders: {folder_mb(out / 'variants'):.0f} MB", flush=True)
    done = [out / "variants" / r["id"] for r in rows if r["status"] == "done"]
    luck, loaded, stats, source = statistics(out, done)
    print(
        f"statistics of {len(done)} variants x {luck.sessions} sessions from the {source}: load "
        f"{loaded:.1f} s, statistics {stats:.1f} s (PBO {luck.pbo['pbo'] if luck.pbo else None}, "
        f"SPA p {luck.spa_pvalue}, MCS {len(luck.mcs)} by T_{luck.mcs_method}, "
        f"{luck.answer.n_effective if luck.answer else 0:.0f} effective trials)",
        flush=True,
    )
    seconds, mb = page(out, done, luck)
    print(f"comparison page: {seconds:.1f} s, {mb:.2f} MB (goal: at most 2 MB; plotly.js shared)")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
