"""The README's strategy table is what the code produces today (no numbers typed by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_strategy_table_is_current():
    from tools.readme_table import demo_table

    text = README.read_text()
    start, end = "<!-- strategy-table:start -->\n", "<!-- strategy-table:end -->"
    shown = text[text.index(start) + len(start):text.index(end)].strip()
    assert shown == demo_table().strip(), (
        "run: python -m tools.readme_table and paste between the markers"
    )


def test_readme_names_the_two_commands_first():
    text = README.read_text()
    assert text.index("make demo") < text.index("## CLI quickstart")
    assert "make test" in text


@pytest.mark.slow
def test_readme_july_2024_section_is_what_the_commands_report():
    from tools.readme_july2024 import july_2024_section

    text = README.read_text()
    start, end = "<!-- july-2024:start -->\n", "<!-- july-2024:end -->"
    shown = text[text.index(start) + len(start):text.index(end)].strip()
    assert shown == july_2024_section().strip(), (
        "run: python -m tools.readme_july2024 and paste between the markers"
    )


def test_july_2024_numbers_match_the_cli(cli):
    """Numbers of the section against the commands' --json, run as a user would."""
    import json

    r = cli("data", "returns", "RSP", "SPY", "--from", "2024-07-09", "--to", "2024-07-16", "--json")
    doc = json.loads(r.stdout)
    text = README.read_text()
    for symbol in ("RSP", "SPY"):
        row = f" {symbol:<6}   {doc[symbol]:+.2%}   total return   2024-07-09   2024-07-16\n"
        assert row in text, row
    r = cli("streaks", "--symbol", "RUT", "--start", "2024-06-03", "--target", "IWM",
            "--horizons", "5,10,20,50", "--context", "NVDA", "--json")
    episode = json.loads(r.stdout)["episodes"][0]
    assert f" {episode['signal_date']}     {episode['forward']['5']:+.2%}" in text
    assert f" run 5 {episode['run_gain']:+.1%}   {episode['versus_forward']['5']:+.2%}" in text
    assert f"{episode['context']['NVDA']['run']:+.1%} /" in text


@pytest.mark.slow
def test_readme_gem_block_is_what_the_example_gives():
    from tools.readme_gem import gem_section

    text = README.read_text()
    start, end = "<!-- gem:start -->\n", "<!-- gem:end -->"
    shown = text[text.index(start) + len(start):text.index(end)].strip()
    hint = "run: python -m tools.readme_gem and paste between the markers"
    assert shown == gem_section().strip(), hint
