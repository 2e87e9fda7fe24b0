"""Every performance number, computed in one place with numpy, by quantstats' definitions (252
sessions a year; tests check equality with quantstats' functions to 1e-12, and quantstats is only
imported to draw a tearsheet).

Conventions: returns are daily simple returns; the risk-free rate is per session: a series of
daily cash returns (``engine.cash_rate``: the 3-month T-bill, each session's known rate), or a
constant annual decimal converted to a per-session rate as quantstats does; drawdowns are negative
fractions; ``exposure`` is the share of sessions with a position in a risk asset (the cash asset
does not count); ``turnover`` is traded value per year as a multiple of average equity (bought plus
sold: two-sided); ``costs_paid`` is commission plus slippage per year as a fraction of average
equity; ``breakeven_bps`` the approximate cost per side at which the run would fall to the benchmark
(:func:`approx_breakeven_bps`); ``trades`` counts filled orders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias, TypeVar, overload

import numpy as np
import pandas as pd

from core.errors import UserError, did_you_mean
from engine.relative_risk import relative_risk
from engine.trade_stats import trade_statistics

PERIODS_PER_YEAR = 252
#: Below this many sessions (about a quarter) annualised numbers are noise blown up by the
#: annualisation (a 3-session run showed Sharpe 15): they are null, and the run warns.
MIN_SESSIONS_ANNUALISED = 63
ANNUALISED = ("cagr", "volatility", "sharpe", "sortino", "calmar", "turnover", "benchmark_cagr",
              "benchmark_sharpe", "excess_cagr", "twin_cagr", "twin_sharpe", "excess_cagr_twin")

#: Metrics a sweep or comparison can be ranked by (keys of metrics.json).
RANKABLE = (
    "sharpe",
    "sortino",
    "cagr",
    "calmar",
    "total_return",
    "excess_cagr",
    "excess_cagr_twin",
    "max_drawdown",
    "volatility",
    "exposure",
    "turnover",
    "trades",
    "switches",
    "final_equity",
    "information_ratio",
    "tracking_error",
    "up_capture",
    "down_capture",
    "win_rate",
    "profit_factor",
)
#: Where smaller is better. Every other metric ranks highest first; drawdowns are negative
#: fractions, so the shallowest (closest to 0) ranks first.
LOWER_IS_BETTER = frozenset({"volatility", "turnover", "trades", "switches", "rejected_orders",
                             "tracking_error", "down_capture"})

T = TypeVar("T")
#: A risk-free rate: daily cash returns per session (series or array), or an annual decimal.
RiskFree: TypeAlias = float | np.ndarray | pd.Series


def check_rank_metric(name: str) -> str:
    """``name`` if it is a metric to rank by, else a one-line UserError listing the valid ones."""
    if name not in RANKABLE:
        raise UserError(f"unknown metric '{name}' for --rank-by", did_you_mean(name, RANKABLE))
    return name


@overload
def rank(items: Iterable[dict], by: str) -> list[dict]: ...
@overload
def rank(items: Iterable[T], by: str, metrics_of: Callable[[T], dict]) -> list[T]: ...
def rank(items: Iterable[Any], by: str,
         metrics_of: Callable[[Any], dict] | None = None) -> list[Any]:
    """``items`` best first by metric ``by`` (direction per :data:`LOWER_IS_BETTER`); missing
    values last, ties kept in their given order. ``metrics_of`` maps an item to its metrics dict
    (default: the items are metrics dicts)."""
    check_rank_metric(by)
    sign = 1.0 if by in LOWER_IS_BETTER else -1.0

    def key(item: Any) -> tuple[int, float]:
        value = (metrics_of(item) if metrics_of else item).get(by)
        return (1, 0.0) if value is None else (0, sign * float(value))

    return sorted(items, key=key)


def _opt(x: object) -> float | None:
    return None if x is None else _f(x)


def _f(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def compute_metrics(
    returns: pd.Series,
    benchmark: pd.Series,
    equity: pd.Series,
    invested: pd.Series,
    traded_value: float,
    trades: int,
    rejected: int,
    switches: int,
    risk_free: RiskFree,
) -> dict:
    """The metrics dict saved as ``metrics.json``.

    ``returns``/``benchmark``: daily simple returns on the same dates; ``equity``: account value
    per session; ``invested``: per session True if any risk asset is held; ``traded_value``: sum
    of |filled size x price|; ``trades``: filled orders; ``rejected``: orders the broker refused;
    ``switches``: changes of the held set; ``risk_free``: daily cash returns on the same dates
    (or an annual decimal, constant). ``risk_free_rate`` in the result is its mean as an annual
    decimal (geometric, 252 sessions).
    """
    years = len(returns) / PERIODS_PER_YEAR
    rf = daily_risk_free(risk_free, len(returns))
    own = returns_metrics(returns.to_numpy(), rf)
    bench = returns_metrics(benchmark.to_numpy(), rf)
    m = {
        "start": returns.index[0].date().isoformat(),
        "end": returns.index[-1].date().isoformat(),
        "sessions": len(returns),
        "final_equity": _f(equity.iloc[-1]),
        "total_return": _f((1 + returns).prod() - 1),
        **{
            k: _opt(own[k])
            for k in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")
        },
        "exposure": _f(np.mean(invested.to_numpy())) if len(invested) else 0.0,
        "turnover": _f(traded_value / float(equity.mean()) / years) if years > 0 else None,
        "trades": int(trades),
        "rejected_orders": int(rejected),
        "switches": int(switches),
        "benchmark_cagr": _opt(bench["cagr"]),
        "benchmark_sharpe": _opt(bench["sharpe"]),
        "benchmark_max_drawdown": _opt(bench["max_drawdown"]),
        "risk_free_rate": _f((1.0 + float(np.mean(rf))) ** PERIODS_PER_YEAR - 1.0)
        if len(rf)
        else 0.0,
        "periods_per_year": PERIODS_PER_YEAR,
    }
    if m["cagr"] is not None and m["benchmark_cagr"] is not None:
        m["excess_cagr"] = m["cagr"] - m["benchmark_cagr"]
    if len(returns) < MIN_SESSIONS_ANNUALISED:
        m.update({k: None for k in ANNUALISED})
    return m


def trade_and_relative_metrics(returns: pd.DataFrame, trades: pd.DataFrame) -> dict:
    """The closed-trade statistics of ``trades`` (``engine.trade_stats``) and the risk of
    ``returns`` relative to its benchmark and twin (``engine.relative_risk``): the keys issue 28
    added to metrics.json. ``returns``: ``returns.csv`` as a frame; ``trades``: ``trades.csv``."""
    return {**trade_statistics(trades), **relative_risk(returns)}


def twin_metrics(
    metrics: dict, twin: pd.Series, risk_free: RiskFree, weights: dict[str, float]
) -> dict:
    """The no-rotation twin's figures for metrics.json: its weights, CAGR, Sharpe (over the same
    per-session cash rate) and max drawdown, and the strategy's CAGR minus the twin's
    (``excess_cagr_twin``: what the rotation added a year, net of the same costs). ``metrics``:
    the strategy's metrics (for its CAGR and the window length)."""
    own = returns_metrics(twin.to_numpy(), daily_risk_free(risk_free, len(twin)))
    out: dict = {
        "twin_weights": dict(weights),
        "twin_cagr": _opt(own["cagr"]),
        "twin_sharpe": _opt(own["sharpe"]),
        "twin_max_drawdown": _opt(own["max_drawdown"]),
        "twin_total_return": _opt(own["total_return"]),
    }
    if metrics.get("cagr") is not None and out["twin_cagr"] is not None:
        out["excess_cagr_twin"] = metrics["cagr"] - out["twin_cagr"]
    if len(twin) < MIN_SESSIONS_ANNUALISED:
        out.update({k: None for k in ("twin_cagr", "twin_sharpe", "excess_cagr_twin")})
    return out


def short_window_warning(sessions: int) -> str | None:
    """The warning for a window too short for annualised ratios, or None."""
    if sessions >= MIN_SESSIONS_ANNUALISED:
        return None
    return (
        f"the window has only {sessions} sessions (< {MIN_SESSIONS_ANNUALISED}): CAGR, volatility, "
        "Sharpe, Sortino, Calmar and turnover are not annualised from so little and are left "
        "empty; use a longer period"
    )


#: Metrics that can be computed from daily returns alone, on any window (walk-forward selection).
RETURN_METRICS = (
    "sharpe",
    "sortino",
    "cagr",
    "calmar",
    "max_drawdown",
    "volatility",
    "total_return",
)


def daily_risk_free(risk_free: RiskFree, sessions: int) -> np.ndarray:
    """The risk-free rate as ``sessions`` per-session simple returns: a constant annual decimal
    deannualised geometrically (``(1 + r) ** (1/252) - 1``, as quantstats does), or a series or
    array of daily cash returns taken as given (it must have one value per session)."""
    if isinstance(risk_free, int | float | np.floating):
        return np.full(sessions, (1.0 + float(risk_free)) ** (1.0 / PERIODS_PER_YEAR) - 1.0)
    rf = np.asarray(risk_free, dtype=float)
    if rf.shape != (sessions,):
        raise ValueError(f"risk-free series has {rf.shape} values for {sessions} sessions")
    return rf


def returns_metrics(returns: np.ndarray, risk_free_rate: RiskFree = 0.0) -> dict[str, float | None]:
    """:data:`RETURN_METRICS` of daily simple ``returns`` with plain numpy, by the same definitions
    as :func:`compute_metrics` (252 sessions a year; Sortino's downside deviation over all
    sessions). ``risk_free_rate``: daily cash returns, one per session (``engine.cash_rate``), or
    a constant annual decimal (deannualised geometrically). Empty or constant series give None."""
    r = np.asarray(returns, dtype=float)
    n = len(r)
    if n < 2:
        return dict.fromkeys(RETURN_METRICS)
    growth = np.cumprod(1.0 + r)
    cagr = float(growth[-1] ** (PERIODS_PER_YEAR / n) - 1.0)
    excess = r - daily_risk_free(risk_free_rate, n)
    sd = float(np.std(excess, ddof=1))
    downside = float(np.sqrt(np.sum(excess[excess < 0] ** 2) / n))
    peak = np.maximum.accumulate(np.concatenate([[1.0], growth]))[1:]
    max_dd = float(np.min(growth / peak - 1.0))
    return {
        "sharpe": excess.mean() / sd * np.sqrt(PERIODS_PER_YEAR) if sd > 0 else None,
        "sortino": excess.mean() / downside * np.sqrt(PERIODS_PER_YEAR) if downside > 0 else None,
        "cagr": cagr,
        "calmar": cagr / abs(max_dd) if max_dd < 0 else None,
        "max_drawdown": max_dd,
        "volatility": float(np.std(r, ddof=1) * np.sqrt(PERIODS_PER_YEAR)),
        "total_return": float(growth[-1] - 1.0),
    }


def approx_breakeven_bps(cagr: float | None, reference_cagr: float | None, turnover: float | None,
                         cost_bps: float) -> float | None:
    """Approximate breakeven cost per side, basis points, from one run: where its growth would
    fall to the reference's (the benchmark's, or the twin's). A cost ``c`` per side takes about
    ``turnover x c`` of log growth a year (turnover: bought plus sold value per year over mean
    equity, two-sided), so the breakeven is the run's own cost per side ``cost_bps`` plus its
    log-growth lead ``ln(1 + cagr) - ln(1 + reference_cagr)`` over its turnover. None when there
    is no lead before costs or no trading. An approximation (it ignores how costs shift later
    trades and sizes): ``research.costs.cost_study`` finds the breakeven by rerunning."""
    if cagr is None or reference_cagr is None or not turnover:
        return None
    lead = math.log1p(cagr) - math.log1p(reference_cagr)
    breakeven = cost_bps + lead / turnover * 10_000.0
    return breakeven if breakeven > 0 else None


#: Turnover in words, wherever it is shown beside a cost.
TURNOVER_MEANING = "bought plus sold value per year over mean equity, two-sided"


def cost_summary(costs: str, metrics: dict) -> str:
    """One line on what trading cost a run: ``costs`` in words (``BrokerConfig.describe_costs``),
    what it paid a year (``costs_paid``: commission plus slippage over mean equity, when the
    run recorded it) and its turnover, defined."""
    parts = [costs]
    if metrics.get("costs_paid") is not None:
        parts.append(f"paid {metrics['costs_paid']:.2%} of equity a year")
    if metrics.get("turnover") is not None:
        parts.append(f"turnover {metrics['turnover']:.2f}x a year ({TURNOVER_MEANING})")
    return "; ".join(parts)
