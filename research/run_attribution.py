"""Factor and style attribution of a saved run (``research.attribution``, ``research.style``).

The style universe is what the strategy may hold (its symbols and cash asset), its benchmark,
and cash (the 3-month T-bill, ``engine.cash_rate``), on the run's own data source. The real
holdings beside it are each symbol's average share of equity over the run's sessions (from
``positions.csv``), the rest in cash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.errors import UserError
from engine.cash_rate import daily_cash_returns
from engine.data.market import load_market_data
from engine.results import BacktestResult
from research.attribution import (
    MIN_SESSIONS,
    ROLLING_WINDOW,
    aligned,
    factor_regression,
    rolling_loadings,
)
from research.style import rolling_style, style_weights
from strategies import get_strategy


@dataclass
class RunAttribution:
    """``summary``: the JSON document of ``smallcap attribution`` (see :func:`attribute_run`);
    ``loadings``: rolling 252-session loadings; ``style``: rolling style weights;
    ``holdings``: average real share of equity per symbol and ``cash``."""

    summary: dict
    loadings: pd.DataFrame = field(default_factory=pd.DataFrame)
    style: pd.DataFrame = field(default_factory=pd.DataFrame)
    holdings: dict[str, float] = field(default_factory=dict)


def style_universe(run: BacktestResult) -> list[str]:
    """The symbols a run's strategy may hold, then its benchmark (each once)."""
    spec = get_strategy(run.config.strategy)
    symbols, _ = spec.cls.all_symbols(run.config.params)
    return list(dict.fromkeys([*symbols, str(run.config.benchmark).upper()]))


def asset_returns(run: BacktestResult, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Daily total returns of :func:`style_universe` and ``cash`` on ``sessions``."""
    data = run.config.data
    market = load_market_data(
        style_universe(run),
        source=data.source,
        cache_dir=data.cache_dir,
        offline=True,  # the run's own data: a live source answers from its cache, not the network
    )
    closes = market.closes()
    frame = closes.pct_change().reindex(sessions)
    lag = int(run.manifest.get("macro_lag_sessions", data.macro_lag))
    frame["cash"] = daily_cash_returns(sessions, lag_sessions=lag).to_numpy()
    return frame


def real_holdings(run: BacktestResult) -> dict[str, float]:
    """Each symbol's average share of equity over the run's sessions, and ``cash`` the rest."""
    if not len(run.equity):
        return {}
    equity = pd.Series(run.equity["equity"].to_numpy(), index=run.equity.index.strftime("%Y-%m-%d"))
    out: dict[str, float] = {}
    if len(run.positions):
        share = run.positions["value"].to_numpy() / equity.reindex(run.positions["date"]).to_numpy()
        out = {
            str(k): float(v)
            for k, v in (
                pd.Series(share).groupby(run.positions["symbol"].to_numpy()).sum() / len(equity)
            ).items()
        }
    out["cash"] = max(0.0, 1.0 - sum(out.values()))
    return out


def attribute_run(run_dir: str | Path, rolling: bool = True) -> RunAttribution:
    """The attribution of the saved run in ``run_dir``. ``summary`` is ``{"alpha", "alpha_t",
    "alpha_ci", "loadings": {"mkt_rf"|"smb"|"hml"|"mom": {"value", "t", "ci"}}, "r2", "sessions",
    "hac_lags", "window", "risk_free", "style": {"weights": {symbol: w, "cash": w}, "r2",
    "holdings": {symbol: average share}}}`` (``alpha`` ... null when the window is under a
    quarter). The run's first session (no return yet) is left out. ``rolling``: also the
    rolling loadings and style weights."""
    run = BacktestResult.load(run_dir, tables=("equity", "positions"))
    strategy = run.returns["strategy"].astype(float).iloc[1:]
    excess, factors = aligned(strategy)
    regression = factor_regression(excess, factors) or {
        "alpha": None,
        "alpha_t": None,
        "alpha_ci": None,
        "loadings": None,
        "r2": None,
        "sessions": len(excess),
        "hac_lags": None,
    }
    holdings = real_holdings(run)
    summary = {
        **regression,
        "window": [str(excess.index[0].date()), str(excess.index[-1].date())]
        if len(excess)
        else None,
        "risk_free": "Fama-French rf (1-month T-bill, daily)",
        "style": None,
    }
    try:
        assets = asset_returns(run, strategy.index).dropna()
    except UserError as exc:  # the run's own data source is gone (a csv folder removed...)
        summary["style_error"] = exc.cause
        return RunAttribution(summary, holdings=holdings)
    if len(assets) < MIN_SESSIONS:
        summary["style_error"] = f"{len(assets)} sessions with every asset's return"
        return RunAttribution(summary, holdings=holdings)
    target = strategy.loc[assets.index]
    weights, r2 = style_weights(target.to_numpy(), assets.to_numpy())
    named = {str(c): float(w) for c, w in zip(assets.columns, weights, strict=True)}
    summary["style"] = {"weights": named, "r2": r2, "holdings": holdings}
    if not rolling:
        return RunAttribution(summary, holdings=holdings)
    return RunAttribution(
        summary,
        rolling_loadings(excess, factors, ROLLING_WINDOW),
        rolling_style(target, assets),
        holdings,
    )
