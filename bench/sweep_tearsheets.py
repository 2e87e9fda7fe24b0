"""A sweep with ``--tearsheets``: variants per minute with and without a tearsheet per variant.

Each variant is the full 25-year history on 2 process workers; every tearsheet is drawn in the
worker that ran its variant (the workers already use both cores, so the tearsheet's own figure
worker stays off there: ``reports.figure_worker.second_core_free``). A first page is drawn here
before the clock starts, so the forked workers begin with quantstats imported and matplotlib
warm, as they are after their first variant on a long sweep.

    .venv/bin/python bench/sweep_tearsheets.py [--variants 24]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sweep_scaling import variants

from engine.sweep import run_sweep
from reports.tearsheet import write_tearsheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=24)
    args = ap.parse_args()
    vs = variants(args.variants)
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = run_sweep(vs[:1], Path(tmp) / "warm", executor="serial")
        write_tearsheet(Path(tmp) / "warm" / "variants" / warm.rows[0]["id"])
        for label, hook in (("without tearsheets", None), ("with tearsheets", write_tearsheet)):
            t = time.perf_counter()
            result = run_sweep(
                vs,
                Path(tmp) / f"sweep-{len(rates)}",
                executor="process",
                workers=2,
                after_save=hook,
            )
            seconds = time.perf_counter() - t
            pages = len(list((Path(tmp) / f"sweep-{len(rates)}").glob("variants/*/tearsheet.html")))
            rates[label] = len(result.rows) / seconds * 60
            print(
                f"{label:<20} {len(result.rows)} variants in {seconds:5.1f} s = "
                f"{rates[label]:5.0f} variants/min ({pages} tearsheets)"
            )
    print(
        f"tearsheets cost {rates['without tearsheets'] / rates['with tearsheets']:.1f}x the "
        "sweep's time"
    )


if __name__ == "__main__":
    main()
