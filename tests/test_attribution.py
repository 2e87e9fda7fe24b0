"""Factor and style attribution (research.attribution, research.style, research.run_attribution)
where the truth is known: planted loadings, exact mixes, and real ETFs whose size tilt is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.data.factors import FACTORS, load_factors
from engine.runner import run_backtest
from research.attribution import factor_regression, newey_west_lags, rolling_loadings
from research.run_attribution import attribute_run
from research.style import rolling_style, style_weights

WINDOW = {"start": "2015-01-02", "end": "2020-12-31"}
FRICTIONLESS = {"fill": "close", "fractional": True, "cash_buffer": 0.0}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("attribution")
    configs = {
        "IWM": RunConfig(
            strategy="buy_and_hold", params={"symbol": "IWM"}, broker=FRICTIONLESS, **WINDOW
        ),
        "SPY": RunConfig(
            strategy="buy_and_hold", params={"symbol": "SPY"}, broker=FRICTIONLESS, **WINDOW
        ),
        "60/40": RunConfig(
            strategy="fixed_mix",
            params={"weights": {"IWM": 0.6, "SPY": 0.4}},
            broker=FRICTIONLESS,
            **WINDOW,
        ),
    }
    return {name: run_backtest(cfg).save(root) for name, cfg in configs.items()}


def test_planted_loadings_and_alpha_come_back():
    factors = load_factors().loc["2010-01-04":"2019-12-31", list(FACTORS)]
    rng = np.random.default_rng(11)
    beta = np.array([1.2, 0.5, -0.3, 0.1])
    excess = pd.Series(
        0.0002 + factors.to_numpy() @ beta + rng.normal(0, 0.002, len(factors)), index=factors.index
    )
    got = factor_regression(excess, factors)
    for name, value in zip(FACTORS, beta, strict=True):
        lo, hi = got["loadings"][name]["ci"]
        assert lo < value < hi and abs(got["loadings"][name]["value"] - value) < 0.02
    assert got["alpha_ci"][0] < 0.0002 * 252 < got["alpha_ci"][1]
    assert got["alpha"] == pytest.approx(0.0002 * 252, abs=0.01)  # annual, not daily
    assert got["alpha_t"] > 2.0 and got["r2"] > 0.9 and got["sessions"] == len(factors)
    assert got["hac_lags"] == newey_west_lags(len(factors)) == 8
    rolling = rolling_loadings(excess, factors)
    assert rolling.iloc[:251].isna().all().all()
    assert rolling["mkt_rf"].dropna().between(1.1, 1.3).all()


def test_no_skill_has_no_alpha_and_short_windows_are_declined():
    factors = load_factors().loc["2010-01-04":"2019-12-31", list(FACTORS)]
    rng = np.random.default_rng(5)
    excess = pd.Series(
        factors["mkt_rf"].to_numpy() + rng.normal(0, 0.005, len(factors)), index=factors.index
    )
    got = factor_regression(excess, factors)
    assert got["alpha_ci"][0] < 0 < got["alpha_ci"][1]
    assert factor_regression(excess.iloc[:62], factors.iloc[:62]) is None


def test_style_weights_of_an_exact_mix():
    rng = np.random.default_rng(2)
    assets = rng.normal(0.0004, 0.01, size=(500, 3))
    w, r2 = style_weights(assets @ np.array([0.25, 0.0, 0.75]), assets)
    assert w == pytest.approx([0.25, 0.0, 0.75], abs=1e-6) and r2 == pytest.approx(1.0)
    w, _ = style_weights(
        -assets[:, 0], assets
    )  # no long-only mix tracks a short: weights stay in the simplex
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    frame = pd.DataFrame(
        assets, columns=["A", "B", "C"], index=pd.bdate_range("2020-01-01", periods=500)
    )
    rolling = rolling_style(frame @ [0.5, 0.5, 0.0], frame, window=252, step=21)
    assert len(rolling) == 12 and rolling.index[-1] == frame.index[-1]
    assert rolling.index[0] == frame.index[500 - 11 * 21 - 1] and rolling[
        ["A", "B"]
    ].to_numpy() == pytest.approx(0.5, abs=1e-5)


def test_buy_and_hold_iwm_loads_on_size_far_more_than_spy(runs):
    iwm, spy = (
        attribute_run(runs["IWM"], rolling=False).summary,
        attribute_run(runs["SPY"], rolling=False).summary,
    )
    assert iwm["loadings"]["smb"]["value"] > spy["loadings"]["smb"]["value"] + 0.5
    assert iwm["loadings"]["smb"]["ci"][0] > spy["loadings"]["smb"]["ci"][1]
    for summary in (iwm, spy):
        assert 0.9 < summary["loadings"]["mkt_rf"]["value"] < 1.1
        assert summary["r2"] > 0.9
    assert iwm["style"]["weights"]["IWM"] > 0.97 and spy["style"]["weights"]["SPY"] > 0.97


def test_a_fixed_60_40_mix_comes_back_as_60_40(runs):
    got = attribute_run(runs["60/40"])
    weights = got.summary["style"]["weights"]
    assert weights["IWM"] == pytest.approx(0.60, abs=0.03) and weights["SPY"] == pytest.approx(
        0.40, abs=0.03
    )
    assert got.summary["style"]["holdings"]["IWM"] == pytest.approx(0.60, abs=0.02)
    assert got.style[["IWM", "SPY"]].to_numpy() == pytest.approx(
        np.tile([0.6, 0.4], (len(got.style), 1)), abs=0.05
    )
    assert set(got.summary) >= {
        "alpha",
        "alpha_t",
        "alpha_ci",
        "loadings",
        "r2",
        "sessions",
        "style",
    }
    assert set(got.summary["loadings"]) == {"mkt_rf", "smb", "hml", "mom"}
    assert set(got.summary["loadings"]["smb"]) == {"value", "t", "ci"}


def test_newey_west_t_statistics_match_a_hand_computation():
    """Bartlett-weighted HAC sandwich written out (Newey & West 1987), autocorrelated errors: the
    t-statistics equal statsmodels' (and differ from plain OLS ones)."""
    factors = load_factors().loc["2012":"2016", list(FACTORS)]
    rng = np.random.default_rng(1)
    noise, shocks = np.zeros(len(factors)), rng.normal(0, 0.003, len(factors))
    for t in range(1, len(factors)):
        noise[t] = 0.5 * noise[t - 1] + shocks[t]
    y = factors.to_numpy() @ [1.1, 0.4, 0.2, -0.1] + 0.0001 + noise
    got = factor_regression(pd.Series(y, index=factors.index), factors)
    x = np.column_stack([np.ones(len(y)), factors.to_numpy()])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    scores = x * (y - x @ beta)[:, None]
    lags = newey_west_lags(len(y))
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        gamma = scores[lag:].T @ scores[:-lag]
        meat += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    t = beta / np.sqrt(np.diag(bread @ meat @ bread))
    assert got["alpha_t"] == pytest.approx(t[0], rel=1e-9)
    for i, name in enumerate(FACTORS, start=1):
        assert got["loadings"][name]["t"] == pytest.approx(t[i], rel=1e-9)
    plain = beta[0] / np.sqrt(np.diag(bread * np.var(y - x @ beta, ddof=x.shape[1]))[0])
    assert abs(plain - t[0]) > 0.05
