"""Statistics of a run's closed round trips (``trades.csv``), as backtrader's TradeAnalyzer and
backtesting.py report them.

A round trip is a position in one symbol from the fill that opened it to the fill that brought it
back to zero (backtrader's closed ``Trade``); resizing it in between belongs to the same trip.
Its result is ``pnl_net``: money in the account's currency, net of commissions and slippage. A
position still open at the end of the run is not a closed trip and is not counted.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: The keys :func:`trade_statistics` adds to metrics.json.
TRADE_KEYS = ("round_trips", "trades_won", "win_rate", "avg_hold_sessions", "avg_win", "avg_loss",
              "best_trade", "worst_trade", "profit_factor")


def _number(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(x)


def trade_statistics(trades: pd.DataFrame) -> dict[str, float | int | None]:
    """The closed round trips of ``trades`` (columns ``sessions`` and ``pnl_net``) summarised:

    ``round_trips``: closed trips; ``trades_won``: trips with ``pnl_net > 0`` (a trip of exactly
    0 is neither won nor lost); ``win_rate``: won / closed trips (fraction); ``avg_hold_sessions``:
    mean sessions from open to close; ``avg_win`` / ``avg_loss``: mean ``pnl_net`` of the won /
    lost trips (money; the loss negative); ``best_trade`` / ``worst_trade``: largest and smallest
    ``pnl_net`` (money); ``profit_factor``: gross profit over gross loss of the trips (None when no
    trip lost). None where there is no trip to measure.
    """
    if len(trades) == 0 or "pnl_net" not in trades:
        return {"round_trips": 0, "trades_won": 0, **dict.fromkeys(TRADE_KEYS[2:])}
    pnl = trades["pnl_net"].to_numpy(dtype=float)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_loss = -float(losses.sum())
    return {
        "round_trips": len(pnl),
        "trades_won": len(wins),
        "win_rate": len(wins) / len(pnl),
        "avg_hold_sessions": _number(float(trades["sessions"].to_numpy(dtype=float).mean())),
        "avg_win": _number(float(wins.mean())) if len(wins) else None,
        "avg_loss": _number(float(losses.mean())) if len(losses) else None,
        "best_trade": _number(float(np.max(pnl))),
        "worst_trade": _number(float(np.min(pnl))),
        "profit_factor": _number(float(wins.sum()) / gross_loss) if gross_loss > 0 else None,
    }
