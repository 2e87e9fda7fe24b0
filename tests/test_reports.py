"""Reports from saved runs: tearsheet, comparison page, runs index, and a real-browser check."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from browser import needs_browser, open_page

from engine.config import RunConfig
from engine.runner import run_backtest
from reports._render import number
from reports.compare import METRIC_COLUMNS, write_comparison
from reports.index import write_index
from reports.tearsheet import METRIC_ROWS, write_tearsheet

SHOTS = Path(os.environ.get("SMALLCAP_SCREENSHOTS", Path(__file__).parent.parent / ".screenshots"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    dirs = []
    for lookback in (63, 126):
        for top_n in (1, 2):
            cfg = RunConfig(strategy="relative_momentum", params={"lookback": lookback, "top_n": top_n},
                            start="2019-03-01", end="2021-06-30")
            dirs.append(run_backtest(cfg).save(root))
    dirs.append(run_backtest(RunConfig(strategy="buy_and_hold", params={"symbol": "IWM"}, start="2019-03-01",
                                       end="2021-06-30")).save(root))
    return root, dirs


@pytest.fixture(scope="module")
def tearsheet(runs):
    return write_tearsheet(runs[1][0])


def test_tearsheet_shows_the_saved_metrics_and_settings(runs, tearsheet):
    html = tearsheet.read_text()
    metrics = json.loads((runs[1][0] / "metrics.json").read_text())
    shown = dict(re.findall(r'<td data-key="(\w+)">([^<]*)</td>', html))
    for _, key, fmt in METRIC_ROWS:
        assert shown[key] == number(metrics[key], fmt), key
    assert "2019-03-01 .. 2021-06-30" in html  # the evaluated window
    assert "relative_momentum" in html and "lookback=63" in html
    assert "\ufe6a" not in html and "CAGR%" in html  # no missing-glyph box
    assert ">close<" not in html and "SPY" in html  # the benchmark is named by its symbol
    assert not re.search(r'<script[^>]+src="https?:', html) and "qtpylib.io" not in html
    assert 'onload="save()"' not in html


def test_tearsheet_monthly_table_is_blank_outside_the_data(tearsheet):
    html = tearsheet.read_text()
    table = html[html.index('<table class="monthly">'):]
    first_row = table[table.index("<td>2019</td>"):table.index("</tr>", table.index("<td>2019</td>"))]
    cells = re.findall(r"<td style=\"background:[^\"]*\">([^<]*)</td>", first_row)
    assert cells[:2] == ["", ""]  # January, February 2019: before the data
    assert cells[2] != ""  # March 2019: the first month of the run


def test_comparison_links_every_run_and_shows_saved_metrics(runs):
    root, dirs = runs
    page = write_comparison(dirs, root / "compare", rank_by="sharpe")
    html = page.read_text()
    for d in dirs:
        assert f'href="../{d.name}' in html
        metrics = json.loads((d / "metrics.json").read_text())
        row = html[html.index(f'data-run="{d.name}"'):]
        row = row[:row.index("</tr>")]
        for _, key, fmt in METRIC_COLUMNS:
            assert f'data-key="{key}" data-value="{metrics[key]}"' in row, key
            assert f">{number(metrics[key], fmt)}</td>" in row
    assert (page.parent / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r'<script[^>]+src="https?:', html)
    assert 'id="heatmap"' not in html  # runs differ in strategy too: no two-parameter heatmap


def test_heatmap_when_runs_differ_in_exactly_two_parameters(runs):
    root, dirs = runs
    html = write_comparison(dirs[:4], root / "grid", rank_by="cagr").read_text()
    assert 'id="heatmap"' in html and "lookback" in html and "top_n" in html
    values = [json.loads((d / "metrics.json").read_text())["cagr"] for d in dirs[:4]]
    order = [html.index(f'data-run="{d.name}"') for d in dirs[:4]]
    ranked = [v for _, v in sorted(zip(order, values, strict=True))]
    assert ranked == sorted(values, reverse=True)


def test_runs_index_lists_runs_and_comparisons(runs):
    root, dirs = runs
    write_comparison(dirs, root / "compare")
    html = write_index(root).read_text()
    for d in dirs:
        assert f'href="{d.name}/"' in html
    assert 'href="compare/comparison.html"' in html


@needs_browser
@pytest.mark.browser
def test_pages_render_in_headless_chromium_offline(runs, tearsheet):
    root, dirs = runs
    comparison = write_comparison(dirs, root / "compare")
    SHOTS.mkdir(exist_ok=True)
    for name, page in (("tearsheet", tearsheet), ("comparison", comparison), ("index", write_index(root))):
        visit = open_page(page, SHOTS / f"{name}.png")
        assert visit.console_errors == [] and visit.page_errors == [], name
        assert visit.remote_requests == [], name
        assert visit.screenshot_has_content(), name


def test_comparison_warns_when_periods_differ(runs, tmp_path):
    root, dirs = runs
    assert "different periods" not in write_comparison(dirs, tmp_path / "same").read_text()
    other = run_backtest(RunConfig(strategy="buy_and_hold", start="2020-01-02", end="2021-06-30")).save(tmp_path)
    html = write_comparison([dirs[0], other], tmp_path / "mixed").read_text()
    assert "cover 2 different periods (starts 2019-03-01 to 2020-01-02)" in html
