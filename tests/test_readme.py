"""The README's strategy table is what the code produces today (no numbers typed by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_strategy_table_is_current():
    from reports.markdown import demo_table

    text = README.read_text()
    start, end = "<!-- strategy-table:start -->\n", "<!-- strategy-table:end -->"
    shown = text[text.index(start) + len(start):text.index(end)].strip()
    assert shown == demo_table().strip(), "run: python -m reports.markdown and paste between the markers"


def test_readme_names_the_two_commands_first():
    text = README.read_text()
    assert text.index("make demo") < text.index("## CLI quickstart")
    assert "make test" in text
