"""``RotationStrategy``: subclasses say what to hold as target weights; the base does the rest.

What a subclass writes:

* ``Params``: a frozen pydantic model (extends :class:`RotationParams`) with typed, documented,
  bounded parameters;
* ``needs(params)`` -> (tradable symbols, signal series) it reads;
* ``warmup(params)`` -> sessions of history its signals need before the first decision;
* optionally ``holdings(params)`` (what it may hold) or ``static_portfolio(params)`` (the
  no-rotation twin it is measured against; default equal weights of its holdings);
* ``setup()`` to build indicators, optionally ``observe()`` to update state on every bar;
* ``targets()`` -> ``(weights, reason)``: symbol -> fraction of equity (sum <= 1) and why.

What the base does: decides on the schedule's sessions (``daily``, ``weekly``, ``monthly`` = last
session of the month, ``quarterly``, ``once``) plus the first session after warm-up; skips trades
smaller than ``tolerance`` x equity (full exits always go through); sends sells before buys and
sizes buys to the cash they will have; parks unallocated weight in ``cash_asset`` (e.g. BIL or
SHY) or plain cash; and logs every bar's money, every order, trade and decision.

Signals only ever read ``[0]`` and negative offsets of backtrader lines: data up to the current
bar. The tests cut the data after a day t and check nothing on or before t changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar

import backtrader as bt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import UserError
from core.symbols import Symbol
from strategies.bt_private import feed_name
from strategies.schedule import MAX_OFFSET, Schedule

__all__ = ["RotationParams", "RotationStrategy", "RunContext", "Ledger", "Schedule", "Symbol"]


class RotationParams(BaseModel):
    """Parameters every rotation strategy has (subclasses add their own and override defaults)."""

    # defer_build: each strategy's validator is built when first used, not when its module is
    # imported (the registry imports every strategy; a run validates one)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    rebalance: Schedule = Field(
        "monthly",
        description="when to decide: last session of each period (plus the first after warm-up)",
    )
    tolerance: float = Field(
        0.02,
        ge=0,
        lt=1,
        description="skip trades smaller than this fraction of equity",
        json_schema_extra={"unit": "fraction of equity"},
    )
    cash_asset: Symbol | None = Field(
        None, description="symbol holding unallocated weight (e.g. BIL, SHY); none = plain cash"
    )
    rebalance_offset: int = Field(
        0,
        ge=0,
        le=59,
        description=(
            "weekly/monthly/quarterly: decide this many NYSE sessions before the period's last "
            "session"
        ),
        json_schema_extra={"unit": "sessions"},
    )
    tranches: int = Field(
        1,
        ge=1,
        le=12,
        description=(
            "split capital into this many sleeves deciding on staggered offsets; the target is "
            "their average"
        ),
    )

    @model_validator(mode="after")
    def _timing(self) -> Self:
        periodic = self.rebalance in MAX_OFFSET
        if not periodic and (self.rebalance_offset or self.tranches > 1):
            raise ValueError(
                "rebalance_offset and tranches need a weekly, monthly or quarterly schedule, not "
                f"{self.rebalance}"
            )
        if periodic and self.rebalance_offset > MAX_OFFSET[self.rebalance]:
            raise ValueError(
                f"rebalance_offset {self.rebalance_offset} is too large for {self.rebalance} "
                f"(at most {MAX_OFFSET[self.rebalance]})"
            )
        return self


@dataclass
class RunContext:
    """What the runner tells the strategy about this run (not a strategy parameter)."""

    trade_from: float  # backtrader date number of the first session that may trade
    decision_days: dict[float, tuple[int, ...]]  # date number -> the sleeves deciding that session
    cash_buffer: float = 0.0
    fractional: bool = False
    cost_rate: float = 0.0  # commission + slippage as a fraction of traded value (for sizing)
    slippage_bps: float = 0.0  # slippage charged per fill, bps of its value (orders.csv splits it)
    commission_min: float = 0.0  # minimum commission per order, currency (for sizing)
    per_share: float = 0.0
    fill: str = "open"  # open: fills at the next session's open; close: at the decision close


@dataclass
class Ledger:
    """Everything the strategy records while running; the runner turns it into frames."""

    bars: list[tuple] = field(default_factory=list)  # (date, cash, equity, sizes tuple)
    orders: list[dict] = field(default_factory=list)
    trades: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    rejected: int = 0


def _date(num: float) -> str:
    return bt.num2date(num).date().isoformat()


ParamsT = TypeVar("ParamsT", bound=RotationParams)


class RotationStrategy(bt.Strategy, Generic[ParamsT]):
    """Base class of every rotation strategy (see the module docstring). The type argument is
    the strategy's ``Params`` model (``RotationStrategy[MyParams]``), which types ``self.cfg``
    and the class methods' ``params``; a plain ``RotationStrategy`` subclass works too."""

    params = (("config", None), ("run", None))

    #: registry name and one-line summary; the class docstring is the thesis.
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: False for tools that are not rotation rules (the walk-forward's replay): runnable by name,
    #: but not listed by `smallcap strategies` nor covered by the per-strategy test matrices.
    listed: ClassVar[bool] = True
    #: True for a strategy that holds its static portfolio (benchmarks): it is its own no-rotation
    #: twin, so no second run is made for it.
    static: ClassVar[bool] = False
    Params: ClassVar[type[RotationParams]] = RotationParams
    #: parameters that name a yield (a macro series in percent, DGS2): a price there is refused.
    yield_params: ClassVar[tuple[str, ...]] = ()

    # ----- what subclasses provide --------------------------------------------------------------
    @classmethod
    def needs(cls, params: ParamsT) -> tuple[list[str], list[str]]:
        """(tradable symbols, signal series) this configuration reads."""
        raise NotImplementedError

    @classmethod
    def warmup(cls, params: ParamsT) -> int:
        """Sessions of history needed before the first decision."""
        return 0

    @classmethod
    def holdings(cls, params: ParamsT) -> list[str]:
        """The symbols this configuration may hold (default: the tradables of ``needs``; a
        strategy that trades on a price it never holds, e.g. RSP/SPY breadth, overrides it).
        The cash asset is where unallocated weight waits, not a holding of the rotation."""
        return list(dict.fromkeys(s.upper() for s in cls.needs(params)[0]))

    @classmethod
    def static_portfolio(cls, params: ParamsT) -> dict[str, float]:
        """The no-rotation twin: the fixed weights this rotation moves around (symbol -> fraction
        of equity). Default: equal weights of :meth:`holdings`. Its run (``engine.twin``) has the
        same schedule, fills and costs, so the strategy's excess over it is what rotating adds."""
        held = cls.holdings(params)
        return {s: 1.0 / len(held) for s in held}

    def setup(self) -> None:
        """Build indicators (called once, from ``__init__``)."""

    def observe(self) -> None:
        """Update state on every bar after warm-up (before any decision)."""

    def targets(self) -> tuple[dict[str, float], str] | None:
        """Target weights (symbol -> fraction of equity, total <= 1) and the reason; ``None``
        for "no decision today" (nothing is traded or logged)."""
        raise NotImplementedError

    # ----- machinery ----------------------------------------------------------------------------
    @classmethod
    def all_symbols(cls, params: ParamsT) -> tuple[list[str], list[str]]:
        """Tradable symbols including the cash asset, and series."""
        symbols, series = cls.needs(params)
        symbols = [s.upper() for s in symbols]
        if params.cash_asset:
            symbols.append(params.cash_asset)
        return list(dict.fromkeys(symbols)), [s.upper() for s in series]

    def __init__(self) -> None:
        self.cfg: ParamsT = self.p.config
        self.run_ctx: RunContext = self.p.run
        self.ledger = Ledger()
        self.tradables, _ = self.all_symbols(self.cfg)
        self.feeds = {feed_name(d): d for d in self.datas}
        self._trade_datas = [self.feeds[s] for s in self.tradables]
        self._warmup = self.warmup(self.cfg)
        self._decided_once = False
        self._last_weights: dict[str, float] | None = None
        self._sleeves: list[dict[str, float]] = []  # each tranche's latest target
        self._retry = False  # a buy was refused for cash: resize and resend on the next bar
        self._minperiod_passed = False
        # the strategy's date line (self.datetime, without the lookup)
        self._dates = self.lines.datetime
        cls = type(self)
        self._hears_cash = (cls.notify_cashvalue is not bt.Strategy.notify_cashvalue
                            or cls.notify_fund is not bt.Strategy.notify_fund)
        self.setup()

    def feed(self, symbol: str) -> bt.AbstractDataBase:
        """The backtrader data feed of ``symbol`` (a tradable or a series)."""
        return self.feeds[symbol.upper()]

    @property
    def today(self) -> str:
        """Current session as YYYY-MM-DD."""
        return _date(self.datetime[0])

    def _record(self) -> float:
        """Add this session's (date number, cash, value, sizes) to the ledger; its date number."""
        broker = self.broker
        positions = broker.positions
        now = self._dates[0]
        self.ledger.bars.append((now, broker.getcash(), broker.getvalue(),
                                 tuple(positions[d].size for d in self._trade_datas)))
        return now

    def _getminperstatus(self) -> int:
        """backtrader's check whether every feed has its minimum history, done per bar as a max over
        all feeds; feeds only grow, so once it is passed (negative) it stays passed: keep it."""
        if self._minperiod_passed:
            # what backtrader's own method leaves behind (read by next_open)
            self._minperstatus = -1
            return -1
        status = super()._getminperstatus()
        self._minperiod_passed = status < 0
        return status

    def _notify(self, qorders: Iterable[Any] = (), qtrades: Iterable[Any] = ()) -> None:
        """backtrader's per-bar delivery of order and trade notifications, without its calls to
        ``notify_cashvalue`` and ``notify_fund`` (which read the broker four times per bar) when
        the strategy does not override them. Analyzers and quick notification take backtrader's
        own path."""
        if (
            self._hears_cash
            or self.analyzers
            or self._slave_analyzers
            or self.cerebro.p.quicknotify
        ):
            super()._notify(list(qorders), list(qtrades))
            return
        for order in self._orderspending:
            if order.exectype != order.Historical or order.histnotify:
                self.notify_order(order)
        for trade in self._tradespending:
            self.notify_trade(trade)

    def prenext(self) -> None:
        self._record()

    def next(self) -> None:
        now = self._record()
        if len(self.ledger.bars) <= self._warmup:  # one ledger bar per session so far: len(self)
            return
        self.observe()
        if now < self.run_ctx.trade_from:
            return
        first = not self._decided_once
        if not first and now not in self.run_ctx.decision_days:
            self._resend_refused()
            return
        decision = self.targets()
        # the strategy has nothing to decide today (e.g. a replay between its dates)
        if decision is None:
            self._resend_refused()
            return
        self._decided_once = True
        weights, reason = decision
        weights = self._complete(weights)
        if self.cfg.tranches > 1:
            weights, reason = self._blend(
                weights, reason, first, self.run_ctx.decision_days.get(now, ())
            )
        self.ledger.decisions.append(
            {
                "date": self.today,
                "targets": _fmt_weights(weights),
                "reason": reason,
                "weights": json.dumps(weights, sort_keys=True),
            }
        )
        self._last_weights, self._retry = weights, False
        self._rebalance(weights)

    def _resend_refused(self) -> None:
        """A buy refused for cash on the last session: resize it to today's value and resend."""
        if self._retry and self._last_weights is not None:
            self._retry = False
            self._rebalance(self._last_weights)

    def _blend(self, weights: dict[str, float], reason: str, first: bool,
               sleeves: tuple[int, ...]) -> tuple[dict[str, float], str]:
        """Tranches: the deciding sleeves take ``weights``; the portfolio holds their average."""
        if first or not self._sleeves:
            self._sleeves = [dict(weights) for _ in range(self.cfg.tranches)]
            deciding = "all sleeves"
        else:
            for j in sleeves:
                self._sleeves[j] = dict(weights)
            deciding = "sleeve " + ", ".join(str(j + 1) for j in sleeves)
        symbols = sorted({s for sleeve in self._sleeves for s in sleeve})
        blended = {
            s: sum(sleeve.get(s, 0.0) for sleeve in self._sleeves) / len(self._sleeves)
            for s in symbols
        }
        return {
            s: w for s, w in blended.items() if w
        }, f"{deciding} of {self.cfg.tranches}: {reason}"

    def _complete(self, weights: dict[str, float]) -> dict[str, float]:
        out = {s.upper(): float(w) for s, w in weights.items() if w}
        unknown = set(out) - set(self.tradables)
        if unknown:
            raise ValueError(f"{self.name}: target for symbols not loaded: {sorted(unknown)}")
        odd = sorted(s for s, w in out.items() if not math.isfinite(w))
        if odd:  # NaN passes every comparison below and would trade nothing, silently
            raise UserError(
                f"strategy '{self.name}' gave {odd[0]} a target weight of {out[odd[0]]} on "
                f"{self.today}",
                "targets() must return finite weights (a NaN often comes from an indicator "
                "without enough history: check the warm-up)",
            )
        total = sum(out.values())
        if any(w < 0 for w in out.values()) or total > 1 + 1e-9:
            raise ValueError(f"{self.name}: weights must be >= 0 and sum to <= 1, got {out}")
        cash_asset = self.cfg.cash_asset
        if cash_asset and total < 1 - 1e-12:
            out[cash_asset] = out.get(cash_asset, 0.0) + (1.0 - total)
        return out

    def _rebalance(self, weights: dict[str, float]) -> None:
        ctx = self.run_ctx
        value = self.broker.getvalue()
        investable = value * (1.0 - ctx.cash_buffer)
        sells: list[tuple[Any, float, float, float]] = []
        buys: list[tuple[Any, float, float, float]] = []
        for symbol, data in zip(self.tradables, self._trade_datas, strict=True):
            price = data.close[0]
            held = self.getposition(data).size
            weight = weights.get(symbol, 0.0)
            want = investable * weight / price if weight > 0 else 0.0
            if not ctx.fractional:
                want = math.floor(want + 1e-9)
            delta = want - held
            if abs(delta) * price <= 1e-9 * value:
                continue  # float dust
            if want > 0 and abs(delta) * price < self.cfg.tolerance * value:
                continue  # inside the tolerance band; full exits always go through
            (sells if delta < 0 else buys).append((data, delta, price, want))
        cash = self.broker.getcash()
        for data, delta, price, want in sells:
            if want == 0:
                self.close(data)
            else:
                self.sell(data, size=-delta)
            cash += -delta * price - self._fill_cost(-delta, price)
        self._place_buys(buys, cash)

    def _place_buys(self, buys: list[tuple[Any, float, float, float]], cash: float) -> None:
        """Send the buys (data, shares wanted, price, target shares), scaled down together when
        ``cash`` (after the sells) cannot pay for all of them and their costs."""
        ctx = self.run_ctx
        need = sum(delta * price + self._fill_cost(delta, price) for _, delta, price, _ in buys)
        room = max(cash, 0.0) * (1 - 1e-12)  # a hair below the cash: float sums must not overdraw
        scale = 1.0
        if need > room:  # scale the buys down; each may still pay the minimum commission in full
            variable = sum(delta * price * (1 + ctx.cost_rate) + ctx.per_share * delta
                           for _, delta, price, _ in buys)
            scale = max(room - len(buys) * ctx.commission_min, 0.0) / variable
        for data, delta, _, _ in buys:
            size = delta * scale
            if not ctx.fractional:
                size = math.floor(size + 1e-9)
            if size > 0:
                self.buy(data, size=size)

    def _fill_cost(self, shares: float, price: float) -> float:
        """What the broker will charge for filling ``shares`` at ``price`` (engine.broker's
        CostModel): commission (bps + per share, at least the minimum) plus slippage."""
        ctx = self.run_ctx
        value = shares * price
        slippage = value * ctx.slippage_bps / 10_000.0
        commission = value * ctx.cost_rate - slippage + ctx.per_share * shares
        return max(commission, ctx.commission_min) + slippage

    def notify_order(self, order: bt.Order) -> None:
        if order.status in (order.Submitted, order.Accepted, order.Partial):
            return
        row: dict[str, Any] = {
            "created": _date(order.created.dt), "symbol": feed_name(order.data),
            "side": "buy" if order.isbuy() else "sell", "status": order.getstatusname().lower(),
        }
        if order.status == order.Completed:
            value = abs(order.executed.size) * order.executed.price
            # the broker charged it with the commission (the same expression as engine.broker's)
            shares, price = abs(order.executed.size), order.executed.price
            slippage = shares * price * self.run_ctx.slippage_bps / 10_000.0
            row.update(
                date=_date(order.executed.dt),
                size=order.executed.size,
                price=order.executed.price,
                value=value,
                commission=order.executed.comm - slippage,
                slippage=slippage,
            )
        else:
            self.ledger.rejected += 1
            self._retry = self._retry or (order.isbuy() and order.status == order.Margin)
            # the price the fill was attempted at: this session's open, or the decision close
            price = order.created.price if self.run_ctx.fill == "close" else order.data.open[0]
            row.update(date=self.today, size=order.created.size, price=price,
                       value=abs(order.created.size) * price, commission=0.0, slippage=0.0)
        self.ledger.orders.append(row)

    def notify_trade(self, trade: bt.Trade) -> None:
        if trade.isclosed:
            self.ledger.trades.append(
                {
                    "symbol": feed_name(trade.data),
                    "opened": _date(trade.dtopen),
                    "closed": _date(trade.dtclose),
                    "sessions": trade.barlen,
                    "pnl": trade.pnl,
                    "pnl_net": trade.pnlcomm,
                }
            )


def _fmt_weights(weights: dict[str, float]) -> str:
    return " ".join(f"{s}:{w:.4f}" for s, w in sorted(weights.items())) or "cash"
