"""Scale: a 1,000-variant sweep on 2 workers, then its statistics and comparison page, read the
old way (every run's CSV files) and from the sweep's columnar store (``engine.sweep_store``),
side by side in one run.

The sweep itself (1,000 variants x ~5,200 sessions, minutes) is cached in ``--cache`` (default
``/tmp/bench-sweep-1000``) and reused; a fresh one prints variants per minute and each worker's
peak memory. Then, on the finished sweep:

* **load + statistics**, old path (``comparison_data`` reads every run's files, then
  ``luck_from_results``) against the new (``open_store`` and ``luck_from_store``): seconds and
  the ratio (goal: new under 5 s);
* **the comparison page**, old and new;
* **``smallcap sweep --resume``** of the finished sweep with nothing left to run, which rewrites
  the statistics and the page, end to end in its own process (goal: under 15 s).

    .venv/bin/python bench/sweep_1000.py [--variants 1000] [--cache DIR] [--skip-old]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sweep_scaling import variants

from engine.sweep import run_sweep


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t


def _experiment_toml(vs, path: Path) -> Path:
    """The bench's variants as an experiment file (explicit params: the same ids as the grid's)."""
    lines = ['name = "bench"', "[defaults]", 'start = "2005-01-03"']
    for v in vs:
        p = v.config.params
        lines += [
            "[[variants]]",
            'strategy = "relative_momentum"',
            f"params = {{ lookback = {p.lookback}, top_n = {p.top_n}, "
            f"absolute = {str(p.absolute).lower()} }}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _sweep(vs, out: Path) -> None:
    """Run (or finish) the cached sweep, printing speed and worker memory when it runs."""
    arrivals: list[tuple[int, float]] = []
    result, elapsed = _timed(
        run_sweep,
        vs,
        out,
        executor="process",
        workers=2,
        resume=True,
        on_result=lambda r: (
            arrivals.append((r["pid"], r["peak_rss_mb"]))
            if "pid" in r and not r.get("resumed")
            else None
        ),
    )
    ran = len(vs) - result.skipped
    if not ran:
        print(f"cached sweep: {out} ({len(vs)} variants)")
        return
    print(f"{ran} variants on 2 workers: {elapsed:.0f} s = {ran / elapsed * 60:.0f} variants/min")
    per_worker: dict[int, list[float]] = defaultdict(list)
    for pid, rss in arrivals:
        per_worker[pid].append(rss)
    for pid, rss in sorted(per_worker.items()):
        tenth = rss[min(9, len(rss) - 1)]
        print(
            f"worker {pid}: {len(rss)} variants, peak RSS after the 10th {tenth:.0f} MB, "
            f"after the last {rss[-1]:.0f} MB ({rss[-1] / tenth - 1:+.1%})"
        )


def old_path(done: list[Path], out: Path) -> dict[str, float]:
    """Every run's CSV files read, then the statistics and the page (the code before the store)."""
    from reports.compare import comparison_data, write_comparison
    from research.luck import luck_from_results

    data, load = _timed(comparison_data, done, "sharpe")
    luck, stats = _timed(luck_from_results, data.runs)
    _, page = _timed(
        write_comparison, done, out, rank_by="sharpe", title="old", luck=luck.to_dict(), data=data
    )
    return {"load": load, "stats": stats, "page": page, "luck": luck.to_dict()}


def new_path(sweep: Path, ids: list[str], out: Path) -> dict[str, float]:
    """The store opened (rebuilt first if missing: timed apart), the statistics, the page."""
    from engine.sweep_store import open_store
    from reports.compare import write_comparison
    from reports.store_compare import store_comparison_data
    from research.store_luck import luck_from_store

    def opened():
        store = open_store(sweep)
        store.returns(), store.metrics(), store.params()  # read, as the statistics will
        return store

    store, load = _timed(opened)
    luck, stats = _timed(luck_from_store, store, ids)
    done = [sweep / "variants" / i for i in ids]
    data, page_data = _timed(store_comparison_data, store, ids, "sharpe")
    _, page = _timed(
        write_comparison, done, out, rank_by="sharpe", title="new", luck=luck.to_dict(), data=data
    )
    return {"load": load, "stats": stats, "page": page_data + page, "luck": luck.to_dict()}


def _row(name: str, old: float | None, new: float) -> str:
    ratio = f"x{old / new:6.1f}" if old else ""
    shown = f"{old:8.1f} s" if old is not None else "       - "
    return f"  {name:22s} {shown} {new:8.1f} s  {ratio}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--cache", default="/tmp/bench-sweep-1000", help="where the sweep is kept")
    ap.add_argument("--skip-old", action="store_true", help="time the new path only")
    args = ap.parse_args()
    vs = variants(args.variants, lookback_step=3)
    cache = Path(args.cache)
    sweep = cache / ("sweep" if args.variants == 1000 else f"sweep-{args.variants}")
    if (sweep / "variants").is_dir() and not (sweep / "store").exists():
        from engine.sweep_store import open_store  # a sweep cached before the store existed

        _, built = _timed(open_store, sweep)
        print(f"store built from the run folders (once): {built:.1f} s")
    _sweep(vs, sweep)
    ids = sorted(v.id for v in vs)
    done = [sweep / "variants" / i for i in ids]
    pages = cache / "pages"
    shutil.rmtree(pages, ignore_errors=True)
    old = None if args.skip_old else old_path(done, pages / "old")
    new = new_path(sweep, ids, pages / "new")
    if old is not None and old["luck"] != new["luck"]:
        print("WARNING: the statistics differ between the old and the new path")
    print(f"{len(ids)} variants x {vs[0].config.start or '2005'}..: old path (CSV files) vs store")
    o = old or {}
    print(_row("load", o.get("load"), new["load"]))
    print(_row("statistics", o.get("stats"), new["stats"]))
    print(
        _row(
            "load + statistics",
            o.get("load", 0) + o.get("stats", 0) if old else None,
            new["load"] + new["stats"],
        )
        + "  (goal <= 5 s)"
    )
    print(_row("comparison page", o.get("page"), new["page"]))
    toml = _experiment_toml(vs, cache / f"experiment-{args.variants}.toml")
    cmd = [
        str(Path(sys.executable).parent / "smallcap"),
        "sweep",
        str(toml),
        "--out",
        str(sweep),
        "--resume",
        "--json",
    ]
    proc, resumed = _timed(subprocess.run, cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"smallcap sweep --resume failed: {proc.stderr.strip()[-400:]}")
    print(
        f"  smallcap sweep --resume, nothing to run, statistics and page rewritten: "
        f"{resumed:.1f} s end to end (goal <= 15 s)"
    )


if __name__ == "__main__":
    main()
