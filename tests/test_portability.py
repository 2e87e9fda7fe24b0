"""Without the POSIX-only modules (Windows has no ``fcntl`` or ``resource``) the package still
imports; a command that needs a file lock stops with one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_WITHOUT_POSIX = """
import sys
sys.modules["fcntl"] = None  # `import fcntl` now raises ImportError, as on Windows
sys.modules["resource"] = None
import core.locks, core.processes
assert core.locks.fcntl is None and core.processes.peak_rss_mb() is None
from cli.app import _run
sys.exit(_run(sys.argv[1:]))
"""


def test_a_sweep_without_fcntl_is_one_line(tmp_path):
    args = ["sweep", "--strategy", "buy_and_hold", "--grid", "symbol=SPY,IWM", "--start",
            "2020-01-02", "--end", "2020-03-31", "--executor", "serial", "--no-report",
            "--out", str(tmp_path / "s")]
    r = subprocess.run([sys.executable, "-c", _WITHOUT_POSIX, *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "no POSIX file locks (fcntl)" in lines[0] and "hint:" in lines[0]
    assert not (tmp_path / "s" / "sweep.csv").exists()


def test_peak_memory_is_in_megabytes():
    from core.processes import peak_rss_mb

    assert 10 < peak_rss_mb() < 100_000
