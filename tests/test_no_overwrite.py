"""No user file is overwritten (issue 23): a user's ``index.html`` and ``plotly.min.js`` beside
and inside every ``--out`` of every command stay as they were; the runs index goes elsewhere
and the command says where; tool-owned runs folders are marked and keep their shared files."""

from __future__ import annotations

import pytest

from reports.folders import MARKER

COMMON = ["--start", "2015-01-02", "--end", "2016-12-30"]
GRID = [
    "--strategy",
    "relative_momentum",
    "--grid",
    "lookback=63,126",
    *COMMON,
    "--executor",
    "serial",
]
USER_FILES = ("index.html", "plotly.min.js")


def _commands(variants):
    return {
        "backtest": ["backtest", "relative_momentum", *COMMON],
        "sweep": ["sweep", *GRID],
        "compare": ["compare", *variants],
        "walkforward": ["walkforward", *GRID, "--train", "1y", "--test", "6m"],
        "timing": [
            "timing",
            "relative_momentum",
            "-p",
            "rebalance=monthly",
            *COMMON,
            "--executor",
            "serial",
        ],
        "costs": ["costs", "breadth_streak", *COMMON],
    }


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("runs") / "s"
    r = run_cli("sweep", *GRID, "--out", str(folder), "--no-report")
    assert r.code == 0, r.stderr
    return sorted(str(p) for p in (folder / "variants").iterdir())


def _plant(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in USER_FILES:
        (folder / name).write_text(f"a user's own {name} in {folder.name}\n")


def test_every_command_with_an_out_folder_is_covered():
    """A command that gains --out must be added to the test below."""
    import typer.main

    from cli.app import app

    group = typer.main.get_command(app)
    with_out = set()
    for name, command in group.commands.items():
        subs = getattr(command, "commands", {name: command})
        for sub, cmd in subs.items():
            if any("--out" in p.opts for p in cmd.params):
                with_out.add(name if sub == name else f"{name} {sub}")
    assert with_out <= set(_commands([])), sorted(with_out - set(_commands([])))


@pytest.mark.parametrize("command", sorted(_commands([])))
def test_user_files_beside_and_inside_out_survive(cli, tmp_path, variants, command):
    home, out = tmp_path / "home", tmp_path / "home" / "out"
    _plant(home)
    _plant(out)
    r = cli(*_commands(variants)[command], "--out", str(out))
    for folder in (home, out):
        for name in USER_FILES:
            assert (folder / name).read_text() == f"a user's own {name} in {folder.name}\n", (
                command,
                r.stderr,
            )
        assert not (folder / MARKER).exists()
    if r.code == 0:
        assert "runs index written to" in r.stderr, r.stderr
    else:  # refusing to write into a folder of the user's is fine too, with a one-line reason
        assert r.code == 2 and "error:" in r.stderr, r.stderr


def test_pages_in_a_foreign_folder_carry_plotly_inline(cli, tmp_path, variants):
    home = tmp_path / "home"
    _plant(home)
    r = cli("compare", *variants, "--out", str(home / "c"))
    assert r.code == 0, r.stderr
    page = (home / "c" / "comparison.html").read_text()
    assert 'src="../plotly.min.js"' not in page and "plotly.js v" in page


def test_a_runs_folder_of_the_tool_is_marked_and_shares_one_script(cli, tmp_path, variants):
    root = tmp_path / "runs"
    r = cli("compare", *variants, "--out", str(root / "c"))
    assert r.code == 0, r.stderr
    assert (root / MARKER).is_file() and (root / "index.html").is_file()
    assert 'src="../plotly.min.js"' in (root / "c" / "comparison.html").read_text()
    assert "runs index written to" not in r.stderr
    # a user's notes in a marked folder do not make it foreign; a user's index.html does
    (root / "notes.txt").write_text("mine\n")
    assert cli("compare", *variants, "--out", str(root / "d")).code == 0
    assert "Runs in" in (root / "index.html").read_text()
    (root / "index.html").write_text("my page\n")
    r = cli("compare", *variants, "--out", str(root / "e"))
    assert r.code == 0 and (root / "index.html").read_text() == "my page\n"
    assert "runs index written to" in r.stderr
