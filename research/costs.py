"""Cost sensitivity and breakeven cost of one rule: what trading costs do to its edge.

A **cost per side** here is slippage in basis points of traded value, charged on every fill, with
zero commission: any row reproduces with ``smallcap backtest ... --slippage-bps X
--commission-bps 0``. The rule is rerun at each of :data:`COST_LEVELS_BPS`; each row gives CAGR,
Sharpe, the excess CAGR over the benchmark (buy and hold, no costs) and over the no-rotation twin
(the static portfolio the rule rotates around, run with the same schedule, fills and costs), and
the turnover: bought plus sold value per year as a multiple of mean equity (two-sided).

The **breakeven cost** is the cost per side at which an excess reaches zero, found by bisection
on real reruns (never a linear guess), between the two grid levels that bracket the sign change:
``None`` when the rule does not beat the reference even at zero cost, ``"above 50"`` when it
still does at 50 bps. A rule loses about turnover x cost a year, so breakeven ~ edge / turnover
(``engine.metrics.approx_breakeven_bps``, what sweeps show per variant, labelled as an
approximation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from engine.config import RunConfig
from engine.data.market import MarketData, load_market_data
from engine.data.sources import open_source
from engine.metrics import approx_breakeven_bps
from engine.runner import data_needs, run_backtest
from engine.twin import describe_twin, twin_weights

#: The cost levels of the sensitivity table, basis points per side.
COST_LEVELS_BPS: tuple[float, ...] = (0, 1, 2, 5, 10, 25, 50)
#: Bisection stops when the bracket is narrower than this, basis points.
TOLERANCE_BPS = 0.1
#: What a breakeven beyond the last level is reported as.
ABOVE = f"above {COST_LEVELS_BPS[-1]:g}"
REFERENCES = ("benchmark", "twin")
__all__ = ["COST_LEVELS_BPS", "CostRow", "CostStudy", "approx_breakeven_bps", "at_cost",
           "bisect_breakeven", "cost_study", "load_study_data"]

Breakeven = float | str | None


@dataclass(frozen=True)
class CostRow:
    """One rerun at ``cost_bps`` per side: the rule's figures and its excess over each reference
    (CAGR differences, annual decimals, over the run's window); None where not computable."""

    cost_bps: float
    cagr: float | None
    sharpe: float | None
    excess_benchmark: float | None
    excess_twin: float | None
    twin_cagr: float | None
    turnover: float | None
    trades: int
    cost_paid: float | None  # slippage + commission paid per year, fraction of mean equity


@dataclass
class CostStudy:
    """The sensitivity rows and breakeven costs of one configuration (see the module docstring)."""

    strategy: str
    params: dict[str, Any]
    start: str
    end: str
    benchmark: str
    benchmark_cagr: float | None
    twin: str
    rows: list[CostRow] = field(default_factory=list)
    breakeven_bps: dict[str, Breakeven] = field(default_factory=dict)
    reruns: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``breakeven_bps`` {benchmark, twin} and ``rows`` first, then the context."""
        return {
            "breakeven_bps": dict(self.breakeven_bps),
            "rows": [asdict(r) for r in self.rows],
            "strategy": self.strategy,
            "params": self.params,
            "start": self.start,
            "end": self.end,
            "benchmark": self.benchmark,
            "benchmark_cagr": self.benchmark_cagr,
            "twin": self.twin,
            "levels_bps": list(COST_LEVELS_BPS),
            "tolerance_bps": TOLERANCE_BPS,
            "reruns": self.reruns,
            "turnover_definition": TURNOVER_DEFINITION,
            "cost_definition": COST_DEFINITION,
        }


TURNOVER_DEFINITION = "bought plus sold value per year, as a multiple of mean equity (two-sided)"
COST_DEFINITION = "slippage per side in bps of traded value, zero commission"


def at_cost(config: RunConfig, bps: float) -> RunConfig:
    """``config`` with a cost of ``bps`` per side: slippage ``bps``, every commission zero (the
    rest of the broker, fills and shares, unchanged)."""
    broker = config.broker.model_copy(
        update={
            "slippage_bps": float(bps),
            "commission_bps": 0.0,
            "commission_per_share": 0.0,
            "commission_min": 0.0,
        }
    )
    return config.model_copy(update={"broker": broker})


def load_study_data(config: RunConfig) -> MarketData:
    """The market data the rule and its twin read, loaded once for every rerun."""
    source = open_source(
        config.data.source, cache_dir=config.data.cache_dir, offline=config.data.offline
    )
    prices, series = data_needs(config, source.available())
    return load_market_data(prices, series, source, macro_lag=config.data.macro_lag)


class _Reruns:
    """Reruns of one configuration at any cost, each run once: the rule's metrics, what it paid
    and its twin's CAGR at the same cost (the run's own ``twin`` returns: ``engine.twin``)."""

    def __init__(self, config: RunConfig, data: MarketData) -> None:
        self.config, self.data = config, data
        self.runs: dict[float, tuple[dict[str, Any], float | None, float | None]] = {}

    def rule(self, bps: float) -> tuple[dict[str, Any], float | None, float | None]:
        """(metrics, costs paid per year as a fraction of mean equity, the twin's CAGR)."""
        if bps not in self.runs:
            result = run_backtest(at_cost(self.config, bps), self.data)
            filled = result.orders[result.orders["status"] == "completed"]
            years = len(result.returns) / result.metrics["periods_per_year"]
            paid = float(filled["commission"].sum() + filled["slippage"].sum())
            per_year = paid / float(result.equity["equity"].mean()) / years if years > 0 else None
            self.runs[bps] = (result.metrics, per_year, result.metrics.get("twin_cagr"))
        return self.runs[bps]

    def twin(self, bps: float) -> float | None:
        """The twin's CAGR at ``bps`` per side."""
        return self.rule(bps)[2]

    def excess(self, reference: str, bps: float) -> float | None:
        """Excess CAGR over the benchmark or the twin at ``bps`` per side."""
        cagr = self.rule(bps)[0]["cagr"]
        if reference == "benchmark":
            return self.rule(bps)[0].get("excess_cagr")
        twin = self.twin(bps)
        return None if cagr is None or twin is None else cagr - twin

    def row(self, bps: float) -> CostRow:
        m, paid, _ = self.rule(bps)
        return CostRow(
            cost_bps=float(bps),
            cagr=m["cagr"],
            sharpe=m["sharpe"],
            excess_benchmark=self.excess("benchmark", bps),
            excess_twin=self.excess("twin", bps),
            twin_cagr=self.twin(bps),
            turnover=m["turnover"],
            trades=int(m["trades"]),
            cost_paid=paid,
        )


def bisect_breakeven(
    excess: Callable[[float], float | None], lo: float, hi: float, tolerance: float = TOLERANCE_BPS
) -> float:
    """The cost in ``[lo, hi]`` where ``excess`` (a rerun at that cost) crosses zero, by bisection:
    ``excess(lo) > 0 >= excess(hi)`` on entry; stops when the bracket is under ``tolerance`` bps
    and returns its midpoint."""
    while hi - lo > tolerance:
        mid = (lo + hi) / 2
        value = excess(mid)
        if value is not None and value > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _breakeven(rows: list[CostRow], key: str, excess: Callable[[float], float | None]) -> Breakeven:
    values = [(r.cost_bps, getattr(r, key)) for r in rows]
    if values[0][1] is None or values[0][1] <= 0:
        return None
    for (lo, _), (hi, value) in zip(values, values[1:], strict=False):
        if value is None or value <= 0:
            return round(bisect_breakeven(excess, lo, hi), 2)
    return ABOVE


def cost_study(
    config: RunConfig, data: MarketData | None = None, levels: tuple[float, ...] = COST_LEVELS_BPS
) -> CostStudy:
    """Rerun ``config`` at each cost level per side and find its breakeven costs against the
    benchmark and the twin (see the module docstring). ``data``: market data holding the rule's
    and its twin's symbols (default: loaded from ``config.data``). Raises ``UserError`` for the
    mistakes ``run_backtest`` refuses."""
    reruns = _Reruns(config, data or load_study_data(config))
    rows = [reruns.row(b) for b in levels]
    first = reruns.rule(levels[0])[0]
    study = CostStudy(
        strategy=config.strategy,
        params=config.param_values(),
        start=first["start"],
        end=first["end"],
        benchmark=config.benchmark,
        benchmark_cagr=first["benchmark_cagr"],
        twin=_twin_label(config),
        rows=rows,
    )
    for ref in REFERENCES:
        study.breakeven_bps[ref] = _breakeven(rows, f"excess_{ref}", partial(reruns.excess, ref))
    study.reruns = len(reruns.runs)
    return study


def _twin_label(config: RunConfig) -> str:
    return describe_twin(twin_weights(config))
