"""Regime labels and returns by regime (research.regime_labels, research.regimes), where the truth
is known: the FOMC's own dates, labels that never see later data, and a strategy that earns its
whole excess in one regime by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.data.factors import load_fomc_changes
from research.regime_labels import (
    LabelInputs,
    builtin_labels,
    bundled_inputs,
    fed_policy_labels,
    leadership_labels,
    rate_expectation_labels,
    user_labels,
    volatility_labels,
)
from research.regimes import regime_table, spells

SESSIONS = nyse_sessions(pd.Timestamp("2019-01-02"), pd.Timestamp("2025-09-26"))


def _starts(labels: pd.Series, label: str) -> list[str]:
    """Sessions after the first on which ``label`` begins (the label differs the session before)."""
    on = labels == label
    return [str(d.date()) for d in labels.index[on & ~on.shift(1, fill_value=True)]]


def test_fed_policy_turns_on_the_fomc_dates_of_2019_2025():
    labels = fed_policy_labels(SESSIONS, load_fomc_changes(), lag=0, hold_sessions=0)
    assert _starts(labels, "easing") == ["2019-07-31", "2024-09-18"]
    assert _starts(labels, "tightening") == ["2022-03-16"]
    assert labels.notna().all()  # the 2018 hikes are before the window: every session is labelled


def test_fed_policy_with_the_macro_lag_counts_a_change_from_the_next_session():
    labels = fed_policy_labels(SESSIONS, load_fomc_changes(), lag=1, hold_sessions=0)
    assert _starts(labels, "easing") == ["2019-08-01", "2024-09-19"]
    assert _starts(labels, "tightening") == ["2022-03-17"]


def test_fed_policy_follows_every_change_in_fomc_csv():
    """Each announced change in 2019-2025 is followed (from its date) by the label of its sign,
    and on-hold starts exactly 126 sessions after the last change before a pause."""
    changes = load_fomc_changes()
    labels = fed_policy_labels(SESSIONS, changes, lag=0, hold_sessions=126)
    for day, change in changes.loc["2019-01-02":, "change_bps"].items():
        first = SESSIONS[SESSIONS.searchsorted(day)]  # 2020-03-15 was a Sunday: from Monday on
        assert labels[first] == ("easing" if change < 0 else "tightening"), day
    last_2024_cut = SESSIONS.get_loc(pd.Timestamp("2024-12-18"))
    assert labels.iloc[last_2024_cut + 125] == "easing"
    assert labels.iloc[last_2024_cut + 126] == "on_hold"
    assert labels[pd.Timestamp("2025-09-17")] == "easing"  # the cut of 2025-09-17 ends the hold


def test_rate_expectations_hysteresis_and_volatility_and_leadership_on_hand_series():
    idx = pd.RangeIndex(8)
    dgs2 = pd.Series([4.0, 4.0, 3.7, 3.8, 4.0, 4.3, 4.2, 4.0], index=idx)
    # change over 2 sessions, 25 bp: -30 -> falling; -20 (kept), +30 -> rising, +50, +20 (kept), -30
    got = rate_expectation_labels(dgs2, lookback=2, threshold_bp=25).tolist()
    assert got[:2] == [None, None] or all(pd.isna(v) for v in got[:2])
    assert got[2:] == ["falling", "falling", "rising", "rising", "rising", "falling"]
    vix = pd.Series([19.9, 20.0, 20.1, np.nan])
    assert volatility_labels(vix).tolist()[:3] == ["low", "low", "high"]
    assert pd.isna(volatility_labels(vix).iloc[3])
    small = pd.Series([1.0, 1.0, 1.0, 1.2, 0.9])
    large = pd.Series(1.0, index=small.index)
    lead = leadership_labels(small, large, window=3)
    assert pd.isna(lead.iloc[1]) and lead.iloc[2:].tolist() == ["large", "small", "large"]


@pytest.fixture(scope="module")
def inputs() -> LabelInputs:
    return bundled_inputs()


def _scrambled(inputs: LabelInputs, day: pd.Timestamp, rng: np.random.Generator) -> LabelInputs:
    """Every input dated after ``day`` replaced by noise (and later FOMC changes flipped)."""
    prices = inputs.prices.copy()
    later = prices.index > day
    prices.loc[later] = prices.loc[later].to_numpy() * rng.uniform(0.5, 1.5, size=(later.sum(), 2))
    dgs2, vix = inputs.dgs2.copy(), inputs.vix.copy()
    dgs2[dgs2.index > day] = rng.uniform(0, 6, size=(dgs2.index > day).sum())
    vix[vix.index > day] = rng.uniform(9, 80, size=(vix.index > day).sum())
    changes = inputs.changes.copy()
    changes.loc[changes.index > day, "change_bps"] *= -1
    return LabelInputs(prices, dgs2, vix, changes)


@pytest.mark.parametrize("lag", [0, 1])
def test_labels_never_change_when_later_data_is_scrambled(inputs, lag):
    sessions = nyse_sessions(pd.Timestamp("2006-01-03"), pd.Timestamp("2025-09-25"))
    full = builtin_labels(sessions, inputs, lag=lag)
    rng = np.random.default_rng(7)
    for day in ("2008-09-15", "2019-07-31", "2020-03-16", "2022-03-16", "2024-07-16"):
        day = pd.Timestamp(day)
        cut = builtin_labels(sessions, _scrambled(inputs, day, rng), lag=lag)
        pd.testing.assert_frame_equal(cut.loc[:day], full.loc[:day])
        assert not cut.loc[day:].iloc[1:].equals(full.loc[day:].iloc[1:])  # the scramble bit


def test_spells_count_separate_stretches():
    assert spells(np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)) == 3
    assert spells(np.array([0, 0], dtype=bool)) == 0
    assert spells(np.array([1], dtype=bool)) == 1


def test_a_strategy_holding_iwm_only_when_easing_shows_its_whole_excess_there(inputs):
    """Strategy = IWM on easing sessions, else SPY (the benchmark): outside easing its excess is
    exactly zero, and the easing sessions carry all of its excess growth."""
    sessions = nyse_sessions(pd.Timestamp("2005-01-03"), pd.Timestamp("2025-09-26"))
    labels = builtin_labels(sessions, inputs)["fed_policy"]
    daily = inputs.prices.reindex(sessions).pct_change().fillna(0.0)
    easing = (labels == "easing").to_numpy()
    returns = pd.DataFrame(
        {
            "strategy": np.where(easing, daily["IWM"], daily["SPY"]),
            "benchmark": daily["SPY"].to_numpy(),
        },
        index=sessions,
    )
    table = regime_table(returns, labels, pd.Series(0.0, index=sessions))
    assert set(table) == {"easing", "tightening", "on_hold"}
    for other in ("tightening", "on_hold"):
        assert table[other]["excess_cagr"] == 0.0
        assert table[other]["hit_rate"] is None and table[other]["excess_ci"] is None
    assert abs(table["easing"]["excess_cagr"]) > 0.005
    lo, hi = table["easing"]["excess_ci"]
    assert lo < table["easing"]["excess_cagr"] < hi
    log_excess = np.log1p(returns["strategy"]) - np.log1p(returns["benchmark"])
    assert log_excess[easing].sum() == pytest.approx(log_excess.sum(), abs=1e-12)
    assert sum(t["sessions"] for t in table.values()) == labels.notna().sum()
    assert table["easing"]["spells"] == spells(easing)


def test_regime_figures_match_a_hand_computation():
    idx = pd.bdate_range("2020-01-01", periods=200)
    rng = np.random.default_rng(3)
    r, b = rng.normal(0.0005, 0.01, 200), rng.normal(0.0003, 0.01, 200)
    b[::10] = r[::10]  # sessions both held the same: left out of the hit rate
    labels = pd.Series(np.where(np.arange(200) % 50 < 35, "a", "b"), index=idx)
    cash = pd.Series(0.0001, index=idx)
    got = regime_table(pd.DataFrame({"strategy": r, "benchmark": b}, index=idx), labels, cash)["a"]
    mask = labels.to_numpy() == "a"
    assert got["sessions"] == 140 and got["spells"] == 4 and got["share"] == pytest.approx(0.7)
    assert got["cagr"] == pytest.approx(np.prod(1 + r[mask]) ** (252 / 140) - 1)
    ex = r[mask] - 0.0001
    assert got["sharpe"] == pytest.approx(ex.mean() / ex.std(ddof=1) * np.sqrt(252))
    differ = mask & (r != b)
    assert got["hit_rate"] == pytest.approx(np.mean(r[differ] > b[differ]))
    growth = np.cumprod(1 + r[mask])
    worst = min(0.0, *(g / max(1.0, growth[:i + 1].max()) - 1 for i, g in enumerate(growth)))
    assert got["max_drawdown"] == pytest.approx(worst)


def test_a_regimes_drawdown_counts_a_loss_on_its_first_session():
    idx = pd.bdate_range("2020-01-01", periods=4)
    r = np.array([-0.10, 0.05, 0.0, 0.0])
    labels = pd.Series(["a", "a", "b", "b"], index=idx)
    frame = pd.DataFrame({"strategy": r, "benchmark": np.zeros(4)}, index=idx)
    got = regime_table(frame, labels, pd.Series(0.0, index=idx))["a"]
    assert got["max_drawdown"] == pytest.approx(-0.10)


def test_user_labels_are_as_of_and_bad_files_are_one_line_errors(tmp_path):
    sessions = nyse_sessions(pd.Timestamp("2024-07-01"), pd.Timestamp("2024-07-31"))
    good = tmp_path / "mine.csv"
    good.write_text("date,label\n2024-07-06,calm\n2024-07-16,rotation\n")
    labels = user_labels(good, sessions)
    assert pd.isna(labels[pd.Timestamp("2024-07-05")])
    assert (
        labels[pd.Timestamp("2024-07-08")] == "calm"
    )  # dated on a Saturday: from the next session
    assert (
        labels[pd.Timestamp("2024-07-15")] == "calm"
        and labels[pd.Timestamp("2024-07-16")] == "rotation"
    )
    cases = {
        "missing.csv": None,
        "cols.csv": "day,regime\n2024-07-01,a\n",
        "date.csv": "date,label\n2024-13-01,a\n",
        "order.csv": "date,label\n2024-07-02,a\n2024-07-01,b\n",
        "empty.csv": "date,label\n",
        "blank.csv": "date,label\n2024-07-01,\n",
    }
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(UserError) as info:
            user_labels(tmp_path / name, sessions)
        assert name in info.value.one_line() and "\n" not in info.value.one_line()


def test_rate_expectation_labels_are_the_signal_rate_regime_trades(tmp_path):
    """rate_regime deciding every session holds IWM exactly where the label is "falling" and SPY
    where it is "rising" (after its first crossing: before it, the strategy starts in SPY)."""
    from engine.config import RunConfig
    from engine.runner import run_backtest

    cfg = RunConfig(strategy="rate_regime", params={"rebalance": "daily"}, start="2018-01-02",
                    end="2020-12-31", broker={"fill": "close", "fractional": True})
    decisions = run_backtest(cfg).decisions
    dates = pd.DatetimeIndex(pd.to_datetime(decisions["date"]))
    held = pd.Series(decisions["targets"].str.split(":").str[0].to_numpy(), index=dates)
    labels = builtin_labels(dates)["rate_expectations"]
    crossed = decisions["reason"].str.contains(": falling|: rising", regex=True).to_numpy()
    after = np.maximum.accumulate(crossed)
    expected = labels.map({"falling": "IWM", "rising": "SPY"})
    assert after.sum() > 500
    assert (held[after] == expected[after]).all()


def test_easing_and_tightening_start_on_the_event_studys_first_cuts_and_hikes():
    """Without the on-hold rule and the lag, an easing spell starts on each `fomc-first-cuts`
    date of `smallcap events` and a tightening spell on each `fomc-first-hikes` (1988-2025)."""
    from research.event_sets import fomc_events

    sessions = nyse_sessions(pd.Timestamp("1988-01-04"), pd.Timestamp("2025-09-26"))
    labels = fed_policy_labels(sessions, load_fomc_changes(), lag=0, hold_sessions=0)
    for name, label in (("fomc-first-cuts", "easing"), ("fomc-first-hikes", "tightening")):
        dates = [d for d in fomc_events(name).dates if d > sessions[0]]
        moved = [str(sessions[sessions.searchsorted(d)].date()) for d in dates]
        assert _starts(labels, label) == moved, name
