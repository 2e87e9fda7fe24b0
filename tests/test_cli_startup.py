"""`smallcap --help` must stay quick: no pandas, backtrader or quantstats at start-up."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_does_not_load_heavy_libraries():
    code = ("import sys, cli.app; heavy = [m for m in ('pandas', 'numpy', 'backtrader', 'quantstats', "
            "'matplotlib', 'yfinance') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_and_version_run_as_a_process():
    out = subprocess.run([sys.executable, "-m", "cli.app", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "data" in out.stdout
    out = subprocess.run([sys.executable, "-m", "cli.app", "data", "show", "NOPE"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "unknown symbol 'NOPE'" in out.stderr
