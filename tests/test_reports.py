"""Reports from saved runs: tearsheet, comparison page, runs index, and a real-browser check."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from browser import needs_browser, open_page

from engine.catalog_file import NAME, read_catalog
from engine.config import RunConfig
from engine.runner import run_backtest
from reports._render import number
from reports.compare import METRIC_COLUMNS, write_comparison
from reports.index import write_index
from reports.tearsheet import METRIC_ROWS, write_tearsheet

SHOTS = Path(
    os.environ.get("SMALLCAP_SCREENSHOTS", Path(tempfile.gettempdir()) / "smallcap-screenshots")
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    dirs = []
    for lookback in (63, 126):
        for top_n in (1, 2):
            cfg = RunConfig(
                strategy="relative_momentum",
                params={"lookback": lookback, "top_n": top_n},
                start="2019-03-01",
                end="2021-06-30",
            )
            dirs.append(run_backtest(cfg).save(root))
    dirs.append(
        run_backtest(
            RunConfig(
                strategy="buy_and_hold",
                params={"symbol": "IWM"},
                start="2019-03-01",
                end="2021-06-30",
            )
        ).save(root)
    )
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
    first_row = table[
        table.index("<td>2019</td>") : table.index("</tr>", table.index("<td>2019</td>"))
    ]
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
            value = "" if metrics[key] is None else metrics[key]  # a missing value is empty
            assert f'data-key="{key}" data-value="{value}"' in row, key
            assert f">{number(metrics[key], fmt)}</td>" in row
    assert (
        page.parent.parent / "plotly.min.js"
    ).stat().st_size > 1_000_000 and page.stat().st_size < 1_500_000
    assert not re.search(r'<script[^>]+src="https?:', html)
    assert 'id="heatmap0"' not in html  # runs differ in strategy too: no two-parameter heatmap


def test_heatmap_when_runs_differ_in_exactly_two_parameters(runs):
    root, dirs = runs
    html = write_comparison(dirs[:4], root / "grid", rank_by="cagr").read_text()
    assert (
        'id="heatmap0"' in html
        and 'id="heatmap1"' not in html
        and "lookback" in html
        and "top_n" in html
    )
    values = [json.loads((d / "metrics.json").read_text())["cagr"] for d in dirs[:4]]
    order = [html.index(f'data-run="{d.name}"') for d in dirs[:4]]
    ranked = [v for _, v in sorted(zip(order, values, strict=True))]
    assert ranked == sorted(values, reverse=True)


def test_runs_index_lists_runs_and_comparisons(runs):
    root, dirs = runs
    write_comparison(dirs, root / "compare")
    write_index(root)
    entries = read_catalog(root / NAME)[0]
    assert {d.name for d in dirs} <= set(entries) and "compare/comparison.html" in entries


@needs_browser
@pytest.mark.browser
def test_pages_render_in_headless_chromium_offline(runs, tearsheet):
    root, dirs = runs
    comparison = write_comparison(dirs, root / "compare")
    SHOTS.mkdir(exist_ok=True)
    for name, page in (
        ("tearsheet", tearsheet),
        ("comparison", comparison),
        ("index", write_index(root)),
    ):
        visit = open_page(page, SHOTS / f"{name}.png")
        assert visit.console_errors == [] and visit.page_errors == [], name
        assert visit.remote_requests == [], name
        assert visit.screenshot_has_content(), name


def test_comparison_warns_when_periods_differ(runs, tmp_path):
    root, dirs = runs
    assert "different periods" not in write_comparison(dirs, tmp_path / "same").read_text()
    other = run_backtest(
        RunConfig(strategy="buy_and_hold", start="2020-01-02", end="2021-06-30")
    ).save(tmp_path)
    html = write_comparison([dirs[0], other], tmp_path / "mixed").read_text()
    assert "cover 2 different periods (starts 2019-03-01 to 2020-01-02)" in html


def _qs_row(html: str, label: str) -> list[str]:
    """The cells of quantstats' metrics-table row ``label`` (benchmark first, then strategy)."""
    m = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", html, flags=re.S)
    assert m, label
    return re.findall(r"<td>([^<]*)</td>", m.group(1))


def test_tearsheet_shows_one_set_of_numbers(runs, tearsheet):
    """quantstats' table and metrics.json agree to the displayed precision (same window, rf and
    periods: no `match_dates` trimming); misleading rows are gone; the window in the header is
    ours."""
    html = tearsheet.read_text()
    m = json.loads((runs[1][0] / "metrics.json").read_text())
    pairs = {
        "CAGR﹪": ("benchmark_cagr", "cagr", "{:.2%}"),
        "Sharpe": ("benchmark_sharpe", "sharpe", "{:.2f}"),
        "Max Drawdown": ("benchmark_max_drawdown", "max_drawdown", "{:.2%}"),
    }
    for label, (bench_key, key, fmt) in pairs.items():
        cells = _qs_row(html, label.replace("﹪", "%"))
        assert float(cells[0].rstrip("%")) == pytest.approx(
            float(fmt.format(m[bench_key]).rstrip("%")), abs=0.011
        ), label
        assert float(cells[1].rstrip("%")) == pytest.approx(
            float(fmt.format(m[key]).rstrip("%")), abs=0.011
        ), label
    for label, key in (("Sortino", "sortino"), ("Calmar", "calmar")):
        assert float(_qs_row(html, label)[1]) == pytest.approx(round(m[key], 2), abs=0.011), label
    assert "Treynor" not in html
    assert "01 Mar, 2019 - 30 Jun, 2021" in html or "1 Mar, 2019 - 30 Jun, 2021" in html


def test_rolling_beta_starts_when_its_window_is_full():
    import numpy as np
    import pandas as pd

    from reports.tearsheet import rolling_beta

    idx = pd.bdate_range("2020-01-01", periods=300)
    rng = np.random.default_rng(1)
    b = pd.Series(rng.normal(0, 0.01, 300), index=idx)
    frame = pd.DataFrame({"strategy": 2 * b, "benchmark": b})
    beta = rolling_beta(frame, 126)
    assert beta.iloc[:125].isna().all()
    assert np.allclose(beta.iloc[125:], 2.0)


def test_a_short_window_warns_and_leaves_annualised_ratios_empty(cli, tmp_path):
    r = cli(
        "backtest",
        "relative_momentum",
        "--start",
        "2024-07-10",
        "--end",
        "2024-07-15",
        "--out",
        str(tmp_path),
        "--json",
        "--no-report",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    m = doc["metrics"]
    assert m["sessions"] == 4 and m["total_return"] is not None
    assert all(
        m[k] is None
        for k in ("cagr", "sharpe", "sortino", "calmar", "volatility", "benchmark_sharpe")
    )
    assert any("only 4 sessions" in w for w in doc["warnings"])
    page = write_tearsheet(Path(doc["run_dir"])).read_text()
    assert "only 4 sessions" in page


def test_refused_orders_record_the_price_the_fill_was_attempted_at():
    """IWM's first open in this window gapped up 1.44% over the decision close: the all-in buy is
    refused at that open, and orders.csv records the open, not the decision day's close."""
    from engine.data.market import load_market_data

    r = run_backtest(
        RunConfig(
            strategy="buy_and_hold",
            params={"symbol": "IWM"},
            start="2024-07-10",
            end="2024-09-30",
            broker={"cash_buffer": 0.0},
        )
    )
    refused = r.orders[r.orders["status"] != "completed"]
    assert len(refused) >= 1
    bars = load_market_data(["IWM"]).prices["IWM"]
    for o in refused.itertuples():
        assert o.price == pytest.approx(bars.loc[o.date, "open"], rel=1e-12)
        assert o.date > o.created and o.price != pytest.approx(
            bars.loc[o.created, "close"], rel=1e-9
        )


def test_quicker_quantstats_gives_the_same_page(runs, tmp_path, monkeypatch):
    """Every stand-in of ``reports.quicker_qs`` changes nothing on the page, figures included:
    byte for byte the page of quantstats' own path (which also draws the monthly heatmap the page
    never shows). matplotlib's SVG ids and date are pinned so that two drawings can be equal."""
    import contextlib

    import matplotlib
    import quantstats as qs

    import reports.tearsheet as ts

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "smallcap-test")
    drawn = []
    heatmap = qs.plots.monthly_heatmap
    monkeypatch.setattr(
        qs.plots, "monthly_heatmap", lambda *a, **k: drawn.append(1) or heatmap(*a, **k)
    )
    quick = write_tearsheet(runs[1][0], tmp_path / "quick.html", parallel=False).read_text()
    assert drawn == []
    two_processes = write_tearsheet(
        runs[1][0], tmp_path / "parallel.html", parallel=True
    ).read_text()
    monkeypatch.setattr(ts, "quicker_quantstats", lambda template: contextlib.nullcontext())
    plain = write_tearsheet(runs[1][0], tmp_path / "plain.html", parallel=False).read_text()
    assert drawn == [1]
    assert quick == plain == two_processes
    assert quick.count("<svg") > 8 and "SMALLCAP:FIGURE" not in two_processes


def test_skipped_figures_are_exactly_those_the_template_lacks():
    from reports.quicker_qs import skipped_figures
    from reports.tearsheet import TEMPLATE

    template = TEMPLATE.read_text()
    assert skipped_figures(template) == [
        "drawdowns_periods",
        "monthly_heatmap",
        "rolling_beta",
        "yearly_returns",
    ]
    assert skipped_figures(template + "{{rolling_beta}}") == [
        "drawdowns_periods",
        "monthly_heatmap",
        "yearly_returns",
    ]
    # it also draws vol_returns
    assert "returns" not in skipped_figures(template.replace("{{returns}}", ""))


def test_group_returns_equals_quantstats(tearsheet):
    import pandas as pd
    import quantstats.utils as qu

    from engine.data import load_market_data
    from reports.quicker_qs import group_returns

    r = load_market_data(["IWM"]).close("IWM").pct_change().dropna()
    for keys in (r.index.year, [r.index.year, r.index.month], r.index.strftime("%Y-%m-01")):
        for compounded in (True, False):
            pd.testing.assert_series_equal(
                group_returns(r, keys, compounded),
                qu.group_returns(r, keys, compounded),
                check_exact=False,
                rtol=1e-13,
                atol=1e-15,
            )


# ----- a comparison of many variants --------------------------------------------------------------
@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """60 variants (lookback x top_n x absolute) of one year: past every per-page limit."""
    from engine.sweep import Experiment, VariantSpec, expand, run_sweep

    exp = Experiment(
        name="many",
        defaults={"start": "2019-01-02", "end": "2019-12-31"},
        variants=[
            VariantSpec(
                strategy="relative_momentum",
                grid={
                    "lookback": [21, 42, 63, 84, 105, 126, 147, 168, 189, 210],
                    "top_n": [1, 2, 3],
                    "absolute": [False, True],
                },
            )
        ],
    )
    out = tmp_path_factory.mktemp("many")
    result = run_sweep(expand(exp), out, executor="serial")
    dirs = [out / "variants" / r["id"] for r in result.rows]
    return dirs, write_comparison(dirs, out, rank_by="sharpe")


def test_many_variants_draw_the_best_20_curves_and_pairwise_median_heatmaps(many):
    from reports.compare import SHOWN_SERIES, comparison_data
    from reports.param_heatmaps import MAX_HEATMAPS

    dirs, page = many
    html = page.read_text()
    data = comparison_data(dirs, "sharpe")
    for chart in ("equity", "drawdowns", "rolling"):
        fragment = html[html.index(f'id="{chart}"'):]
        fragment = fragment[:fragment.index("</script>")]
        assert fragment.count('"name":"') == SHOWN_SERIES + (chart == "equity"), chart
    for label in data.labels[:SHOWN_SERIES]:
        assert f'"name":"{label}"' in html
    assert f'"name":"{data.labels[SHOWN_SERIES]}"' not in html  # the 21st is in the tables only
    assert "Curves of the best 20 of 60 runs by sharpe" in html
    assert [f'id="heatmap{i}"' in html for i in range(MAX_HEATMAPS + 1)] == [
        True,
        True,
        True,
        False,
    ]
    assert "Each cell: the median sharpe over top_n" in html  # absolute x lookback
    # a cell is the median over the parameter left out (an in-sample best flatters it)
    import numpy as np

    from reports.param_heatmaps import parameter_heatmaps

    maps = parameter_heatmaps(data)
    assert [m["axes"] for m in maps] == [
        ("absolute", "lookback"),
        ("absolute", "top_n"),
        ("lookback", "top_n"),
    ]
    table = data.table
    cell = table[(table["param.lookback"] == 63) & (table["param.top_n"] == 2)]["sharpe"]
    assert len(cell) == 2 and cell.iloc[0] != cell.iloc[1]
    z = json.loads(maps[2]["html"].split('"z":', 1)[1].split("]]", 1)[0] + "]]")
    xs = json.loads(maps[2]["html"].split('"x":', 1)[1].split("]", 1)[0] + "]")
    ys = json.loads(maps[2]["html"].split('"y":', 1)[1].split("]", 1)[0] + "]")
    assert z[ys.index("2")][xs.index("63")] == pytest.approx(float(np.median(cell)), rel=1e-12)


@needs_browser
@pytest.mark.browser
def test_long_tables_are_paginated_and_sort_every_row(many):
    from browser import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    _, page_path = many
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.resolve().as_uri())
        visible = lambda: page.eval_on_selector_all(  # noqa: E731
            "#metrics tbody tr", "rows => rows.filter(r => r.style.display !== 'none').length")
        assert visible() == 50
        pager = page.locator("#metrics").locator(
            "xpath=../following-sibling::div[@class='pager'][1]"
        )
        assert "rows 1–50 of 60" in pager.inner_text()
        pager.get_by_text("next ›").click()
        assert visible() == 10 and "rows 51–60 of 60" in pager.inner_text()
        # sort: back to page 1, sorted over all 60
        page.locator("#metrics th[data-key='cagr']").click()
        assert visible() == 50
        cagr = page.eval_on_selector_all(
            "#metrics tbody tr td[data-key='cagr']",
            "cells => cells.map(c => parseFloat(c.dataset.value))",
        )
        assert cagr == sorted(cagr) and len(cagr) == 60
        browser.close()
    assert errors == []


# ----- quantstats stand-ins (reports.quicker_qs), each against the function it replaces ----------
@pytest.fixture(scope="module")
def long_returns():
    return run_backtest(RunConfig(strategy="relative_momentum", start="2003-01-02")).returns


def test_remove_outliers_stand_in_equals_quantstats(long_returns):
    import numpy as np
    import pandas as pd
    import quantstats as qs

    from reports.quicker_qs import quick_remove_outliers

    original = qs.stats.remove_outliers
    quick = quick_remove_outliers(original)
    dd = qs.stats.to_drawdown_series(long_returns["strategy"])
    in_dd = (dd < 0).to_numpy()
    edges = np.flatnonzero(np.diff(np.r_[0, in_dd.astype(int), 0]))
    segments = [dd.iloc[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    assert len(segments) > 100
    rng = np.random.default_rng(7)
    cases = [-s for s in segments] + [
        long_returns["benchmark"],
        pd.Series([0.5]),
        pd.Series([1.0, 1.0, 1.0]),
        pd.Series(rng.normal(size=50).round(2)),
        pd.Series([0.1, np.nan, 0.3]),
        pd.Series([], dtype=float),
        pd.Series([1, 2, 3]),
    ]
    for series in cases:
        for q in (0.99, 0.95, 0.5):
            pd.testing.assert_series_equal(quick(series, q), original(series, q), check_exact=True)


def test_resample_stand_in_equals_quantstats(long_returns):
    import pandas as pd
    import quantstats as qs
    import quantstats._plotting.core as qs_plot_core

    from reports.quicker_qs import quick_safe_resample

    original = qs_plot_core.safe_resample
    quick = quick_safe_resample(original, qs.stats.comp)
    for column in ("strategy", "benchmark"):
        r = long_returns[column]
        for freq in ("W-MON", "ME", "QE", "YE"):
            pd.testing.assert_series_equal(
                quick(r, freq, qs.stats.comp), original(r, freq, qs.stats.comp), check_exact=True
            )
        pd.testing.assert_series_equal(
            quick(r, "ME", "sum"), original(r, "ME", "sum"), check_exact=True
        )


def test_prepare_benchmark_stand_in_equals_quantstats(long_returns):
    import pandas as pd
    import quantstats as qs

    from reports.quicker_qs import quick_prepare_benchmark

    original = qs.utils._prepare_benchmark
    quick = quick_prepare_benchmark(original)
    r, b = long_returns["strategy"], long_returns["benchmark"]
    for bench, period in ((b, r.index), (b.iloc[10:], r.index), (b, r.index[:-30]), (b, "max")):
        for rf in (0.0, 0.02):
            pd.testing.assert_series_equal(
                quick(bench, period, rf), original(bench, period, rf), check_exact=True
            )


# ----- the figure worker (reports.figure_worker) --------------------------------------------------
def _die_in_worker(*args):
    os._exit(3)


def _fail_in_worker(*args):
    raise ValueError("this figure cannot be drawn")


def test_a_dead_figure_worker_is_replaced_by_drawing_here(runs, tmp_path, monkeypatch):
    import multiprocessing

    import matplotlib

    import reports.figure_worker as fw

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "smallcap-test")
    serial = write_tearsheet(runs[1][0], tmp_path / "serial.html", parallel=False).read_text()
    # the worker dies at its first figure
    monkeypatch.setattr(fw, "draw_quantstats_svg", _die_in_worker)
    rescued = write_tearsheet(runs[1][0], tmp_path / "rescued.html", parallel=True).read_text()
    assert rescued == serial
    assert multiprocessing.active_children() == []


def test_a_figure_that_fails_in_the_worker_fails_the_page_and_leaves_nothing(
    runs, tmp_path, monkeypatch
):
    import multiprocessing

    import reports.figure_worker as fw

    monkeypatch.setattr(fw, "draw_quantstats_svg", _fail_in_worker)
    with pytest.raises(ValueError, match="cannot be drawn"):
        write_tearsheet(runs[1][0], tmp_path / "page.html", parallel=True)
    assert not list(tmp_path.iterdir()) and multiprocessing.active_children() == []


def test_the_figure_worker_is_used_only_where_a_second_core_is_free(monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    import reports.figure_worker as fw

    with ProcessPoolExecutor(1) as pool:
        assert pool.submit(fw.second_core_free).result() is False  # a pool's worker: no
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert fw.second_core_free() is False
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert fw.second_core_free() is True


def test_the_figure_worker_is_off_unless_asked_for(monkeypatch):
    import contextlib

    import reports.figure_worker as fw

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.delenv(fw.WORKER_ENV, raising=False)
    assert fw.asked_for() is False and isinstance(fw.figure_worker(), contextlib.nullcontext)
    monkeypatch.setenv(fw.WORKER_ENV, "1")
    assert fw.asked_for() is True
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert fw.asked_for() is False  # asked for, but no second core to help



def test_a_figure_worker_that_cannot_start_means_drawing_here(runs, tmp_path, monkeypatch):
    import reports.figure_worker as fw

    def cannot_start(self):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(fw.FigureWorker, "__init__", cannot_start)
    page = write_tearsheet(runs[1][0], tmp_path / "page.html", parallel=True).read_text()
    assert page.count("<svg") > 8 and "SMALLCAP:FIGURE" not in page


def test_drawdown_table_equals_quantstats(long_returns):
    """Every drawdown of 22 years of two series, and series built to begin, end or stay in a
    drawdown, have the same table as quantstats' ``drawdown_details`` (through the stand-in that
    also remembers it; the cases numpy does not take go to quantstats itself)."""
    import numpy as np
    import pandas as pd
    import quantstats as qs

    from reports.quicker_qs import drawdown_table, remembering_drawdown_details

    original = qs.stats.drawdown_details
    quick = remembering_drawdown_details(original)
    days = pd.bdate_range("2020-01-01", periods=8)

    def series(*values):
        return pd.Series(values, index=days[:len(values)], dtype=float)

    real = [qs.stats.to_drawdown_series(long_returns[c]) for c in ("strategy", "benchmark")]
    built = [
        series(-0.1, -0.2, 0.0, -0.05, 0.0, 0.0),
        series(0.0, -0.1, -0.3, 0.0, -0.2, -0.1),
        series(0.0, -0.01, 0.0, -0.01, 0.0, -0.01, 0.0),
        series(-0.1, -0.1, -0.1),
        series(0.0, 0.0, 0.0),
        series(0.0, -0.1, np.nan, 0.0),
        series(-0.2, 0.0),
    ]
    for dd in [*real, *built]:
        pd.testing.assert_frame_equal(quick(dd), original(dd), check_exact=True)
    assert all(len(drawdown_table(dd)) > 150 for dd in real)
    # begins, ends, one-day drawdowns: numpy's
    assert all(drawdown_table(dd) is not None for dd in built[:3])
    assert (
        drawdown_table(series(0.0, 0.0, 0.0)) is None
        and drawdown_table(series(0.0, -0.1, np.nan, 0.0)) is None
    )
    frame = pd.concat(real, axis=1, keys=["a", "b"]).dropna()
    pd.testing.assert_frame_equal(quick(frame), original(frame), check_exact=True)


# ----- pages on threads (reports.qs_private.PAGE_LOCK) -------------------------------------------
def test_two_pages_on_two_threads_equal_their_serial_renders(runs, tmp_path, monkeypatch):
    """quantstats' stand-ins swap module functions and pyplot keeps global figures: two
    tearsheets drawn at once on two threads (as on one Dask worker) must come out as drawn one
    after the other."""
    import threading

    import matplotlib

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", "smallcap-test")
    pair = [runs[1][0], runs[1][3]]
    serial = [write_tearsheet(r, tmp_path / f"serial-{i}.html", parallel=False).read_text()
              for i, r in enumerate(pair)]
    assert serial[0] != serial[1]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def draw(i: int) -> None:
        try:
            start.wait()
            write_tearsheet(pair[i], tmp_path / f"thread-{i}.html", parallel=False)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == []
    for i in range(2):
        assert (tmp_path / f"thread-{i}.html").read_text() == serial[i]
