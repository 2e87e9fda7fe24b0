"""The command line keeps one module per command family, and every command stays thin."""

from __future__ import annotations

import inspect

from cli.app import app


def _commands():
    """(name, callback) of every command, the groups' sub-commands included."""
    for info in app.registered_commands:
        yield info.name, info.callback
    for group in app.registered_groups:
        for info in group.typer_instance.registered_commands:
            yield f"{group.name} {info.name}", info.callback


def test_every_command_lives_in_a_family_module_and_is_at_most_50_lines():
    seen = set()
    for name, callback in _commands():
        module = callback.__module__
        assert module.startswith("cli.") and module.endswith("_cmds"), (name, module)
        lines = len(inspect.getsource(callback).splitlines())
        assert lines <= 50, f"`smallcap {name}` is {lines} lines: move work into cli.present, " \
                            "cli.progress or the library"
        seen.add(module)
    assert {"cli.backtest_cmds", "cli.study_cmds", "cli.event_cmds", "cli.data_cmds",
            "cli.runs_cmds"} <= seen


def test_the_families_hold_the_commands_named_in_the_layout():
    where = {name: callback.__module__ for name, callback in _commands()}
    for module, names in {"cli.backtest_cmds": ("backtest", "report", "compare", "signal",
                                                "strategies"),
                          "cli.study_cmds": ("sweep", "walkforward", "timing"),
                          "cli.event_cmds": ("streaks", "events")}.items():
        for name in names:
            assert where[name] == module, name


def test_the_replay_tool_is_hidden_from_users(cli, tmp_path):
    """``replay_targets`` (the walk-forward's out-of-sample path) is never listed, suggested or
    run from a command; the engine still runs and reloads it (tests/test_walkforward.py)."""
    from conftest import assert_one_line_error

    listing = cli("strategies", "--json")
    assert listing.code == 0 and "replay_targets" not in listing.stdout
    for args in (("backtest", "replay_targets", "--no-report", "--out", str(tmp_path)),
                 ("strategies", "replay_targets"),
                 ("signal", "replay_targets"),
                 ("timing", "replay_targets", "--out", str(tmp_path / "t")),
                 ("sweep", "--strategy", "replay_targets", "--grid", "tolerance=0.01,0.02",
                  "--out", str(tmp_path / "s"))):
        r = cli(*args)
        assert_one_line_error(r, "unknown strategy 'replay_targets'")
        assert "replay_targets" not in r.stderr.split("valid:")[-1], args
    near = cli("backtest", "replay_target", "--no-report", "--out", str(tmp_path))
    assert_one_line_error(near, "unknown strategy")
    assert "replay_targets" not in near.stderr
    assert not list(tmp_path.glob("*replay*"))
