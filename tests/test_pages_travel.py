"""Pages that travel: a self-contained page renders its charts when copied alone (offline); pages in
a runs folder share one plotly.js (small pages) and say so if moved without it; the comparison page
fits 1280 px without sideways scrolling."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser import ARGS, CHROMIUM, needs_browser

from engine.config import RunConfig
from engine.runner import run_backtest
from reports.compare import write_comparison


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved")
    return [
        run_backtest(
            RunConfig(
                strategy="relative_momentum",
                params={"lookback": lb},
                start="2018-01-02",
                end="2020-12-31",
            )
        ).save(root)
        for lb in (63, 126)
    ]


def _visit(page_path: Path, width: int = 1280) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        remote = []
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("file:", "data:", "blob:", "about:"))
                else remote.append(r.url)
            ),
        )
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(800)
        out = page.evaluate("""() => ({plotly: !!window.Plotly,
                                       charts: document.querySelectorAll('.main-svg').length,
                                       missing: !!document.getElementById('missing-plotly'),
                                       scroll: document.documentElement.scrollWidth})""")
        browser.close()
    return {**out, "remote": remote}


def test_shared_pages_are_small_and_share_one_plotly(two_runs, tmp_path):
    page = write_comparison(two_runs, tmp_path / "runs" / "cmp")
    assert (tmp_path / "runs" / "plotly.min.js").exists() and not (
        tmp_path / "runs" / "cmp" / "plotly.min.js"
    ).exists()
    assert page.stat().st_size < 1_500_000
    again = write_comparison(two_runs, tmp_path / "runs" / "cmp2")
    assert again.stat().st_size < 1_500_000 and len(list((tmp_path / "runs").glob("*.js"))) == 1


@needs_browser
def test_a_self_contained_page_copied_alone_draws_its_charts(two_runs, tmp_path):
    page = write_comparison(two_runs, tmp_path / "runs" / "cmp", self_contained=True)
    alone = tmp_path / "elsewhere" / "copy.html"
    alone.parent.mkdir()
    shutil.copy(page, alone)
    visit = _visit(alone)
    assert visit["plotly"] and visit["charts"] >= 4, visit
    assert visit["remote"] == []


@needs_browser
def test_a_shared_page_draws_in_place_and_explains_when_moved(two_runs, tmp_path):
    page = write_comparison(two_runs, tmp_path / "runs" / "cmp")
    in_place = _visit(page)
    assert in_place["plotly"] and in_place["charts"] >= 4 and not in_place["missing"]
    assert in_place["scroll"] <= 1280, in_place  # no sideways scrolling at 1280 px
    alone = tmp_path / "elsewhere" / "copy.html"
    alone.parent.mkdir()
    shutil.copy(page, alone)
    moved = _visit(alone)
    assert not moved["plotly"] and moved["missing"]


def test_streaks_html_is_self_contained_and_drops_nothing_beside_it(cli, tmp_path):
    r = cli("streaks", "--html", str(tmp_path / "x.html"))
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.html"]
    assert "Plotly" in (tmp_path / "x.html").read_text()[:6_000_000]
