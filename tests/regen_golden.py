"""Regenerate tests/golden/strategies.json on purpose (`make golden`); review the diff in the commit.

Each strategy with default parameters on a fixed bundled period: CAGR, Sharpe, max drawdown,
number of filled orders and a sha256 of the order list.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "strategies.json"
PERIOD = {"start": "2005-01-03", "end": "2024-12-31"}


def golden_stats(name: str) -> dict:
    from engine.config import RunConfig
    from engine.runner import run_backtest

    result = run_backtest(RunConfig(strategy=name, **PERIOD))
    orders = result.orders.to_csv(index=False, lineterminator="\n").encode()
    m = result.metrics
    return {"cagr": m["cagr"], "sharpe": m["sharpe"], "max_drawdown": m["max_drawdown"],
            "trades": m["trades"], "orders_sha256": hashlib.sha256(orders).hexdigest()}


def main() -> None:
    from strategies.registry import all_strategies

    doc = {"period": PERIOD, "strategies": {s.name: golden_stats(s.name) for s in all_strategies()}}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
