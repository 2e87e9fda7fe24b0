"""At 80 columns no word, number, date or id is broken across lines (issue 23): every token a
command prints at 80 columns is one it prints when the terminal is wide (a word cut into
"symbo" and "l" is not); columns that do not fit are dropped with a note instead. Help texts
keep example commands one per line, within 80 columns, and say a default once."""

from __future__ import annotations

import re

import click
import pytest
import typer.main
from test_terminal_width import COMMANDS

BOX = re.compile(r"[─━│┃┏┓┗┛┡┩╇╈╍═]+")


DROPPED = re.compile(r"not shown at \d+ columns: .*? shows them\)")


def _tokens(text: str) -> set[str]:
    """The words of ``text`` (table rules aside, and the note naming columns left out)."""
    return set(DROPPED.sub(" ", " ".join(BOX.sub(" ", text).split())).split())


def _run_at(cli, monkeypatch, width, argv):
    from cli import options

    for console in (options.out, options.err):
        monkeypatch.setattr(console, "_width", width)
    return cli(*argv)


# a new run's folder: its UTC time (and -2, -3); an elapsed time in a progress line (0:02)
STAMP = re.compile(r"\d{8}T\d{6}Z(-\d+)?|\b\d+:\d\d(:\d\d)?\b")


def _check_tokens(cli, monkeypatch, argv):
    """``argv`` at 80 columns and again, into other folders, at 400: the same words."""
    narrow = _run_at(cli, monkeypatch, 80, argv)
    assert narrow.code == 0, narrow.stderr
    outs = {a for prev, a in zip(argv, argv[1:], strict=False) if prev == "--out"}
    wide = _run_at(cli, monkeypatch, 400, [f"{a}-wide" if a in outs else a for a in argv])
    for result in (narrow, wide):
        result.stdout = STAMP.sub("<time>", result.stdout.replace("-wide", ""))
        result.stderr = STAMP.sub("<time>", result.stderr.replace("-wide", ""))
    broken = _tokens(narrow.stdout) - _tokens(wide.stdout)
    assert not broken, (argv, sorted(broken)[:10], narrow.stdout[:2000])
    broken = _tokens(narrow.stderr) - _tokens(wide.stderr)
    assert not broken, (argv, sorted(broken)[:10], narrow.stderr[:2000])
    _check_format(argv, narrow)


#: 0.123456789: not how a table shows a number
LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?![\w.])")


def _check_format(argv, narrow) -> None:
    """Numbers as the backtest table shows them (at most 4 decimals), and warnings and notes
    wrapped at 80 columns (a line longer is a path alone)."""
    for text in (narrow.stdout, narrow.stderr):
        assert not LONG_FLOAT.search(text), (argv, LONG_FLOAT.findall(text)[:5])
    long = [line for line in _messages(narrow.stderr) if len(line) > 80 and " " in line.strip()]
    assert not long, (argv, long[:3])


def _messages(stderr: str) -> list[str]:
    """The lines of the warnings, notes and errors in ``stderr`` (their first line and the
    indented lines that continue them), not the plain progress lines of a non-terminal."""
    found, inside = [], False
    for line in stderr.splitlines():
        inside = line.startswith(("warning: ", "note: ", "error: ")) or (
            inside and line.startswith("  "))
        if inside:
            found.append(line)
    return found


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_no_token_is_broken_at_80_columns(cli, monkeypatch, tmp_path, argv):
    extra = ["--out", str(tmp_path)] if argv[0] in ("backtest", "costs") else []
    _check_tokens(cli, monkeypatch, [*argv, *extra])


def test_study_and_runs_tables_break_no_token(cli, monkeypatch, tmp_path):
    root = tmp_path / "runs"
    common = ["--start", "2015-01-02", "--end", "2016-12-30", "--executor", "serial"]
    r = cli(
        "sweep",
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63,126",
        "--grid",
        "top_n=1,2",
        *common,
        "--out",
        str(root / "s"),
        "--no-report",
    )
    assert r.code == 0, r.stderr
    variants = sorted(str(p) for p in (root / "s" / "variants").iterdir())
    run_id = (root / "s" / "variants").iterdir().__next__().name
    for argv in (
        ["compare", *variants, "--out", str(root / "c")],
        ["runs", "--root", str(root)],
        ["runs", "--root", str(root / "s" / "variants")],
        ["runs", "show", run_id, "--root", str(root / "s" / "variants")],
        [
            "walkforward",
            "--strategy",
            "relative_momentum",
            "--grid",
            "lookback=63,126",
            *common,
            "--train",
            "1y",
            "--test",
            "6m",
            "--out",
            str(root / "w"),
            "--no-report",
        ],
    ):
        _check_tokens(cli, monkeypatch, argv)


def test_saved_run_studies_break_no_token(cli, monkeypatch, tmp_path):
    """The commands that study saved runs (regimes, attribution), events from a file, and those
    that run many variants (sweep, timing), checked as the others."""
    common = ["--start", "2015-01-02", "--end", "2016-12-30"]
    labels = tmp_path / "my_labels.csv"
    labels.write_text("date,label\n2015-01-02,before\n2016-01-04,after\n")
    dates = tmp_path / "my_dates.csv"
    dates.write_text("date,label\n2019-07-31,first cut\n2024-09-18,first cut\n")
    r = cli("backtest", "relative_momentum", *common, "--no-report",
            "--out", str(tmp_path / "runs"))
    assert r.code == 0, r.stderr
    run = str(next((tmp_path / "runs").glob("*/manifest.json")).parent)
    for argv in (["sweep", "--strategy", "relative_momentum", "--grid", "lookback=63,126", *common,
                  "--executor", "serial", "--out", str(tmp_path / "s"), "--no-report"],
                 ["timing", "relative_momentum", "-p", "rebalance=weekly", *common,
                  "--executor", "serial",
                  "--out", str(tmp_path / "t")],
                 ["regimes", run], ["regimes", run, "--regimes", str(labels)], ["attribution", run],
                 ["events", str(dates), "--target", "IWM", "--versus", "SPY", "--no-overlap"]):
        _check_tokens(cli, monkeypatch, argv)


def _commands():
    from cli.app import app
    from cli.help_text import keep_examples

    found = []

    def walk(cmd, name):
        for sub, c in (getattr(cmd, "commands", None) or {}).items():
            walk(c, f"{name} {sub}")
        if not getattr(cmd, "commands", None):
            found.append((name, cmd))

    walk(keep_examples(typer.main.get_command(app)), "smallcap")
    return found


def test_help_keeps_examples_one_per_line_within_80_columns():
    for name, cmd in _commands():
        ctx = click.Context(cmd, info_name=name, terminal_width=80, max_content_width=80)
        text = cmd.get_help(ctx)
        for line in text.splitlines():
            assert len(line) <= 80, (name, line)
            # `smallcap strategies` quoted in a sentence is fine
            bare = re.sub(r"`[^`]*`", "", line)
            # an example on a line of its own
            if "smallcap " in bare and not line.startswith("Usage:"):
                assert bare.strip().startswith("smallcap ") and bare.count("smallcap ") == 1, (
                    name,
                    line,
                )
        for param in cmd.params:
            record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
            if record:
                assert not ("(default" in record[1] and "[default:" in record[1]), (name, record)


def test_numbers_are_formatted_as_in_the_backtest_table(cli, tmp_path):
    r = cli(
        "backtest",
        "buy_and_hold",
        "--start",
        "2015-01-02",
        "--end",
        "2016-12-30",
        "--no-report",
        "--out",
        str(tmp_path),
    )
    assert r.code == 0, r.stderr
    shown = cli("runs", "show", "buy_and_hold", "--root", str(tmp_path))
    assert shown.code == 0, shown.stderr
    assert not re.search(r"\d\.\d{5,}", shown.stdout), shown.stdout  # no 16-digit floats
    assert re.search(r"  cagr: -?\d+\.\d\d%\n", shown.stdout) and re.search(
        r"  sharpe: -?\d+\.\d\d\n", shown.stdout
    )
    data = cli("data", "show", "IWM")
    assert re.search(r" 74,800\s", data.stdout), data.stdout  # volume in shares, as a whole number
    assert "74,800.0000" not in data.stdout


#: `runs show` key -> the backtest table's row (its strategy column) or line that shows it.
SAME_FIGURE = {"cagr": "CAGR", "sharpe": "Sharpe", "max_drawdown": "max drawdown",
               "exposure": "exposure", "final_equity": "final equity",
               "tracking_error": "tracking error vs bench",
               "up_capture": "up capture (months) vs bench",
               "down_capture": "down capture (months) vs bench",
               "tracking_error_twin": "tracking error vs twin", "risk_free": "risk-free:"}


def test_runs_show_words_each_figure_as_the_backtest_does(cli, tmp_path):
    """`runs show` of a run prints each figure as the run's own backtest output did: percentages,
    money, the twin's weights and the cash rate in words (not 0.3333333333333333 or a dict)."""
    r = cli("backtest", "relative_momentum", "--start", "2015-01-02", "--end", "2016-12-30",
            "--no-report", "--out", str(tmp_path))
    assert r.code == 0, r.stderr
    table = {line.strip(" │").split("  ")[0].strip(): line for line in r.stdout.splitlines()}
    shown = cli("runs", "show", "relative_momentum", "--root", str(tmp_path)).stdout
    values = dict(line.strip().split(": ", 1) for line in shown.splitlines()[2:] if ": " in line)
    for key, label in SAME_FIGURE.items():
        line = table.get(label) or next(x for x in r.stdout.splitlines() if x.startswith(label))
        assert values[key] in line, (key, values[key], line)
    assert values["breakeven_bps"] == "n/a"  # relative_momentum trails SPY at any cost
    assert values["twin_weights"] == "IWM/QQQ/SPY equally"  # metrics.json keeps keys sorted
    assert "twin: not rotating, holding IWM/SPY/QQQ equally" in r.stdout


def test_long_warnings_are_wrapped(cli, tmp_path):
    """The first README backtest warns of orders refused for cash: wrapped at 80 columns."""
    r = cli("backtest", "relative_momentum", "--no-report", "--out", str(tmp_path))
    assert r.code == 0, r.stderr
    assert "warning: " in r.stderr
    assert all(len(line) <= 80 for line in r.stderr.splitlines()), r.stderr


def test_the_streaks_summaries_have_one_line_per_horizon(cli):
    r = cli("streaks", "--symbol", "RUT", "--target", "IWM")
    assert r.code == 0, r.stderr
    for title in ("IWM after the events vs any session", "SPY after the events vs any session"):
        block = r.stdout.split(title)[1].split("─")[-1].splitlines()[1:]
        lines = block[:[line.strip() for line in block].index("")]
        # none wrapped
        assert len(lines) >= 4 and all(line.split()[0].startswith("+") for line in lines), block
