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
#: Shown in the quickstart and run as written here, in every `make test`; every command of the
#: README (sweeps, walk-forward, timing over full histories: minutes each) runs as written in
#: tests/test_readme_long.py (`make readme-check`, which CI runs after `make test`).
QUICK = ("strategies", "backtest", "compare", "report", "streaks", "events", "data", "signal",
         "runs")


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


#: What the README's placeholders stand for in the scratch folder its commands run in.
PLACEHOLDERS = {"runs/<run>": "runs/*relative_momentum*", "runs/<other>": "runs/*breadth_streak*"}


def as_written(line: str) -> list[str]:
    """The arguments of README ``line`` as a shell in the current folder passes them: globs
    expanded, ``runs/<run>`` (``<other>``) the first saved run of relative_momentum
    (breadth_streak), optional ``[...]`` arguments given as one run folder, or left out."""
    line = line.replace("[runs/<other> ...]", "runs/<other>").replace("[...]", "")
    argv = []
    for word in shlex.split(line)[1:]:
        if word in PLACEHOLDERS:
            runs = [p for p in sorted(glob.glob(PLACEHOLDERS[word]))
                    if Path(p, "manifest.json").exists()]
            assert runs, (line, word)
            word = runs[0]
        argv += sorted(glob.glob(word)) if "*" in word else [word]
    return argv


def scratch_folder(folder: Path) -> Path:
    """A folder to run README commands in as a user would in a clone: ``examples/`` and the
    files the README's commands name (my_dates.csv, my_labels.csv)."""
    (folder / "examples").symlink_to(README.parent / "examples")
    (folder / "my_dates.csv").write_text("date,label\n2019-07-31,first cut\n2024-09-18,first cut\n")
    (folder / "my_labels.csv").write_text("date,label\n2005-01-03,before\n2020-03-23,after\n")
    return folder


def test_quick_readme_commands_run_as_written(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(scratch_folder(tmp_path))
    quickstart = README.read_text().split("## CLI quickstart")[1].split("```")[1]
    ran = 0
    for line in readme_commands():
        if line not in quickstart or line.split()[1] not in QUICK:
            continue
        r = cli(*as_written(line))
        assert r.code == 0, (line, r.stderr)
        ran += 1
    assert ran >= 15


def shown_outputs() -> list[tuple[str, list[str]]]:
    """Every README block that shows a command's output: (``smallcap ...``, the lines shown)."""
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", README.read_text(), re.S):
        lines = block.rstrip("\n").split("\n")
        if lines[0].startswith("$ smallcap ") and len(lines) > 1:
            found.append((lines[0].removeprefix("$ "), lines[1:]))
    return found


def test_shown_output_is_what_the_command_prints():
    """A block showing `$ smallcap ...` and its output shows exactly what the command prints at
    80 columns (trailing blanks aside); a block ending in `...` shows its first lines exactly."""
    from tools.readme_july2024 import printed

    blocks = shown_outputs()
    assert len(blocks) >= 4
    for command, shown in blocks:
        real = printed(command)
        if shown[-1] == "...":
            shown = shown[:-1]
            real = real[:len(shown)]
        assert shown == real, (command, shown, real)


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
