"""The runs index lists every page the tool writes (issue 23): tearsheets with their runs, and
comparisons, walk-forward, timing and streaks pages and any new study's page, discovered by the
generator tag every page carries rather than by a list of file names."""

from __future__ import annotations

import re

from reports.index import find_pages, write_index
from reports.study_page import StudyPage, write_study_page

COMMON = ["--start", "2015-01-02", "--end", "2016-12-30"]


def _links(index_html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', index_html))


def test_every_page_written_under_a_runs_folder_is_in_its_index(cli, tmp_path):
    root = tmp_path / "runs"
    grid = [
        "--strategy",
        "relative_momentum",
        "--grid",
        "lookback=63,126",
        *COMMON,
        "--executor",
        "serial",
    ]
    for argv in (
        ["backtest", "relative_momentum", *COMMON, "--out", str(root)],
        ["sweep", *grid, "--out", str(root / "sweep")],
        ["walkforward", *grid, "--train", "1y", "--test", "6m", "--out", str(root / "wf")],
        [
            "timing",
            "relative_momentum",
            "-p",
            "rebalance=monthly",
            *COMMON,
            "--executor",
            "serial",
            "--out",
            str(root / "timing"),
        ],
        ["streaks", "--symbol", "IWM", "--html", str(root / "streaks" / "iwm.html")],
    ):
        r = cli(*argv)
        assert r.code == 0, (argv[0], r.stderr)
    # a study page of a kind this module has never heard of
    write_study_page(
        StudyPage(title="Breakeven costs", subtitle="x", kind="costs"),
        root / "costs-1" / "costs.html",
    )
    html = write_index(root).read_text()
    links = _links(html)
    written = {p.relative_to(root).as_posix() for p in root.rglob("*.html")
               if p.name != "index.html" and "variants" not in p.parts}
    missing = {page for page in written
               if page not in links and page.removesuffix("tearsheet.html") not in links}
    assert missing == set(), sorted(missing)
    kinds = {p["kind"] for p in find_pages(root)}
    assert {"comparison", "walk-forward", "timing", "streaks", "costs"} <= kinds, kinds
    assert 'data-kind="costs"' in html and "Breakeven costs" in html


def test_a_users_page_in_a_runs_folder_is_listed_by_its_name(tmp_path):
    root = tmp_path / "runs"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "my-notes.html").write_text(
        "<html><head><title>My notes</title></head></html>"
    )
    pages = find_pages(root)
    assert [(p["kind"], p["title"], p["link"]) for p in pages] == [
        ("my-notes", "My notes", "notes/my-notes.html")
    ]
