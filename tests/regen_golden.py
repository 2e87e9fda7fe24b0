"""Regenerate the golden files on purpose (`make golden`); review the diff in the commit.

* ``golden/strategies.json``: each strategy with default parameters on 2005-2024, default broker
  (with its realistic default costs: 2 bps slippage per side): CAGR, Sharpe, max drawdown, filled
  orders and a sha256 of the order list.
* ``golden/regression.json`` (in the style of LEAN's regression algorithms): each strategy in
  three broker modes on 2015-2020 - next-open whole shares with 5 bp commission and 5 bp
  slippage, next-open fractional frictionless (every cost set to zero explicitly), close fills
  fractional with costs - pinning the
  final equity, every statistic and a sha256 of orders.csv.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "strategies.json"
REGRESSION = Path(__file__).parent / "golden" / "regression.json"
PERIOD = {"start": "2005-01-03", "end": "2024-12-31"}
REGRESSION_PERIOD = {"start": "2015-01-02", "end": "2020-12-31"}
MODES = {
    "open-whole-costs": {"commission_bps": 5.0, "slippage_bps": 5.0},
    "open-fractional": {
        "fractional": True,
        "commission_bps": 0.0,
        "commission_per_share": 0.0,
        "commission_min": 0.0,
        "slippage_bps": 0.0,
    },  # frictionless: said so
    "close-fractional-costs": {
        "fill": "close",
        "fractional": True,
        "commission_bps": 5.0,
        "slippage_bps": 5.0,
    },
}
PINNED_METRICS = (
    "final_equity",
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "exposure",
    "turnover",
    "trades",
    "switches",
    "rejected_orders",
)


def _orders_sha256(result) -> str:
    return hashlib.sha256(
        result.orders.to_csv(index=False, lineterminator="\n").encode()
    ).hexdigest()


def golden_stats(name: str) -> dict:
    """On :data:`PERIOD`, or from the strategy's first tradable session when its data and warm-up
    begin later (breadth_rotation: RSP from 2005-01-03, then 50 sessions)."""
    from engine.config import RunConfig
    from engine.runner import earliest_start, run_backtest

    start = max(dt.date.fromisoformat(PERIOD["start"]), earliest_start(RunConfig(strategy=name)))
    result = run_backtest(RunConfig(strategy=name, **{**PERIOD, "start": start.isoformat()}))
    m = result.metrics
    return {"cagr": m["cagr"], "sharpe": m["sharpe"], "max_drawdown": m["max_drawdown"],
            "trades": m["trades"], "orders_sha256": _orders_sha256(result)}


def regression_stats(name: str, mode: str) -> dict:
    from engine.config import RunConfig
    from engine.runner import run_backtest

    result = run_backtest(RunConfig(strategy=name, broker=MODES[mode], **REGRESSION_PERIOD))
    return {
        **{k: result.metrics[k] for k in PINNED_METRICS},
        "orders_sha256": _orders_sha256(result),
    }


def main() -> None:
    from strategies import all_strategies

    names = [s.name for s in all_strategies()]
    doc = {"period": PERIOD, "strategies": {n: golden_stats(n) for n in names}}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    reg = {"period": REGRESSION_PERIOD, "modes": MODES,
           "runs": {f"{n}/{mode}": regression_stats(n, mode) for n in names for mode in MODES}}
    REGRESSION.write_text(json.dumps(reg, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} and {REGRESSION}")


if __name__ == "__main__":
    main()
