"""``run_backtest(config, data=None) -> BacktestResult``: one Cerebro from a RunConfig.

Steps: resolve the strategy and its parameters; load (or take) the market data; check the period
against it; feed ``warmup`` sessions before ``start`` so signals are ready on the first measured
session; run backtrader (stdstats off, fast array feeds, the configured broker; daily returns come
from the strategy's ledger of each close's value); turn the strategy's ledger into frames and
metrics.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Collection
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import backtrader as bt
import numpy as np
import pandas as pd

from core.deadline import time_limit
from core.errors import UserError
from core.user_code import strategy_failure
from engine import __version__
from engine.broker import configure_broker, cost_rate
from engine.cash_rate import cash_returns_for, describe, risk_free_spec
from engine.config import RunConfig
from engine.data.market import MarketData, load_market_data
from engine.data.sources import open_source
from engine.feeds import ArrayFeed, date_numbers, dates_from_numbers, series_frame
from engine.lean_cerebro import LeanCerebro
from engine.metrics import (
    MIN_SESSIONS_ANNUALISED,
    approx_breakeven_bps,
    compute_metrics,
    short_window_warning,
    trade_and_relative_metrics,
    twin_metrics,
)
from engine.relative_risk import relative_risk
from engine.results import BacktestResult
from engine.twin import twin_config, twin_returns, twin_weights
from strategies import RotationParams, RotationStrategy, RunContext, get_strategy, sleeve_decisions


def data_needs(
    config: RunConfig, available: Collection[str] | None = None
) -> tuple[list[str], list[str]]:
    """(price symbols, as-of series) a ``config`` reads: the strategy's tradables and the
    benchmark and the no-rotation twin's symbols; the strategy's signal series. The cash rate (DTB3)
    always comes from the bundled data (``engine.cash_rate``). ``available`` (the source's symbols)
    is accepted for callers
    that pass it."""
    spec = get_strategy(config.strategy)
    symbols, series = spec.cls.all_symbols(config.params)
    return list(dict.fromkeys([*symbols, config.benchmark, *twin_weights(config)])), list(series)


def earliest_start(config: RunConfig, data: MarketData | None = None) -> dt.date:
    """The first session a run of ``config`` may start on and already trade: its strategy's
    warm-up (sessions of history its signals need) after the first session all its data share.
    ``data``: market data holding what the run needs (default: loaded from ``config.data``)."""
    if data is None:
        source = open_source(
            config.data.source, cache_dir=config.data.cache_dir, offline=config.data.offline
        )
        data = load_market_data(
            *data_needs(config, source.available()), source, macro_lag=config.data.macro_lag
        )
    warmup = get_strategy(config.strategy).cls.warmup(config.params)
    return data.sessions[min(warmup, len(data.sessions) - 1)].date()


def _session_range(md: MarketData, config: RunConfig, warmup: int) -> tuple[int, int]:
    """Positions of the first and last measured session in ``md.sessions``; UserError if outside."""
    sessions = md.sessions
    first, last = sessions[0].date(), sessions[-1].date()
    earliest = sessions[min(warmup, len(sessions) - 1)].date()  # the first start that can trade
    who = f" ({md.limited_by} starts then)" if md.limited_by else ""
    if config.start and config.start < first:
        raise UserError(f"start {config.start} is before the data begins on {first}{who}",
                        f"use --start {earliest} or later (the first session after the strategy's "
                        f"{warmup}-session warm-up), or drop the symbol that starts late")
    if config.end and config.end > last:
        ends = f" ({md.ended_by} ends then)" if md.ended_by else ""
        raise UserError(
            f"end {config.end} is after the data ends on {last}{ends}",
            f"use --end {last} or earlier" + (f", or drop {md.ended_by}" if md.ended_by else ""),
        )
    if config.start and config.start > last:
        raise UserError(
            f"start {config.start} is after the data ends on {last}", f"use --start before {last}"
        )
    if config.end and config.end < first:
        raise UserError(
            f"end {config.end} is before the data begins on {first}", f"use --end after {first}"
        )
    i0 = (
        int(sessions.searchsorted(pd.Timestamp(config.start)))
        if config.start
        else min(warmup, len(sessions) - 1)
    )
    if i0 < warmup:  # it would sit in cash while the benchmark is invested from day one
        raise UserError(
            f"start {config.start} leaves {i0} sessions of history before it; "
            f"{config.strategy} needs {warmup} (its warm-up) to decide on its first session",
            f"use --start {earliest} or later ({warmup} sessions after "
            f"{md.limited_by or 'the data'} begins on {first}), or omit --start to begin there",
        )
    i1 = (
        int(sessions.searchsorted(pd.Timestamp(config.end), side="right")) - 1
        if config.end
        else len(sessions) - 1
    )
    if i1 < i0:
        raise UserError(f"no sessions between {config.start} and {config.end}", "widen the period")
    return i0, i1


def _versions() -> dict[str, str]:
    out = {"smallcap-rotation": __version__, "python": platform.python_version()}
    for lib in ("backtrader", "pandas", "numpy", "quantstats"):
        out[lib] = version(lib)
    return out


Machinery = Literal["lean", "stock"]


def _feed(frame: pd.DataFrame, name: str, machinery: Machinery) -> bt.feed.DataBase:
    """The backtrader feed of one frame: our ``ArrayFeed``, or backtrader's stock ``PandasData``."""
    if machinery == "stock":
        return bt.feeds.PandasData(dataname=frame, name=name)
    return ArrayFeed.from_frame(frame, name)


def run_backtest(config: RunConfig, data: MarketData | None = None, *,
                 machinery: Machinery = "lean", timeout: float | None = None, twin: bool = True,
                 twin_folder: Path | None = None) -> BacktestResult:
    """Run one backtest and return its result (not yet saved; see ``BacktestResult.save``).

    ``config``: what to run (strategy, params, period, cash, broker, data source). ``data``:
    already loaded market data holding every symbol and series the strategy needs (default:
    load from ``config.data``). ``machinery``: ``lean`` (default: ``LeanCerebro``, ``ArrayFeed``,
    the ``CashStockBroker``, daily returns from the strategy's ledger) or ``stock`` (backtrader's
    own ``Cerebro``, ``PandasData``, ``BackBroker`` and ``TimeReturn`` analyzer: the reference the
    lean one is tested to equal exactly, and timed against in ``bench/``). ``twin``: also run the
    no-rotation twin (``engine.twin``) on the same sessions: ``returns["twin"]`` and the ``twin_*``
    metrics; ``twin_folder``: save each distinct twin there once and reuse it (sweeps). ``timeout``:
    seconds the replay may take (default: no limit), else a :class:`UserError`. Raises
    :class:`UserError` for user mistakes, and for a user's strategy code that fails (its own line
    named, see ``core.user_code``).
    """
    wall = time.perf_counter()
    spec = get_strategy(config.strategy)
    params = config.params
    symbols, series = spec.cls.all_symbols(params)
    if data is None:
        source = open_source(
            config.data.source, cache_dir=config.data.cache_dir, offline=config.data.offline
        )
        needed_prices, needed_series = data_needs(config, source.available())
        data = load_market_data(
            needed_prices, needed_series, source, macro_lag=config.data.macro_lag
        )
    else:
        needed_prices, needed_series = data_needs(config, [*data.prices, *data.series])
    if data.macro_lag != config.data.macro_lag:
        raise UserError(
            f"market data was aligned with macro_lag {data.macro_lag}, the run asks for "
            f"{config.data.macro_lag}",
            "load it with load_market_data(..., macro_lag=...)",
        )
    missing = [s for s in needed_prices if s not in data.prices] + \
              [s for s in needed_series if s not in data.series and s not in data.prices]
    if missing:
        raise UserError(
            f"market data lacks {', '.join(missing)}", "load them with load_market_data(...)"
        )
    _check_yields(spec.cls, params, data)
    warmup = spec.cls.warmup(params)
    i0, i1 = _session_range(data, config, warmup)
    window = data.window(data.sessions[max(0, i0 - warmup)], data.sessions[i1])
    start, end = data.sessions[i0], data.sessions[i1]

    cerebro = (bt.Cerebro if machinery == "stock" else LeanCerebro)(
        stdstats=False, preload=True, runonce=True
    )
    for s in symbols:
        cerebro.adddata(_feed(window.prices[s], s, machinery), name=s)
    for s in series:
        values = window.prices[s]["close"] if s in window.prices else window.series[s]
        cerebro.adddata(_feed(series_frame(values), s, machinery), name=s)
    configure_broker(cerebro, config.broker, config.cash, stock=machinery == "stock")
    nums = date_numbers(window.sessions)
    sleeves = sleeve_decisions(
        window.sessions, params.rebalance, params.rebalance_offset, params.tranches
    )
    ctx = RunContext(
        trade_from=float(date_numbers(pd.DatetimeIndex([start]))[0]),
        decision_days={float(n): s for n, s in zip(nums.tolist(), sleeves, strict=True) if s},
        cash_buffer=config.broker.effective_cash_buffer,
        fractional=config.broker.fractional,
        cost_rate=cost_rate(config.broker),
        per_share=config.broker.commission_per_share,
        slippage_bps=config.broker.slippage_bps,
        commission_min=config.broker.commission_min,
        fill=config.broker.fill,
    )
    cerebro.addstrategy(spec.cls, config=params, run=ctx)
    if machinery == "stock":
        cerebro.addanalyzer(bt.analyzers.TimeReturn, timeframe=bt.TimeFrame.Days, _name="daily")
    with time_limit(timeout, f"the backtest of {config.strategy}"):
        strat = _replay(cerebro, config.strategy)
    result = _collect(config, strat, window, symbols, start, end, params)
    # config.toml: the dates used
    result.config = config.model_copy(update={"start": start.date(), "end": end.date()})
    result.manifest.update(
        _manifest(config, data, symbols, series, warmup, start, end, time.perf_counter() - wall)
    )
    if data.ended_by and data.latest_end is not None and config.end is None:
        result.warnings.append(f"the run ends on {end.date()}, where {data.ended_by}'s data ends "
                               f"(the other symbols go on to {data.latest_end.date()})")
    result.manifest["warnings"] = result.warnings
    if twin:
        _add_twin(result, data, machinery, twin_folder)
    return result


def _check_yields(cls: type[RotationStrategy], params: RotationParams, data: MarketData) -> None:
    """A strategy's yield parameters (``yield_params``) must name a yield, not a price read as
    one."""
    for name in cls.yield_params:
        symbol = getattr(params, name)
        if symbol in data.prices:
            raise UserError(
                f"{name}={symbol} is a price series, not a yield in percent",
                f"{name} takes a yield from the macro data, e.g. DGS2 or DGS10 (see `smallcap data "
                "list`)",
            )


def _replay(cerebro: bt.Cerebro, strategy: str) -> bt.Strategy:
    """Run ``cerebro``; user code that raises (``SystemExit`` and ``KeyboardInterrupt`` too) is
    one :class:`UserError` naming its own line."""
    try:
        return cerebro.run()[0]
    except UserError:
        raise
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        failure = strategy_failure(strategy, exc)
        if failure is None:
            raise
        raise failure from None


def _add_twin(
    result: BacktestResult, data: MarketData, machinery: Machinery, folder: Path | None
) -> None:
    """Run (or reuse) the twin of ``result``'s resolved config; add its returns and metrics."""
    config = result.config
    tc = twin_config(config)
    # a benchmark is its own twin
    if config.twin is None and get_strategy(config.strategy).cls.static:
        returns = result.returns["strategy"]
    else:
        def run(twin: RunConfig, md: MarketData, save_to: Path | None) -> pd.Series:
            res = run_backtest(twin, md, machinery=machinery, twin=False)
            if save_to is not None:
                res.save(save_to.parent, name=save_to.name)
            return res.returns["strategy"]

        returns = twin_returns(config, data, run, folder)
    aligned = returns.reindex(result.returns.index).fillna(0.0)
    aligned.iloc[0] = 0.0
    result.returns["twin"] = aligned.to_numpy()
    weights = dict(tc.params.weights)
    cash = cash_returns_for(result.metrics["risk_free"], result.returns.index)
    result.metrics.update(twin_metrics(result.metrics, result.returns["twin"], cash, weights))
    # now with the twin's tracking error and IR
    result.metrics.update(relative_risk(result.returns))
    result.manifest["twin"] = {"weights": weights, "id": tc.short_hash(), "strategy": tc.strategy,
                               "params": tc.param_values()}


def _collect(config: RunConfig, strat: RotationStrategy, window: MarketData, symbols: list[str],
             start: pd.Timestamp, end: pd.Timestamp, params: RotationParams) -> BacktestResult:
    ledger = strat.ledger
    bar_dates = pd.DatetimeIndex(
        dates_from_numbers(np.array([b[0] for b in ledger.bars])), name="date"
    )
    all_equity = pd.DataFrame(
        {"equity": [b[2] for b in ledger.bars], "cash": [b[1] for b in ledger.bars]},
        index=bar_dates,
    )
    equity = all_equity.loc[start:end]
    measured = window.sessions[(window.sessions >= start) & (window.sessions <= end)]
    if hasattr(strat.analyzers, "daily"):  # stock machinery: backtrader's TimeReturn analyzer
        daily = strat.analyzers.daily.get_analysis()
        rets = pd.Series(list(daily.values()), index=pd.DatetimeIndex(list(daily)).normalize())
    else:  # value at this close / value at the previous close - 1, as TimeReturn computes it
        rets = all_equity["equity"] / all_equity["equity"].shift(1) - 1.0
    strategy_ret = rets.reindex(measured).fillna(0.0)
    strategy_ret.iloc[0] = 0.0  # measured from the close of the first session
    bench = window.close(config.benchmark).reindex(measured).pct_change().fillna(0.0)
    returns = pd.DataFrame({"strategy": strategy_ret.to_numpy(), "benchmark": bench.to_numpy()},
                           index=pd.DatetimeIndex(measured, name="date"))
    sizes = pd.DataFrame([b[3] for b in ledger.bars], index=bar_dates, columns=symbols).loc[
        start:end
    ]
    closes = window.closes(symbols).loc[start:end]
    held = sizes.stack()
    held = held[held != 0]
    positions = pd.DataFrame({"date": held.index.get_level_values(0).strftime("%Y-%m-%d"),
                              "symbol": held.index.get_level_values(1), "size": held.to_numpy()})
    px = closes.stack().reindex(held.index).to_numpy()
    positions["price"] = px
    positions["value"] = positions["size"] * px

    orders = pd.DataFrame(
        ledger.orders,
        columns=[
            "created",
            "date",
            "symbol",
            "side",
            "status",
            "size",
            "price",
            "value",
            "commission",
            "slippage",
        ],
    )
    filled = orders[orders["status"] == "completed"]
    trades = pd.DataFrame(
        ledger.trades, columns=["symbol", "opened", "closed", "sessions", "pnl", "pnl_net"]
    )
    decisions = pd.DataFrame(ledger.decisions, columns=["date", "targets", "reason", "weights"])

    risk = [s for s in symbols if s != params.cash_asset]
    invested = (sizes[risk] != 0).any(axis=1)
    held_mask = sizes[risk].ne(0).to_numpy()
    # sessions the held set changed
    switches = int((held_mask[1:] != held_mask[:-1]).any(axis=1).sum())
    rf, rf_spec = _risk_free(config, returns.index)
    warnings_ = []
    if ledger.rejected:
        warnings_.append(_refusal_warning(orders, window, config))
    metrics = compute_metrics(
        returns["strategy"],
        returns["benchmark"],
        equity["equity"],
        invested,
        float(filled["value"].sum()),
        len(filled),
        ledger.rejected,
        switches,
        rf,
    )
    metrics["risk_free"] = rf_spec
    metrics["risk_free_source"] = describe(rf_spec)
    metrics.update(trade_and_relative_metrics(returns, trades))
    years = len(returns) / metrics["periods_per_year"]
    paid = float(filled["commission"].sum() + filled["slippage"].sum())
    annual = len(returns) >= MIN_SESSIONS_ANNUALISED  # commission + slippage a year / mean equity
    metrics["costs_paid"] = paid / float(equity["equity"].mean()) / years if annual else None
    metrics["breakeven_bps"] = approx_breakeven_bps(
        metrics["cagr"],
        metrics["benchmark_cagr"],
        metrics["turnover"],
        config.broker.cost_per_side_bps,
    )
    if short := short_window_warning(len(returns)):
        warnings_.append(short)
    metrics["benchmark"] = config.benchmark
    return BacktestResult(
        config=config,
        returns=returns,
        equity=equity,
        trades=trades,
        orders=orders,
        positions=positions,
        decisions=decisions,
        metrics=metrics,
        manifest={},
        warnings=warnings_,
    )


def _refusal_warning(orders: pd.DataFrame, window: MarketData, config: RunConfig) -> str:
    """One line on orders the broker refused for cash: how many, and the largest gap that caused
    it."""
    refused = orders[orders["status"] != "completed"]
    n = len(refused)
    what = f"{n} order{'s' if n != 1 else ''} refused for cash"
    gaps = []
    for o in refused.itertuples():
        bars, created = window.prices.get(o.symbol), pd.Timestamp(o.created)
        if bars is not None and created in bars.index:
            gaps.append((o.price / bars.at[created, "close"] - 1.0, o.symbol, o.date))
    cost = _costliest(refused, config)
    if cost is not None and cost[0] > max(
        [g[0] for g in gaps if config.broker.fill == "open"] + [0.0]
    ):
        share, fee, value, symbol, day = cost
        return (
            what
            + f": the order's costs left too little cash (largest: {symbol} on {day}, "
            f"{fee:,.2f} on an order of {value:,.2f}, {share:.1%}, more than the "
            f"{config.broker.effective_cash_buffer:.0%} cash buffer); each was resized and resent "
            "the next session (see orders.csv; lower --commission-min, --commission-bps, "
            "--commission-per-share or --slippage-bps, or raise --cash-buffer)"
        )
    if config.broker.fill == "open" and gaps:
        gap, symbol, day = max(gaps)
        what += (
            f": the open gapped above the close the buy was sized at (largest: {symbol} {gap:+.2%} "
            f"on {day}, more than the {config.broker.effective_cash_buffer:.0%} cash buffer)"
        )
    return (
        what
        + "; each was resized and resent the next session "
        "(see orders.csv; --cash-buffer 0.02 or --fill close avoid it)"
    )


def _costliest(
    refused: pd.DataFrame, config: RunConfig
) -> tuple[float, float, float, str, str] | None:
    """(cost as a share of the order, cost, order value, symbol, date) of the refused order whose
    commission and slippage take the largest share of it, when costs exceed the cash buffer."""
    b = config.broker
    worst = None
    for o in refused.itertuples():
        value = abs(float(o.size) * float(o.price))
        if value <= 0:
            continue
        fee = max(
            b.commission_min,
            value * b.commission_bps / 1e4 + abs(float(o.size)) * b.commission_per_share,
        )
        fee += value * b.slippage_bps / 1e4
        if worst is None or fee / value > worst[0]:
            worst = (fee / value, fee, value, str(o.symbol), str(o.date))
    return worst if worst and worst[0] > b.effective_cash_buffer else None


def _risk_free(config: RunConfig, sessions: pd.DatetimeIndex) -> tuple[pd.Series, dict]:
    """(daily cash returns on ``sessions``, the spec recorded): the configured constant annual
    rate, else the 3-month T-bill (bundled DTB3) known at each session, lagged like every macro
    series (``engine.cash_rate``)."""
    spec = risk_free_spec(config.risk_free, config.data.macro_lag)
    return cash_returns_for(spec, sessions), spec


def _manifest(config: RunConfig, data: MarketData, symbols: list[str], series: list[str],
              warmup: int, start: pd.Timestamp, end: pd.Timestamp, wall_seconds: float) -> dict:
    used = [*symbols, config.benchmark, *series]
    return {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "data": {
            "source": data.source,
            "limited_by": data.limited_by,
            "sha256": {s: data.info[s].sha256 for s in dict.fromkeys(used) if s in data.info},
            "origin": {s: data.info[s].origin for s in dict.fromkeys(used) if s in data.info},
        },
        "period": {
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
            "warmup_sessions": warmup,
        },
        "fill": config.broker.fill,
        "macro_lag_sessions": config.data.macro_lag,
        "costs": {
            "commission_bps": config.broker.commission_bps,
            "commission_per_share": config.broker.commission_per_share,
            "commission_min": config.broker.commission_min,
            "slippage_bps": config.broker.slippage_bps,
            "fractional": config.broker.fractional,
            "cash_buffer": config.broker.effective_cash_buffer,
        },
        "wall_seconds": round(wall_seconds, 3),
    }
