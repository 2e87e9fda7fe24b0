"""Nothing important off-screen at 1280 px (issue 28): in headless Chromium at 1280x900, on each
page type, the figures a reader came for are within the viewport's width, or inside a box of
their own that scrolls sideways (and the page itself never scrolls sideways):

* comparison: the luck columns PSR, DSR and MCS (in view without scrolling), the newest calendar
  year (first), and the run column still in view when the wide table is scrolled to its end;
* tearsheet: the newest year of the monthly table (first), the rolling-returns table and the
  metric tables;
* walk-forward: the in-sample and out-of-sample Sharpe columns;
* streaks: the "in words" column of its summary.
"""

from __future__ import annotations

import pytest
from browser import ARGS, CHROMIUM, needs_browser

pytestmark = [needs_browser, pytest.mark.browser]

#: For an element: "viewport" if it lies within the window's width, "box" if it is inside a box
#: that scrolls sideways and that box lies within the width, else "off-screen".
WHERE = """el => {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.left >= 0 && r.right <= window.innerWidth + 0.5) return "viewport";
  for (let a = el.parentElement; a; a = a.parentElement) {
    const style = getComputedStyle(a);
    if (["auto", "scroll"].includes(style.overflowX) && a.scrollWidth > a.clientWidth) {
      const b = a.getBoundingClientRect();
      return b.left >= 0 && b.right <= window.innerWidth + 0.5 ? "box" : "off-screen";
    }
  }
  return "off-screen";
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory, request):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("fit")
    grid = [
        "--grid",
        "lookback=21,63,126,252",
        "--grid",
        "top_n=1,2,3",
        "--grid",
        "absolute=false,true",
    ]
    assert run_cli("sweep", "--strategy", "relative_momentum", *grid, "--start", "2022-01-03",
                   "--executor", "serial", "--out", str(root / "sweep")).code == 0
    assert run_cli("walkforward", "--strategy", "relative_momentum", "--grid", "lookback=63,126",
                   "--grid", "top_n=1,2", "--start", "2016-01-04", "--train", "2y", "--test", "1y",
                   "--out", str(root / "wf")).code == 0
    assert run_cli("streaks", "--target", "IWM", "--versus", "SPY",
                   "--html", str(root / "streaks.html")).code == 0
    assert run_cli("backtest", "relative_momentum", "--start", "2021-01-04",
                   "--out", str(root / "runs")).code == 0
    tearsheet = next((root / "runs").glob("*/tearsheet.html"))
    return {
        "comparison": root / "sweep" / "comparison.html",
        "walkforward": root / "wf" / "walkforward.html",
        "streaks": root / "streaks.html",
        "tearsheet": tearsheet,
    }


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        yield page
        chromium.close()


def _open(page, path):
    page.goto(path.resolve().as_uri(), wait_until="load")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{path.name} scrolls sideways: {widths}"


def _where(page, selector: str) -> list[str]:
    places = page.eval_on_selector_all(selector, f"els => els.map({WHERE})")
    assert places, selector
    return places


def test_comparison_luck_columns_newest_year_and_sticky_run_column(browser, pages):
    _open(browser, pages["comparison"])
    headers = browser.eval_on_selector_all(
        "#metrics thead th.luck", "els => els.map(e => e.textContent)"
    )
    # PSR, DSR
    assert len(headers) == 3 and headers[-1] == "MCS" and all("SR" in h for h in headers[:2])
    assert set(_where(browser, "#metrics thead th.luck")) == {"viewport"}  # no scrolling needed
    assert set(_where(browser, "#metrics thead th.key")) == {"viewport"}
    years = browser.eval_on_selector_all(
        "#calendar th[data-year]", "els => els.map(e => +e.dataset.year)"
    )
    assert years == sorted(years, reverse=True) and len(years) >= 3
    assert _where(browser, f"#calendar th[data-year='{years[0]}']") == ["viewport"]
    assert set(_where(browser, "#relative thead th")) <= {"viewport", "box"}
    box = browser.locator("#metrics").locator("xpath=..")
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    scrolled, run_cell, box_left = box.evaluate(
        "b => [b.scrollLeft, b.querySelector('tbody tr td.variant').getBoundingClientRect().left,"
        " b.getBoundingClientRect().left]")
    assert scrolled > 0  # the table is wider than its box ...
    assert box_left <= run_cell <= box_left + 60  # ... and the run column stays at its left edge


def test_tearsheet_newest_year_and_tables(browser, pages):
    _open(browser, pages["tearsheet"])
    years = browser.eval_on_selector_all("table.monthly tbody tr td:first-child",
                                         "els => els.map(e => +e.textContent)")
    assert years == sorted(years, reverse=True)
    assert _where(browser, "table.monthly tbody tr:first-child td") == ["viewport"] * 14
    assert set(_where(browser, "#rolling-returns th")) == {"viewport"}
    assert set(_where(browser, "table.run-metrics td")) == {"viewport"}


def test_walkforward_sharpe_columns(browser, pages):
    _open(browser, pages["walkforward"])
    sharpe = browser.eval_on_selector_all(
        "th", "els => els.filter(e => /sharpe/i.test(e.textContent)).length"
    )
    assert sharpe >= 2
    places = browser.eval_on_selector_all(
        "th", f"els => els.filter(e => /sharpe/i.test(e.textContent)).map({WHERE})")
    assert set(places) <= {"viewport", "box"}, places


def test_streaks_summary_in_words(browser, pages):
    _open(browser, pages["streaks"])
    places = browser.eval_on_selector_all(
        "table th", f"els => els.filter(e => /in words/.test(e.textContent)).map({WHERE})")
    assert places and set(places) <= {"viewport", "box"}, places
