"""Costs and fills on backtrader's BackBroker.

* Commission: ``commission_bps`` of traded value plus ``commission_per_share`` per share, at least
  ``commission_min`` per order (per execution).
* Slippage: ``slippage_bps`` of the traded value, charged as a cost on every fill beside the
  commission. The fill price is the reference price itself: the fill bar's open or, with close
  fills, the decision bar's close. Charged this way slippage always costs exactly its rate: as a
  price shift it was capped at the fill bar's high and low, and an open at the day's high (or
  low) cancelled it (7 of 1,269 open fills in an audit paid nothing).
* Fill timing: ``open`` (default) - a market order decided at the close of t fills at the open of
  t+1; ``close`` - it fills at the close of t (backtrader's cheat-on-close).
* Sizes: whole shares by default, fractional with ``fractional=True``.

``CashStockBroker`` is backtrader's ``BackBroker`` minus per-bar bookkeeping that is always zero
for cash stock accounts (credit interest, futures cash adjustment): the same fills and the
same values to the last bit (``tests/test_feeds.py`` compares it with the stock broker).

The backtrader private names the broker relies on are registered (and checked) in
``strategies.bt_private``.
"""

from __future__ import annotations

from typing import Any

import backtrader as bt

from engine.config import BrokerConfig


class CostModel(bt.CommInfoBase):
    """What a fill costs, deducted from cash: the commission (bps of value + per share, at least
    a per-order minimum) plus the slippage (``slippage`` bps of value)."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("bps", 0.0),
        ("per_share", 0.0),
        ("minimum", 0.0),
        ("slippage", 0.0),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        if size == 0:
            return 0.0
        shares = abs(size)
        fee = shares * price * self.p.bps / 10_000.0 + shares * self.p.per_share
        return max(fee, self.p.minimum) + shares * price * self.p.slippage / 10_000.0


class CashStockBroker(bt.brokers.BackBroker):
    """``BackBroker`` for a cash account of stocks (no interest, no futures, no fund history).

    Per bar backtrader's ``next`` charges credit interest on each open position (converting the
    bar's date for each, always 0.0 here: no interest is configured) and applies the futures
    cash adjustment (0.0 for stock-like instruments); ``_get_value`` generalises over leverage,
    margin and short cash. This class does the same order processing and computes the account
    value with the same floating-point operations, skipping only those zero terms.
    """

    def next(self) -> None:
        while self._toactivate:
            self._toactivate.popleft().activate()
        if self.p.checksubmit:
            self.check_submitted()
        self._process_order_history()
        self.pending.append(None)  # one pass over the pending queue, as BackBroker.next
        while True:
            order = self.pending.popleft()
            if order is None:
                break
            if order.expire():
                self.notify(order)
                self._ococheck(order)
                self._bracketize(order, cancel=True)
            elif not order.active():
                self.pending.append(order)
            else:
                self._try_exec(order)
                if order.alive():
                    self.pending.append(order)
                elif order.status == bt.Order.Completed:
                    self._bracketize(order)
        self._get_value()

    def _get_value(self, datas: list[Any] | None = None, lever: bool = False) -> float:
        if datas is not None or self._cash_addition or self._fundhist or not self.p.shortcash:
            return super()._get_value(datas, lever)  # the general case, as backtrader computes it
        pos_value = unlevered = unrealized = 0.0
        for data, position in self.positions.items():
            size = position.size
            if not size:
                continue  # adds 0.0 to each sum
            close = data.close[0]
            # stock-like with short cash: size x price; leverage and mult are 1
            value = size * close
            pnl = size * (close - position.price) * 1.0
            pos_value += value
            unrealized += pnl
            if value > 0:  # long position - unlever
                unlevered += (value - pnl) / 1.0
                unlevered += pnl
            else:
                unlevered += value
        self._value = self.cash + unlevered
        self._fundval = self._value / self._fundshares
        self._valuemkt = unlevered
        self._valuelever = self.cash + pos_value
        self._valuemktlever = pos_value
        self._leverage = pos_value / (unlevered or 1.0)
        self._unrealized = unrealized
        return self._valuelever if lever else self._value


def configure_broker(
    cerebro: bt.Cerebro, cfg: BrokerConfig, cash: float, *, stock: bool = False
) -> None:
    """Give ``cerebro`` a broker with ``cash``, costs, slippage and fill timing: a
    :class:`CashStockBroker`, or with ``stock`` backtrader's own ``BackBroker``."""
    cerebro.broker = broker = bt.brokers.BackBroker() if stock else CashStockBroker()
    broker.setcash(cash)
    broker.addcommissioninfo(CostModel(bps=cfg.commission_bps, per_share=cfg.commission_per_share,
                                       minimum=cfg.commission_min, slippage=cfg.slippage_bps))
    broker.set_coc(cfg.fill == "close")


def cost_rate(cfg: BrokerConfig) -> float:
    """What a fill costs beyond its value at the reference price, as a fraction of that value (to
    size buys to the cash): slippage plus commission, both charged on the value at the fill
    price."""
    return (cfg.slippage_bps + cfg.commission_bps) / 10_000.0
