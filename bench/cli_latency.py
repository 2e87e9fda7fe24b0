"""Whole-process latency of the CLI, medians of interleaved runs, side by side in one run:

* ``python -c "import pandas, backtrader"`` (the floor a backtest cannot go below);
* ``smallcap backtest relative_momentum --no-report`` (goal: within 1.5x the floor);
* ``smallcap strategies`` and ``smallcap --help`` (goal: under 0.5 s).

    .venv/bin/python bench/cli_latency.py [--repeats 5]

Each command runs once untimed first, as after a ``pip install`` (which byte-compiles the
package): that writes the ``.pyc`` files of an editable install and the NYSE session table of
the user cache. ``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment, since
with it set every start-up would recompile this package's modules from source (site-packages,
the floor's pandas and backtrader, were compiled at install).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALLCAP = str(Path(sys.executable).parent / "smallcap")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "import pandas, backtrader": [sys.executable, "-c", "import pandas, backtrader"],
            "backtest --no-report": [
                SMALLCAP,
                "backtest",
                "relative_momentum",
                "--no-report",
                "--out",
                tmp,
            ],
            "strategies": [SMALLCAP, "strategies"],
            "--help": [SMALLCAP, "--help"],
        }
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for argv in commands.values():
            subprocess.run(argv, capture_output=True, check=True, env=env)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.repeats):
            for name, argv in commands.items():
                t = time.perf_counter()
                subprocess.run(argv, capture_output=True, check=True, env=env)
                times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["import pandas, backtrader"]
    for name, value in med.items():
        print(f"{name:<28} median {value:6.2f} s   {value / floor:5.2f}x the import floor")
    print(
        f"goal backtest <= 1.5x floor: "
        f"{'met' if med['backtest --no-report'] <= 1.5 * floor else 'NOT met'}; "
        f"strategies and --help < 0.5 s: "
        f"{'met' if max(med['strategies'], med['--help']) < 0.5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
