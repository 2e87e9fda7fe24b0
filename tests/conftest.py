"""Shared fixtures: the bundled data (real prices) and an in-process CLI runner."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.data.catalog import bundled_root


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*argv: str) -> CliResult:
    """Run ``smallcap ARGV`` in-process and capture exit code, stdout and stderr."""
    from cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session", autouse=True)
def own_cache_folder(tmp_path_factory):
    """The tests' caches (NYSE session table, parsed series, compiled templates, strategy
    documents) go to a folder of the session's, never the user's; processes the tests start
    inherit it. Tests about a cache set their own."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("SMALLCAP_CACHE_DIR")
    os.environ["SMALLCAP_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("SMALLCAP_CACHE_DIR", None)
    else:
        os.environ["SMALLCAP_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def bundled() -> Path:
    return bundled_root()


def assert_one_line_error(result: CliResult, *needles: str) -> None:
    """A user error: exit 2, exactly one non-empty line on stderr, no traceback."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path



def _tree_state(root: Path) -> set[str] | None:
    """``git status --porcelain --ignored`` of the checkout, without the tools' own caches and
    the virtualenv (None outside a git checkout or without git)."""
    import subprocess

    try:
        out = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=root,
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    skip = (".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".egg-info", ".mypy_cache",
            ".import_linter_cache", ".grimp_cache", ".hypothesis", ".coverage")
    # files that appear or vanish (edits of tracked files are a developer's, while tests run)
    return {line for line in out.stdout.splitlines()
            if line[:2] in ("??", "!!", " D", "D ") and not any(s in line for s in skip)}


@pytest.fixture(scope="session", autouse=True)
def working_tree_unchanged():
    """The suite leaves the checkout as it found it (issue 23): no ``runs/sweep-*`` left behind
    by a walk-forward, no page or cache written next to the sources. Fails the session's last
    test (as a teardown error) naming what appeared or changed."""
    root = Path(__file__).resolve().parents[1]
    before = _tree_state(root)
    yield
    after = _tree_state(root)
    if before is not None and after is not None:
        assert after == before, f"the test suite changed the checkout: {sorted(after ^ before)}"
