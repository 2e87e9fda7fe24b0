"""Event study: hand-made streaks with known answers, agreement with the strategy, JSON and HTML."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from browser import needs_browser, open_page

from engine.config import RunConfig
from engine.data import load_market_data
from engine.data.catalog import bundled_root
from engine.data.readers import read_series_csv
from engine.runner import run_backtest
from research.events import find_streaks
from strategies.signals import streak_reached_today


def _series(gains, start=100.0):
    values = start * np.cumprod([1.0, *(1 + g for g in gains)])
    return pd.Series(values, index=pd.bdate_range("2024-01-01", periods=len(values)))


UP, FLAT = 0.012, -0.002


@pytest.mark.parametrize("n_up,expected", [(4, []), (5, [(6, 5)]), (6, [(6, 6)])])
def test_runs_of_four_five_six(n_up, expected):
    s = _series([FLAT] + [UP] * n_up + [FLAT] * 3)
    study = find_streaks(s, sessions=5, min_gain=0.01, horizons=[1, 2])
    got = [(s.index.get_loc(pd.Timestamp(e.signal_date)), e.run_length) for e in study.episodes]
    assert got == expected
    if expected:
        e = study.episodes[0]
        assert e.run_gain == pytest.approx((1 + UP) ** n_up - 1)
        assert e.forward["1"] == pytest.approx(UP if n_up == 6 else FLAT)


def test_gain_exactly_min_gain_counts_and_just_below_breaks():
    exact = pd.Series(
        [100.0, 101.0, 102.01, 103.0301, 103.0], index=pd.bdate_range("2024-01-01", periods=5)
    )
    assert [e.run_length for e in find_streaks(exact, 3, 0.01, [1]).episodes] == [3]
    below = exact.copy()
    below.iloc[2] = 101.0 * 1.0099999
    assert find_streaks(below, 3, 0.01, [1]).episodes == []


def test_data_ending_inside_a_run_and_missing_forward_data():
    s = _series([FLAT] * 3 + [UP] * 6)
    (e,) = find_streaks(s, 5, 0.01, horizons=[1, 5]).episodes
    assert e.run_ongoing and e.run_length == 6
    assert e.forward["1"] == pytest.approx(UP)
    assert e.forward["5"] is None  # missing, not zero
    summary = find_streaks(s, 5, 0.01, horizons=[1, 5]).summary
    assert (
        summary["horizons"]["5"]["target"]["n"] == 0
        and summary["horizons"]["5"]["target"]["mean"] is None
    )


def test_relative_streaks_count_excess_return():
    small = _series([0.0, 0.02, 0.02, 0.02, 0.0])
    large = _series([0.0, 0.005, 0.012, 0.005, 0.0])  # excess 1.5%, 0.8%, 1.5%
    assert find_streaks(small, 2, 0.01, [1], relative_to=large).episodes == []
    (e,) = find_streaks(small, 3, 0.005, [1], relative_to=large).episodes
    assert e.run_length == 3 and e.run_gain == pytest.approx(1.02**3 / (1.005 * 1.012 * 1.005) - 1)


def test_incremental_and_vectorized_agree_on_every_date_of_the_bundled_rut_history():
    _, raw = read_series_csv(bundled_root() / "index" / "RUT.csv")
    values = raw["close"].to_numpy()

    class Line:
        i = 0

        def __getitem__(self, ago):
            return values[self.i + ago]

    line = Line()
    for sessions, gain in ((5, 0.01), (3, 0.015), (4, 0.0075)):
        incremental = []
        for i in range(sessions + 1, len(values)):
            line.i = i
            if streak_reached_today(line, sessions, gain):
                incremental.append(raw.index[i].date().isoformat())
        vectorized = [
            e.signal_date for e in find_streaks(raw["close"], sessions, gain, [1]).episodes
        ]
        assert incremental == vectorized and len(vectorized) > 0, (sessions, gain)


def test_breadth_streak_strategy_triggers_on_the_event_study_dates():
    cfg = RunConfig(
        strategy="breadth_streak",
        params={"sessions": 3, "min_gain": 0.01},
        broker={"fill": "close"},
    )
    result = run_backtest(cfg)
    fired = result.decisions[result.decisions["reason"].str.startswith("trigger")]["date"].tolist()
    md = load_market_data(["IWM", "SPY"], ["RUT"])
    rut = md.series["RUT"]
    first_possible = md.sessions[4]  # the strategy needs sessions + 1 bars of history
    study = [e.signal_date for e in find_streaks(rut, 3, 0.01, [1]).episodes
             if pd.Timestamp(e.signal_date) >= first_possible]
    assert fired == study and len(study) > 10


def test_streaks_json_schema(cli):
    result = cli("streaks", "--symbol", "RUT", "--target", "IWM", "--horizons", "10,50", "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"params", "episodes", "summary"}
    assert doc["params"]["sessions"] == 5 and doc["params"]["min_gain"] == 0.01
    assert [e["signal_date"] for e in doc["episodes"]][-1] == "2024-07-16"
    for e in doc["episodes"]:
        assert set(e) >= {"signal_date", "run_length", "run_gain", "forward"}
        assert (
            len(e["signal_date"]) == 10
            and isinstance(e["run_length"], int)
            and isinstance(e["run_gain"], float)
        )
        assert set(e["forward"]) == {"10", "50"}
        assert all(v is None or isinstance(v, float) for v in e["forward"].values())
    assert set(doc["summary"]["horizons"]) == {"10", "50"}
    assert doc["params"]["horizons"] == [10, 50]


@pytest.mark.parametrize("argv,needle", [
    (["--symbol", "XYZ"], "unknown symbol 'XYZ'"), (["--min-gain", "5"], "fraction"),
    (["--horizons", "a,b"], "session counts"), (["--symbol", "DGS2"], "not prices"),
    (["--start", "2030-01-01"], "has data from")])
def test_streaks_bad_input(cli, argv, needle):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("streaks", *argv), needle)


@needs_browser
@pytest.mark.browser
def test_streaks_html_renders_in_headless_chromium(tmp_path, cli):
    page = tmp_path / "streaks.html"
    assert cli("streaks", "--target", "IWM", "--html", str(page)).code == 0
    html = page.read_text()
    assert (
        "2024-07-16" in html
        and "missing" in html
        and "Plotly" in html
        and 'src="plotly.min.js"' not in html
    )
    visit = open_page(page, tmp_path / "streaks.png")
    assert visit.console_errors == [] and visit.page_errors == [] and visit.remote_requests == []
    assert visit.screenshot_has_content()


def test_significance_by_circular_shifts_small_case_by_hand():
    """12 closes, raw forward returns (no scaling), a 2-return volatility window, one signal,
    horizon 1: the shift domain is the sessions with a forward return and a volatility (positions
    2..10, 9 of them); the 8 other shifts are the other 8 one-day returns there, and the observed
    +10% is the largest deviation from their mean, so p = (0 + 1) / (8 + 1)."""
    from research.event_study import significance

    closes = np.array([100, 99, 101, 100, 110, 111, 110, 111, 112, 111, 112, 113], dtype=float)
    sig = significance(closes, np.array([3]), 1, window=2, scaled=False)
    fwd = closes[1:] / closes[:-1] - 1
    domain = fwd[2:11]
    assert sig["shifts"] == 8 and sig["n"] == 1
    assert sig["excess"] == pytest.approx(0.10 - domain.mean())
    assert sig["p_value"] == pytest.approx(1 / 9)
    assert not sig["conclusive"]


def test_significance_finds_a_planted_effect_and_not_a_random_one():
    """After 30 planted signals the series jumps 3% over the next 5 sessions: p < 0.01 and the
    interval excludes 0. Signals at random dates of a random walk: no significance."""
    from research.event_study import significance

    rng = np.random.default_rng(4)
    gains = rng.normal(0, 0.01, 3000)
    signals = np.sort(rng.choice(np.arange(100, 2900), 30, replace=False))
    planted = gains.copy()
    for i in signals:
        planted[i + 1:i + 6] += 0.006
    sig = significance(100 * np.cumprod(1 + planted), signals, 5)
    assert sig["p_value"] < 0.01 and sig["ci"][0] > 0 and sig["conclusive"]
    null = significance(100 * np.cumprod(1 + gains), signals, 5)
    assert null["p_value"] > 0.1 and null["ci"][0] < 0 < null["ci"][1]


def test_streaks_cli_says_in_words_when_n_is_too_small(cli):
    r = cli("streaks", "--symbol", "RUT", "--target", "IWM")
    assert r.code == 0, r.stderr
    assert "too few to conclude anything" in r.stdout
