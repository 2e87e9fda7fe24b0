"""Engine speed: the same backtest fed by backtrader's stock PandasData and by our ArrayFeed.

25 years x 3 ETFs (IWM, SPY, QQQ; 2000-2025), monthly relative momentum, whole shares, open fills.
Runs both feeds alternately (so machine noise hits both alike), prints median wall times, the
ratio, and checks the final values are identical. Then profiles one fast run.

    .venv/bin/python bench/engine_speed.py [--repeats 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

from engine.config import RunConfig
from engine.data import load_market_data
from engine.runner import run_backtest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="print the top functions of one fast run")
    args = ap.parse_args()
    data = load_market_data(["IWM", "SPY", "QQQ"], ["DGS2"])
    cfg = RunConfig(strategy="relative_momentum", params={"assets": ["IWM", "SPY", "QQQ"]})
    run_backtest(cfg, data)  # warm imports (quantstats) outside the timings
    times: dict[str, list[float]] = {"pandas": [], "array": []}
    finals: dict[str, set] = {"pandas": set(), "array": set()}
    for _ in range(args.repeats):
        for feed in ("pandas", "array"):
            t = time.perf_counter()
            result = run_backtest(cfg, data, machinery={"pandas": "stock", "array": "lean"}[feed])
            times[feed].append(time.perf_counter() - t)
            finals[feed].add(result.metrics["final_equity"])
    med = {k: statistics.median(v) for k, v in times.items()}
    same = finals["pandas"] == finals["array"] and len(finals["array"]) == 1
    print(f"sessions: {len(data.sessions)} x 3 ETFs, repeats: {args.repeats}")
    print(f"PandasData median: {med['pandas']:.3f} s   ArrayFeed median: {med['array']:.3f} s")
    print(f"speed-up: {med['pandas'] / med['array']:.2f}x   final values identical: {same} "
          f"({next(iter(finals['array'])):,.2f})")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_backtest(cfg, data)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
        print(buf.getvalue())
    if not same:
        raise SystemExit("final values differ between feeds")


if __name__ == "__main__":
    main()
