"""The README is in step with the tool (issue 23): every `smallcap` command it shows parses, the
quick ones run as written (in a scratch folder, in the order shown), the strategy list is the
registry's, the July figures are what `data returns` reports over the windows they name, and
what it says about --json is true."""

from __future__ import annotations

import glob
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer.main

README = Path(__file__).resolve().parent.parent / "README.md"
#: Shown in the quickstart and run as written here; the others (sweeps, walk-forward, timing over
#: full histories: minutes each) are checked to parse, and run in their own tests.
QUICK = (
    "strategies",
    "backtest",
    "compare",
    "report",
    "streaks",
    "events",
    "data",
    "signal",
    "runs",
)


def readme_commands() -> list[str]:
    """Every `smallcap ...` line of the README's code blocks (comments and `$ ` prompts removed)."""
    text, found = README.read_text(), []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("smallcap "):
                found.append(re.sub(r"\s+#.*$", "", line))
    return found


def _app() -> click.Group:
    from cli.app import app

    return typer.main.get_command(app)


def _leaf(argv: list[str]) -> tuple[click.Command, list[str]]:
    command, rest = _app(), argv
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    return command, rest


def test_every_readme_command_parses():
    commands = readme_commands()
    assert len(commands) > 20
    for line in commands:
        argv = shlex.split(line)[1:]
        command, rest = _leaf(argv)
        try:
            command.make_context(" ".join(argv[:1]), list(rest), resilient_parsing=False)
        except click.UsageError as exc:
            pytest.fail(f"README: `{line}`: {exc.format_message()}")


def test_quick_readme_commands_run_as_written(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(README.parent / "examples")
    (tmp_path / "my_dates.csv").write_text(
        "date,label\n2019-07-31,first cut\n2024-09-18,first cut\n"
    )
    quickstart = README.read_text().split("## CLI quickstart")[1].split("```")[1]
    ran = 0
    for line in readme_commands():
        if line not in quickstart or line.split()[1] not in QUICK:
            continue
        argv = []
        for word in shlex.split(line)[1:]:
            if word == "runs/<run>":
                word = sorted(glob.glob("runs/*relative_momentum*"))[0]
            argv += sorted(glob.glob(word)) if "*" in word else [word]
        r = cli(*argv)
        assert r.code == 0, (line, r.stderr)
        ran += 1
    assert ran >= 15


def test_the_strategy_list_is_the_registrys():
    """The generator runs in a process of its own, as a user runs it: strategies that other
    tests load from their own files into this process are not the registry's."""
    generated = subprocess.run([sys.executable, "-m", "tools.readme_table", "--strategies"],
                               cwd=README.parent, capture_output=True, text=True, check=True).stdout
    text = README.read_text()
    start, end = "<!-- strategy-list:start -->\n", "<!-- strategy-list:end -->"
    assert text[text.index(start) + len(start):text.index(end)].strip() == generated.strip()


def test_the_july_figures_name_their_windows(cli):
    text = " ".join(README.read_text().split())
    for start, end, words in (
        (
            "2024-06-14",
            "2024-07-16",
            "gained {} from the close of 2024-06-14 to the close of 2024-07-16",
        ),
        (
            "2024-06-28",
            "2024-07-31",
            "({} over calendar July, close 2024-06-28 to close 2024-07-31)",
        ),
    ):
        r = cli("data", "returns", "RUT", "--from", start, "--to", end, "--json")
        assert r.code == 0, r.stderr
        value = json.loads(r.stdout)["RUT"]
        shown = f"{value:.2%}" if "gained" in words else f"{value:+.2%}"
        assert words.format(shown) in text, words.format(shown)


def test_what_the_readme_says_about_json_is_true():
    without = []

    def walk(command, name):
        subs = getattr(command, "commands", None)
        for sub, c in (subs or {}).items():
            walk(c, f"{name} {sub}".strip())
        if not subs and not any("--json" in p.opts for p in command.params):
            without.append(name)

    walk(_app(), "")
    assert sorted(without) == ["runs gc", "runs open", "runs rm"]
    assert "(`runs open`,\n`runs rm` and `runs gc` act on files" in README.read_text()
