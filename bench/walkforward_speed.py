"""Walk-forward cost: a 16-variant, 15-fold walk-forward against the 16-variant sweep it builds on,
side by side in one run (same machine, same executor). Goal: at most 2x the sweep.

The walk-forward reuses the variants' runs (one sweep), ranks them per fold on saved returns and
replays the choices as one more backtest; it never re-runs a variant per fold.

    .venv/bin/python bench/walkforward_speed.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from cli.study_glue import prepare_sweep, walkforward_from_cli
from engine.sweep import run_sweep

GRID = {"lookback": ["21", "42", "63", "126", "189", "252", "378", "504"], "top_n": ["1", "2"]}
PERIOD = ("2005-01-03", "2025-09-26")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, warm, _, _ = prepare_sweep(
            None, "relative_momentum", {"lookback": ["63"]}, {}, *PERIOD, None
        )
        run_sweep(warm, root / "warm", executor="process", workers=2)  # warm the worker imports
        _, variants, _, _ = prepare_sweep(None, "relative_momentum", GRID, {}, *PERIOD, None)
        t = time.perf_counter()
        run_sweep(variants, root / "sweep", executor="process", workers=2)
        sweep = time.perf_counter() - t
        t = time.perf_counter()
        doc = walkforward_from_cli(
            None,
            "relative_momentum",
            GRID,
            {},
            *PERIOD,
            str(root / "wf"),
            "5y",
            "1y",
            report=False,
            executor="process",
            workers=2,
        )
        wf = time.perf_counter() - t
    print(
        f"16-variant sweep: {sweep:.2f} s; walk-forward with {len(doc['folds'])} folds: {wf:.2f} s "
        f"({wf / sweep:.2f}x the sweep; goal <= 2x: {'met' if wf / sweep <= 2 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
