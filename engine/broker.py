"""Costs and fills on backtrader's BackBroker.

* Commission: ``commission_bps`` of traded value plus ``commission_per_share`` per share, at least
  ``commission_min`` per order (per execution).
* Slippage: ``slippage_bps`` against the trader on every fill, from the reference price: the fill
  bar's open (capped at that bar's high/low, which bracket the open) or, with close fills, the
  decision bar's close, never capped: backtrader executes a close fill while it processes the
  *next* session, so a cap there would use the next day's range (a look-ahead that could fill a
  buy below the close it is dated at).
* Fill timing: ``open`` (default) - a market order decided at the close of t fills at the open of
  t+1; ``close`` - it fills at the close of t (backtrader's cheat-on-close).
* Sizes: whole shares by default, fractional with ``fractional=True``.
"""

from __future__ import annotations

import backtrader as bt

from engine.config import BrokerConfig


class CostModel(bt.CommInfoBase):
    """Stock-like commission: bps of value + per share, with a per-order minimum."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("bps", 0.0),
        ("per_share", 0.0),
        ("minimum", 0.0),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        if size == 0:
            return 0.0
        shares = abs(size)
        fee = shares * price * self.p.bps / 10_000.0 + shares * self.p.per_share
        return max(fee, self.p.minimum)


def configure_broker(cerebro: bt.Cerebro, cfg: BrokerConfig, cash: float) -> None:
    """Set cash, costs, slippage and fill timing on ``cerebro``'s broker."""
    broker = cerebro.broker
    broker.setcash(cash)
    broker.addcommissioninfo(CostModel(bps=cfg.commission_bps, per_share=cfg.commission_per_share,
                                       minimum=cfg.commission_min))
    if cfg.slippage_bps:
        broker.set_slippage_perc(cfg.slippage_bps / 10_000.0, slip_open=True, slip_limit=True,
                                 slip_match=True, slip_out=cfg.fill == "close")
    broker.set_coc(cfg.fill == "close")


def cost_rate(cfg: BrokerConfig) -> float:
    """What a buy costs above the reference price, as a fraction of its value (to size buys to the
    cash): slippage raises the price, and commission is charged on the slipped value, so
    ``(1 + slippage) * (1 + commission) - 1``. (Their plain sum undercounts by the product: a
    fully invested buy then asks for slightly more than the cash and is refused.)"""
    return (1 + cfg.slippage_bps / 10_000.0) * (1 + cfg.commission_bps / 10_000.0) - 1.0
