"""The runs index lists every page the tool writes (issue 23): tearsheets with their runs, and
comparisons, walk-forward, timing, costs, streaks and events pages and any new study's page,
discovered by the generator tag every page carries rather than by a list of file names. Every
command that writes a page adds it to the index itself (the catalog the page draws from)."""

from __future__ import annotations

from engine.catalog_file import NAME, read_catalog
from reports.index import find_pages, write_index
from reports.study_page import StudyPage, write_study_page

COMMON = ["--start", "2015-01-02", "--end", "2016-12-30"]


def _listed(root) -> set[str]:
    """What the index of ``root`` links to: pages by file, runs by folder (their tearsheet too)."""
    entries = read_catalog(root / NAME)[0]
    return {p for p, e in entries.items()} | {f"{p}/tearsheet.html" for p, e in entries.items()
                                              if e.get("tearsheet")}


def _written(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.html")
            if p.name != "index.html" and "variants" not in p.parts}


def test_every_command_that_writes_a_page_under_a_runs_folder_lists_it_in_its_index(cli, tmp_path):
    root = tmp_path / "runs"
    grid = ["--strategy", "relative_momentum", "--grid", "lookback=63,126", *COMMON,
            "--executor", "serial"]
    for argv in (["backtest", "relative_momentum", *COMMON, "--out", str(root)],
                 ["sweep", *grid, "--out", str(root / "sweep")],
                 ["walkforward", *grid, "--train", "1y", "--test", "6m", "--out", str(root / "wf")],
                 ["timing", "relative_momentum", "-p", "rebalance=monthly", *COMMON,
                  "--executor", "serial", "--out", str(root / "timing")],
                 ["costs", "buy_and_hold", "--start", "2015-01-02", "--end", "2015-06-30",
                  "--out", str(root / "costs")],
                 ["streaks", "--symbol", "IWM", "--html", str(root / "streaks" / "iwm.html")],
                 ["events", "fomc-first-cuts", "--html", str(root / "events" / "cuts.html")]):
        r = cli(*argv)
        assert r.code == 0, (argv[0], r.stderr)
        missing = _written(root) - _listed(root)  # listed by the command itself, no rescan
        assert missing == set(), (argv[0], sorted(missing))
    entries = read_catalog(root / NAME)[0]
    assert {"comparison", "walk-forward", "timing", "costs", "streaks", "events"} <= \
        {e.get("kind") for e in entries.values()}
    assert "wf/oos/walkforward-oos" in entries


def test_a_page_outside_any_runs_folder_writes_no_index(cli, tmp_path):
    r = cli("streaks", "--symbol", "IWM", "--html", str(tmp_path / "mine" / "iwm.html"))
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["iwm.html"]


def test_a_rebuild_finds_every_page_by_its_generator_tag(tmp_path):
    root = tmp_path / "runs"
    # a study page of a kind this module has never heard of
    write_study_page(StudyPage(title="Breakeven costs", subtitle="x", kind="costs"),
                     root / "costs-1" / "costs.html")
    write_index(root)
    entries = read_catalog(root / NAME)[0]
    assert entries["costs-1/costs.html"]["kind"] == "costs"
    assert entries["costs-1/costs.html"]["title"] == "Breakeven costs"
    assert {p["kind"] for p in find_pages(root)} == {"costs"}


def test_a_users_page_in_a_runs_folder_is_listed_by_its_name(tmp_path):
    root = tmp_path / "runs"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "my-notes.html").write_text(
        "<html><head><title>My notes</title></head></html>")
    pages = find_pages(root)
    assert [(p["kind"], p["title"], p["link"]) for p in pages] == [
        ("my-notes", "My notes", "notes/my-notes.html")]
