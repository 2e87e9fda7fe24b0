"""Peers: one rotation rule run by this engine, a naive backtrader script, bt, vectorbt and numpy.

The rule: at the close of the first session after a 126-session warm-up and of every month's
last NYSE session, hold 100% of whichever of IWM, SPY and QQQ has the highest 126-session
total return (ties: the first listed). Close fills, fractional shares, no costs, 25 years of
the bundled total-return closes (2000-2025).

Every engine runs in this one process, interleaved round by round (machine noise hits all
alike); the script prints each one's median and its ratio to this engine, and checks that this
engine's growth equals bt's (and vectorbt's and the numpy floor's) to 1e-9. bt and vectorbt come
from the optional ``bench`` extra (``pip install -e '.[bench]'``); a missing one is skipped.

    .venv/bin/python bench/peers.py [--repeats 7] [--profile]

What each timing covers: the whole call a user makes with the prices already in memory.
* this engine: ``run_backtest`` (feeds, backtrader run, ledger to frames, metrics); ``stock
  machinery`` is the same call on backtrader's own PandasData, BackBroker and TimeReturn
  analyzer (``machinery="stock"``), which the lean default must equal bit for bit.
* naive backtrader: a script as the backtrader docs teach it: ``PandasData`` feeds, the default
  observers, a ``TimeReturn`` analyzer, ``order_target_percent`` (whole shares; it is timed, not
  checked, since whole shares grow differently).
* bt: momentum weights from the closes with pandas, then ``bt.run`` (which also computes ffn's
  statistics, as a bt user gets them); ``bt core`` is ``Backtest.run`` alone.
* vectorbt: the same weights, then ``Portfolio.from_orders`` (target percent, cash shared).
* numpy: the floor; daily returns of the held asset, multiplied.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from engine.config import RunConfig
from engine.data import load_market_data
from engine.runner import run_backtest
from strategies.schedule import period_end_mask

ASSETS = ["IWM", "SPY", "QQQ"]
LOOKBACK = 126
TOLERANCE = 1e-9


def decision_rows(sessions: pd.DatetimeIndex) -> np.ndarray:
    """Positions of the deciding sessions: the first after warm-up and each month's last session."""
    marks = period_end_mask(sessions, "monthly")
    marks[:LOOKBACK] = False
    marks[LOOKBACK] = True
    return np.flatnonzero(marks)


def best_asset(closes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Column of the best trailing return at each deciding row (argmax takes the first of ties)."""
    scores = closes[rows] / closes[rows - LOOKBACK] - 1.0
    return scores.argmax(axis=1)


def one_hot(closes: pd.DataFrame) -> pd.DataFrame:
    """Target weights on the deciding sessions only: 1.0 for the best asset, 0.0 for the others."""
    rows = decision_rows(closes.index)
    best = best_asset(closes.to_numpy(), rows)
    weights = np.zeros((len(rows), closes.shape[1]))
    weights[np.arange(len(rows)), best] = 1.0
    return pd.DataFrame(weights, index=closes.index[rows], columns=closes.columns)


# ----- the engines ---------------------------------------------------------------------------
def ours(data, cfg: RunConfig, machinery: str = "lean") -> float:
    result = run_backtest(cfg, data, machinery=machinery)
    return float((1.0 + result.returns["strategy"]).prod())


def numpy_floor(closes: pd.DataFrame) -> float:
    px = closes.to_numpy()
    rows = decision_rows(closes.index)
    best = best_asset(px, rows)
    days = np.arange(LOOKBACK, len(px) - 1)  # held from the close of each day to the next close
    asset = best[np.searchsorted(rows, days, side="right") - 1]
    return float(np.prod(px[days + 1, asset] / px[days, asset]))


def bt_run(closes: pd.DataFrame, *, core_only: bool = False) -> float:
    import bt

    weights = one_hot(closes)
    strategy = bt.Strategy("momentum", [bt.algos.WeighTarget(weights), bt.algos.Rebalance()])
    test = bt.Backtest(
        strategy, closes.iloc[LOOKBACK:], integer_positions=False, progress_bar=False
    )
    if core_only:
        test.run()
    else:
        bt.run(test)
    values = test.strategy.values
    return float(values.iloc[-1] / values.loc[closes.index[LOOKBACK]])


def vectorbt_run(closes: pd.DataFrame) -> float:
    import vectorbt as vbt

    size = one_hot(closes).reindex(closes.index)
    pf = vbt.Portfolio.from_orders(
        closes,
        size,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        init_cash=100_000.0,
        freq="1D",
    )
    value = pf.value()
    return float(value.iloc[-1] / value.loc[closes.index[LOOKBACK]])


def naive_backtrader(closes: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> float:
    import backtrader as bt

    decide = set(closes.index[decision_rows(closes.index)].date)

    class Momentum(bt.Strategy):
        def next(self):
            if len(self) <= LOOKBACK or self.datas[0].datetime.date(0) not in decide:
                return
            scores = [d.close[0] / d.close[-LOOKBACK] - 1.0 for d in self.datas]
            best = self.datas[int(np.argmax(scores))]
            for d in self.datas:
                if d is not best:
                    self.order_target_percent(d, 0.0)
            self.order_target_percent(best, 0.99)

    cerebro = bt.Cerebro()
    for symbol in ASSETS:
        cerebro.adddata(bt.feeds.PandasData(dataname=frames[symbol]), name=symbol)
    cerebro.broker.set_coc(True)
    cerebro.addstrategy(Momentum)
    cerebro.addanalyzer(bt.analyzers.TimeReturn, _name="daily")
    strat = cerebro.run()[0]
    daily = pd.Series(strat.analyzers.daily.get_analysis())
    return float((1.0 + daily.iloc[LOOKBACK + 1:]).prod())


def _engines(data, cfg, closes, frames) -> dict[str, Callable[[], float]]:
    """Each engine timed, by name: ours (lean and stock machinery), a naive backtrader script,
    bt and vectorbt where installed, and a numpy floor."""
    engines: dict[str, Callable[[], float]] = {
        "this engine": lambda: ours(data, cfg),
        "this engine, stock machinery": lambda: ours(data, cfg, "stock"),
        "naive backtrader": lambda: naive_backtrader(closes, frames),
    }
    if importlib.util.find_spec("bt"):
        engines["bt (bt.run)"] = lambda: bt_run(closes)
        engines["bt core (Backtest.run)"] = lambda: bt_run(closes, core_only=True)
    if importlib.util.find_spec("vectorbt"):
        engines["vectorbt"] = lambda: vectorbt_run(closes)
    engines["numpy floor"] = lambda: numpy_floor(closes)
    return engines


def _profile(data, cfg) -> None:
    """Print the top 25 functions of one run of this engine, by own time."""
    prof = cProfile.Profile()
    prof.enable()
    ours(data, cfg)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
    print(buf.getvalue())


def _growth_failures(growth: dict[str, float]) -> list[str]:
    """The engines whose growth of 1 differs from this engine's (the stock machinery exactly,
    the peers beyond TOLERANCE), each peer's difference printed."""
    failures = (
        []
        if growth["this engine, stock machinery"] == growth["this engine"]
        else ["stock machinery"]
    )
    for name in growth:
        if name in ("this engine", "this engine, stock machinery", "naive backtrader"):
            continue
        diff = abs(growth[name] / growth["this engine"] - 1.0)
        print(
            f"growth vs {name}: relative difference {diff:.2e} "
            f"({'ok' if diff <= TOLERANCE else 'DIFFERS'})"
        )
        if diff > TOLERANCE:
            failures.append(name)
    return failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--profile", action="store_true", help="print the top functions of one run of this engine"
    )
    args = ap.parse_args()

    data = load_market_data(ASSETS, ["DGS2"])
    closes = data.closes(ASSETS)
    frames = {s: data.prices[s] for s in ASSETS}
    cfg = RunConfig(strategy="relative_momentum",
                    params={"assets": ASSETS, "lookback": LOOKBACK, "top_n": 1, "tolerance": 0.0},
                    broker={"fill": "close", "fractional": True, "cash_buffer": 0.0})
    engines = _engines(data, cfg, closes, frames)
    skipped = [name for name in ("bt", "vectorbt") if not importlib.util.find_spec(name)]

    growth = {name: fn() for name, fn in engines.items()}  # warm-up: imports, numba compilation
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.repeats):
        for name, fn in engines.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)

    med = {name: statistics.median(v) for name, v in times.items()}
    base = med["this engine"]
    print(
        f"rule: monthly top-1 of {'/'.join(ASSETS)} by {LOOKBACK}-session return, close fills, "
        f"fractional, no costs; {len(closes) - LOOKBACK} measured sessions "
        f"({closes.index[LOOKBACK].date()} to {closes.index[-1].date()}), {args.repeats} "
        "interleaved rounds"
    )
    print(f"{'engine':<30}{'median s':>10}{'vs this engine':>16}{'growth':>14}")
    for name in engines:
        print(f"{name:<30}{med[name]:>10.4f}{med[name] / base:>15.2f}x{growth[name]:>14.6f}")
    if skipped:
        print(f"skipped (not installed; pip install -e '.[bench]'): {', '.join(skipped)}")
    failures = _growth_failures(growth)
    print(
        f"stock machinery / lean: {med['this engine, stock machinery'] / base:.2f}x (identical "
        f"growth: {'yes' if 'stock machinery' not in failures else 'NO'})   naive backtrader / "
        f"this engine: {med['naive backtrader'] / base:.2f}x (goal >= 3x)"
    )
    if "bt (bt.run)" in med:
        print(f"this engine / bt.run: {base / med['bt (bt.run)']:.2f} (goal <= 1)   "
              f"this engine / bt core: {base / med['bt core (Backtest.run)']:.2f}")
    if args.profile:
        _profile(data, cfg)
    if failures:
        sys.exit(f"growth differs from this engine's: {', '.join(failures)}")


if __name__ == "__main__":
    main()
