"""No look-ahead anywhere: for every strategy and broker mode, nothing on or before day t depends on
the data after t.

The raw files (ETF prices, index levels, FRED series) are cut or scrambled *after t* and loaded
through ``csv:DIR``, so the data layer (publication lag, as-of alignment), the broker (fills,
slippage caps) and the strategy are all under test - a leak in any of them changes a decision, an
order or the equity on or before t.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.data.catalog import bundled_files
from engine.data.readers import read_series_csv
from engine.runner import data_needs, run_backtest
from strategies import all_strategies

START, END = "2017-01-03", "2020-12-31"
FILE_START = "2015-01-02"  # enough history for every default warm-up (<= 253 sessions)
#: a month end that is not a week end, and a week end: decision days of every schedule
CUTS = ["2020-03-31", "2020-03-20"]
MODES = {
    "open-whole": {},
    "open-fractional": {"fractional": True},
    "close-fractional-costs": {
        "fill": "close",
        "fractional": True,
        "commission_bps": 5,
        "slippage_bps": 5,
    },
}
LAYOUT = {
    "price": ["open", "high", "low", "close", "adj_close", "volume"],
    "index": ["close"],
    "macro": ["value"],
}


def _raw(symbol: str) -> tuple[str, pd.DataFrame]:
    kind, frame = read_series_csv(bundled_files()[symbol].path)
    return kind, frame.drop(columns="_line").loc[FILE_START:]


def _scrambled(kind: str, frame: pd.DataFrame, t: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Same rows up to t; after t other valid values (reversed path times a random walk)."""
    after = frame.index > t
    n = int(after.sum())
    g = frame.copy()
    shock = np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.03, n)))
    if kind == "macro":
        g.loc[after, "value"] = frame.loc[after, "value"].to_numpy()[::-1] * 1.7 + 0.5
        return g
    close = frame.loc[after, "close"].to_numpy()[::-1] * shock
    close = close / close[0] * frame.loc[~after, "close"].iloc[-1] * 1.02  # a plausible first move
    g.loc[after, "close"] = close
    if kind == "price":
        ratio = frame.loc[after, "adj_close"].to_numpy() / frame.loc[after, "close"].to_numpy()
        opened = close * np.exp(np.random.default_rng(seed + 1).normal(0, 0.02, n))
        g.loc[after, "open"] = opened
        g.loc[after, "high"] = np.maximum(opened, close) * 1.01
        g.loc[after, "low"] = np.minimum(opened, close) * 0.99
        g.loc[after, "adj_close"] = close * ratio
    return g


def _write(folder: Path, frames: dict[str, tuple[str, pd.DataFrame]]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for symbol, (kind, frame) in frames.items():
        out = frame[LAYOUT[kind]].copy()
        out.index = out.index.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{symbol}.csv", index_label="date", lineterminator="\n")
    return f"csv:{folder}"


def _upto(result, t: str, last_close_fills: bool = True) -> dict:
    """Decisions, orders and equity on or before t. ``last_close_fills=False`` leaves out orders
    dated t itself: a run whose data ends at t cannot fill t's close orders (backtrader executes a
    close fill while it steps to the next session; see the closing note of issue 11)."""
    orders = result.orders[
        (result.orders["date"] <= t) if last_close_fills else (result.orders["date"] < t)
    ]
    return {"decisions": result.decisions[result.decisions["date"] <= t].to_dict("records"),
            "orders": orders.to_dict("records"),
            "equity": result.equity.loc[:t, "equity"].round(6).tolist()}


def _config(name: str, source: str, mode: dict) -> RunConfig:
    return RunConfig(strategy=name, start=START, end=END, broker=mode, data={"source": source})


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Per strategy and cut: csv:DIR sources of the true files, cut after t, and scrambled after
    t."""
    root = tmp_path_factory.mktemp("lookahead")
    out = {}
    for spec in all_strategies():
        prices, series = data_needs(RunConfig(strategy=spec.name))
        raws = {s: _raw(s) for s in dict.fromkeys([*prices, *series])}
        out[spec.name, "true"] = _write(root / spec.name / "true", raws)
        for i, t in enumerate(CUTS):
            ts = pd.Timestamp(t)
            out[spec.name, t, "cut"] = _write(
                root / spec.name / f"cut{i}", {s: (k, f.loc[:t]) for s, (k, f) in raws.items()}
            )
            out[spec.name, t, "scrambled"] = _write(
                root / spec.name / f"scrambled{i}",
                {
                    s: (k, _scrambled(k, f, ts, seed=7 + j))
                    for j, (s, (k, f)) in enumerate(raws.items())
                },
            )
    return out


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", [s.name for s in all_strategies()])
def test_nothing_up_to_t_depends_on_the_files_after_t(sources, name, mode):
    full = run_backtest(_config(name, sources[name, "true"], MODES[mode]))
    assert len(full.decisions) > 0
    for t in CUTS:
        want = _upto(full, t)
        cut = run_backtest(_config(name, sources[name, t, "cut"], MODES[mode]).model_copy(
            update={"end": pd.Timestamp(t).date()}))
        close = MODES[mode].get("fill") == "close"
        assert _upto(cut, t, not close) == _upto(full, t, not close), (
            f"cutting the files after {t} changed {name}'s past ({mode})"
        )
        other = run_backtest(_config(name, sources[name, t, "scrambled"], MODES[mode]))
        assert _upto(other, t) == want, f"the files after {t} leaked into {name} ({mode})"
        assert not other.returns.equals(full.returns)  # the replacement really was different


def test_the_matrix_catches_a_macro_series_read_one_session_early(sources, monkeypatch):
    """Guards the test above: align macro series with a lag of -1 (tomorrow's value today)."""
    import engine.data.market as market

    real = market.publish
    monkeypatch.setattr(market, "publish", lambda values, lag: real(values, 1).shift(-2).dropna())
    name, t = "rate_regime", CUTS[1]
    mode = MODES["close-fractional-costs"]
    full = run_backtest(_config(name, sources[name, "true"], mode))
    other = run_backtest(_config(name, sources[name, t, "scrambled"], mode))
    assert _upto(other, t) != _upto(full, t)
