"""`make demo` and `make test` show the install as it happens (issue 23): no ``--quiet`` pip
behind a blank screen, and a line saying what is being installed before each pip step."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["demo", "test"])
def test_install_steps_say_what_they_do(target, tmp_path):
    # a dry run against a venv that does not exist lists every install step the target takes
    plan = subprocess.run(["make", "-n", f"VENV={tmp_path / 'venv'}", target], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.splitlines()
    installs = [i for i, line in enumerate(plan) if "pip install" in line]
    assert len(installs) >= 2, plan  # pip itself, then the project
    for i in installs:
        words = plan[i].split()
        assert "--quiet" not in words and "-q" not in words, plan[i]
        assert plan[i - 1].startswith("echo ") and "install" in plan[i - 1], plan[i - 1:i + 1]
