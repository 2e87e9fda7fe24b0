"""Strategies users write themselves: a file outside the package runs from the CLI (backtest,
sweep, strategies), an installed package adds strategies through an entry point, and a broken
file is a one-line error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import assert_one_line_error

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_rotation.py"
WINDOW = ("--start", "2015-01-02", "--end", "2016-12-30")


@pytest.fixture
def user_file(tmp_path) -> Path:
    """The README's example strategy, copied to a folder outside the package."""
    target = tmp_path / "elsewhere" / "my_rotation.py"
    target.parent.mkdir()
    shutil.copy(EXAMPLE, target)
    return target


def test_readme_shows_the_example_file_verbatim():
    readme = (ROOT / "README.md").read_text()
    assert EXAMPLE.read_text().strip() in readme


def test_backtest_runs_a_strategy_from_a_file(cli, user_file, tmp_path):
    r = cli(
        "backtest",
        "small_cap_trend",
        "--strategy-file",
        str(user_file),
        "-p",
        "lookback=100",
        *WINDOW,
        "--no-report",
        "--out",
        str(tmp_path / "runs"),
        "--json",
    )
    assert r.code == 0, r.stderr
    run_dir = next((tmp_path / "runs").glob("*small_cap_trend*"))
    config = tomllib.loads((run_dir / "config.toml").read_text())
    assert config["strategy_file"] == str(user_file.resolve())
    assert config["params"]["lookback"] == 100
    decisions = (run_dir / "decisions.csv").read_text()
    assert "sessions ago" in decisions  # the user's own reason text
    # re-runnable from its config.toml alone
    again = cli(
        "backtest",
        "--config",
        str(run_dir / "config.toml"),
        "--no-report",
        "--out",
        str(tmp_path / "again"),
    )
    assert again.code == 0, again.stderr
    first = (run_dir / "returns.csv").read_text()
    assert (
        next((tmp_path / "again").glob("*small_cap_trend*")) / "returns.csv"
    ).read_text() == first


def test_strategies_lists_a_file_strategy(cli, user_file):
    r = cli("strategies", "small_cap_trend", "--strategy-file", str(user_file), "--json")
    assert r.code == 0, r.stderr
    assert '"lookback"' in r.stdout and "trend window" in r.stdout


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_sweep_runs_a_file_strategy(cli, user_file, tmp_path, executor):
    r = cli(
        "sweep",
        "--strategy",
        "small_cap_trend",
        "--strategy-file",
        str(user_file),
        "--grid",
        "lookback=50,100",
        *WINDOW,
        "--executor",
        executor,
        "--workers",
        "2",
        "--no-report",
        "--out",
        str(tmp_path / executor),
    )
    assert r.code == 0, r.stderr + r.stdout
    csv = (tmp_path / executor / "sweep.csv").read_text().splitlines()
    assert len(csv) == 3 and all(",done," in line for line in csv[1:])


@pytest.mark.parametrize("body, needle", [
    ("def broken(:\n", "line 1"),
    ("x = 1\n", "registers no strategy"),
    ("raise RuntimeError('boom')\n", "boom"),
    ("from strategies import RotationStrategy, register\n@register\nclass A(RotationStrategy):\n"
     "    name = 'buy_and_hold'\n", "is taken"),
])
def test_a_bad_strategy_file_is_one_line(cli, tmp_path, body, needle):
    path = tmp_path / "bad.py"
    path.write_text(body)
    assert_one_line_error(cli("strategies", "--strategy-file", str(path)), needle)


def test_a_missing_strategy_file_is_one_line(cli, tmp_path):
    assert_one_line_error(
        cli("backtest", "x", "--strategy-file", str(tmp_path / "nope.py")), "not a .py file"
    )


def test_an_installed_package_adds_a_strategy_through_an_entry_point(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EXAMPLE, site / "acme_rotation.py")
    dist = site / "acme_rotation-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rotation\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[smallcap.strategies]\nacme = acme_rotation\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, "-m", "cli.app", "strategies", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert '"name": "small_cap_trend"' in out.stdout and '"name": "relative_momentum"' in out.stdout


def test_a_plugin_edited_in_place_is_listed_afresh(tmp_path):
    """The listing cache notices an installed plug-in edited in place (its folder's modification
    time unchanged): the entry records the plug-in's files."""
    site = tmp_path / "site"
    site.mkdir()
    module = site / "acme_rotation.py"
    shutil.copy(EXAMPLE, module)
    dist = site / "acme_rotation-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rotation\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[smallcap.strategies]\nacme = acme_rotation\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
           "SMALLCAP_CACHE_DIR": str(tmp_path / "cache")}

    def listing() -> str:
        out = subprocess.run([sys.executable, "-m", "cli.app", "strategies", "--json"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return out.stdout

    first = listing()
    assert '"name": "small_cap_trend"' in first and listing() == first  # built, then cached
    folder = os.stat(site)
    text = module.read_text()
    assert '"small_cap_trend", ' in text
    module.write_text(text.replace('"small_cap_trend", ', '"small_cap_trend_v2", '))
    os.utime(site, ns=(folder.st_atime_ns, folder.st_mtime_ns))  # an edit, not an install
    assert '"name": "small_cap_trend_v2"' in listing()
