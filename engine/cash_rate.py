"""The cash rate: what money earns doing nothing, session by session.

The risk-free rate of Sharpe, Sortino, PSR, DSR, PBO and every excess-over-cash figure is the
3-month Treasury bill (FRED ``DTB3``, secondary market, percent a year, bundled), as-of with the
publication lag of every macro series (``engine.data.market.publish``: by default a value dated
D is usable from the close of the next session). Each session's cash return is that session's
known yield ``y`` turned into one session's simple return, ``(1 + y / 100) ** (1 / 252) - 1``,
the same geometric de-annualisation quantstats applies to a constant rate.

Sessions before the first published value (DTB3 starts on 1987-01-02) take the first one: no
run in the bundled data starts that early; a user's CSV could.

The 2-year Treasury yield (DGS2) is a *signal* (rate expectations), not a cash rate.

``RiskFree`` is what a run records (``metrics.json`` ``risk_free``, ``config.toml``): either
``{"series": "DTB3", "lag": 1}`` or ``{"constant": 0.02}`` (an annual decimal, from
``--risk-free``); :func:`cash_returns_for` rebuilds the per-session series of a saved run from it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from engine.data.catalog import bundled_files
from engine.data.files import bundled_source, content_digest
from engine.data.market import DEFAULT_MACRO_LAG, align_asof, publish

#: The bundled series that is the cash rate (3-month T-bill, percent a year).
CASH_SERIES = "DTB3"
PERIODS_PER_YEAR = 252


def _published_yield(lag_sessions: int) -> pd.Series:
    """DTB3 in percent a year, re-dated to when each value is usable (``lag_sessions`` later);
    kept per process under the file's content digest (an edited file is read again)."""
    return _published_yield_of(lag_sessions, content_digest(bundled_files()[CASH_SERIES].path))


@lru_cache(maxsize=8)
def _published_yield_of(lag_sessions: int, digest: str) -> pd.Series:
    raw = bundled_source().load(CASH_SERIES).frame["value"].astype(float).dropna()
    return publish(raw, lag_sessions)


def annual_yield(sessions: pd.DatetimeIndex, lag_sessions: int = DEFAULT_MACRO_LAG) -> pd.Series:
    """The 3-month T-bill yield known at each of ``sessions``, as an annual decimal (0.05 = 5%)."""
    values = align_asof(_published_yield(int(lag_sessions)), pd.DatetimeIndex(sessions))
    first = _published_yield(int(lag_sessions)).iloc[0]
    return (values.fillna(first) / 100.0).rename(CASH_SERIES)


def daily_cash_returns(
    sessions: pd.DatetimeIndex, lag_sessions: int = DEFAULT_MACRO_LAG
) -> pd.Series:
    """Daily simple return of cash (3-month T-bill, DTB3) on each of ``sessions``.

    ``sessions``: the run's session dates; ``lag_sessions``: sessions after its date that a DTB3
    value becomes usable (the run's ``macro_lag``, default 1). Each session earns
    ``(1 + y) ** (1/252) - 1`` of the yield ``y`` (annual decimal) known at that session.
    """
    y = annual_yield(sessions, lag_sessions)
    return ((1.0 + y) ** (1.0 / PERIODS_PER_YEAR) - 1.0).rename("cash")


def constant_cash_returns(sessions: pd.DatetimeIndex, annual_rate: float) -> pd.Series:
    """A constant annual rate (decimal) as the same per-session simple return on every session."""
    daily = (1.0 + float(annual_rate)) ** (1.0 / PERIODS_PER_YEAR) - 1.0
    return pd.Series(daily, index=pd.DatetimeIndex(sessions), name="cash")


def risk_free_spec(constant: float | None, lag_sessions: int) -> dict[str, Any]:
    """What a run records as its cash rate: ``{"constant": r}`` (annual decimal) when the user
    set one, else ``{"series": "DTB3", "lag": lag_sessions}``."""
    if constant is not None:
        return {"constant": float(constant)}
    return {"series": CASH_SERIES, "lag": int(lag_sessions)}


def cash_returns_for(
    spec: dict[str, Any] | None, sessions: pd.DatetimeIndex, fallback_annual: float = 0.0
) -> pd.Series:
    """The per-session cash returns a run used, rebuilt from its recorded ``spec`` (see
    :func:`risk_free_spec`) on ``sessions``. Runs saved before the cash rate was recorded
    (``spec`` None) get their constant ``fallback_annual`` (their ``risk_free_rate``)."""
    if not spec:
        return constant_cash_returns(sessions, fallback_annual)
    if "constant" in spec:
        return constant_cash_returns(sessions, float(spec["constant"]))
    return daily_cash_returns(sessions, int(spec.get("lag", DEFAULT_MACRO_LAG)))


def run_cash_returns(metrics: dict[str, Any], sessions: pd.DatetimeIndex) -> pd.Series:
    """The per-session cash returns of a saved run (its ``metrics.json``) on ``sessions``."""
    return cash_returns_for(
        metrics.get("risk_free"), sessions, float(metrics.get("risk_free_rate", 0.0))
    )


def describe(spec: dict[str, Any], mean_annual: float | None = None) -> str:
    """The rate in words, e.g. ``3-month T-bill (DTB3, as-of, lag 1 session; mean 2.05%)``."""
    if "constant" in spec:
        return f"constant {float(spec['constant']):.2%} a year (--risk-free)"
    mean = f"; mean {mean_annual:.2%} a year" if mean_annual is not None else ""
    lag = int(spec.get("lag", DEFAULT_MACRO_LAG))
    return (
        f"3-month T-bill (bundled {spec.get('series', CASH_SERIES)}, as-of, lag {lag} "
        f"session{'s' if lag != 1 else ''}{mean})"
    )


def annualised(daily: pd.Series | np.ndarray) -> float:
    """The mean of per-session cash returns as an annual decimal (geometric, 252 sessions)."""
    values = np.asarray(daily, dtype=float)
    if not len(values):
        return 0.0
    return float((1.0 + values.mean()) ** PERIODS_PER_YEAR - 1.0)
