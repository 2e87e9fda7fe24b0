"""The no-rotation twin: the static portfolio a strategy rotates around, run like the strategy.

Every strategy declares it (``RotationStrategy.static_portfolio``: by default equal weights of
the symbols it may hold; ``breadth_streak`` its default holding; ``fixed_mix`` and
``buy_and_hold`` themselves); ``RunConfig.twin`` (``--twin SYM=W,...``) overrides it. The twin is
an ordinary ``fixed_mix`` run with the strategy's schedule (``rebalance``, ``rebalance_offset``),
tolerance band, period, cash, broker (fills, costs, whole or fractional shares, cash buffer),
risk-free rate and data: the difference between the two is what the rotation itself adds, net
of the same frictions.

Speed: a sweep's variants mostly share one twin. :func:`twin_result` runs each distinct twin
configuration once per process (a small memo keyed by the twin's config hash and the market
data's fingerprint) and, given a folder, once per folder: the first process to need it runs and
saves it as ``<folder>/<twin id>/`` (an ordinary run directory) under a file lock; the others
read its returns.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from core.locks import waiting_lock
from engine.config import RunConfig, make_run_config
from engine.data.market import MarketData
from strategies import get_strategy
from strategies.schedule import MAX_OFFSET

#: The registry name of the strategy every twin runs as.
TWIN_STRATEGY = "fixed_mix"
_MEMO_SIZE = 16
_memo: OrderedDict[tuple, pd.Series] = OrderedDict()


def twin_weights(config: RunConfig) -> dict[str, float]:
    """The twin's weights (symbol -> fraction of equity): ``config.twin`` when set, else what the
    strategy declares for its parameters (``static_portfolio``)."""
    if config.twin:
        return dict(config.twin)
    return dict(get_strategy(config.strategy).cls.static_portfolio(config.params))


def twin_config(config: RunConfig) -> RunConfig:
    """The ``fixed_mix`` RunConfig of ``config``'s twin: its weights, the strategy's schedule and
    tolerance, and every other field (period, cash, broker, data, benchmark, risk-free) as is.
    Pass a config whose ``start``/``end`` are resolved (``BacktestResult.config``) so the twin
    is measured on the same sessions."""
    p = config.params
    params: dict = {
        "weights": twin_weights(config),
        "rebalance": p.rebalance,
        "tolerance": p.tolerance,
    }
    if p.rebalance in MAX_OFFSET:
        params["rebalance_offset"] = p.rebalance_offset
    fields = config.model_dump(
        exclude={"strategy", "strategy_file", "params", "twin"}, exclude_none=True
    )
    return make_run_config(**fields, strategy=TWIN_STRATEGY, params=params)


def describe_twin(weights: dict[str, float]) -> str:
    """``IWM/SPY/QQQ equally``, ``SPY``, or ``IWM 60% / SPY 40%``."""
    names = list(weights)
    if len(names) == 1:
        return names[0]
    if max(weights.values()) - min(weights.values()) < 1e-9:
        return "/".join(names) + " equally"
    return " / ".join(f"{s} {w:.0%}" for s, w in weights.items())


def _fingerprint(data: MarketData, symbols: list[str]) -> str:
    """A digest of the prices a twin reads (open and close of its symbols, with their dates)."""
    h = hashlib.sha1(f"{data.source}|{data.macro_lag}".encode())
    h.update(np.asarray(data.sessions.asi8).tobytes())
    for s in symbols:
        frame = data.prices.get(s)
        if frame is not None:
            h.update(s.encode())
            h.update(np.ascontiguousarray(frame[["open", "close"]].to_numpy(dtype=float)).tobytes())
    return h.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with waiting_lock(path):  # core.locks: runs unlocked where there are no POSIX locks
        yield


#: Runs a twin config on market data and returns its saved or unsaved result's strategy returns
#: and, when ``save_to`` is given, saves it there (``run_dir`` name = the twin id).
TwinRunner = Callable[[RunConfig, MarketData, Path | None], pd.Series]


def twin_returns(
    config: RunConfig, data: MarketData, run: TwinRunner, folder: Path | None = None
) -> pd.Series:
    """Daily returns of ``twin_config(config)`` (a resolved config) on ``data``, by ``run``:
    once per process for each distinct twin and data, and once per ``folder`` when given (saved
    there as ``<twin id>/``, reused by every later caller, whichever process)."""
    tc = twin_config(config)
    key = (tc.short_hash(), _fingerprint(data, list(tc.params.weights)), str(folder))
    if key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    if folder is None:
        returns = run(tc, data, None)
    else:
        target = Path(folder) / tc.short_hash()
        with _locked(Path(folder) / f".{tc.short_hash()}.lock"):
            returns = _saved_returns(target)
            if returns is None:
                returns = run(tc, data, target)
    _memo[key] = returns
    while len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)
    return returns


def _saved_returns(run_dir: Path) -> pd.Series | None:
    """The strategy returns of a complete saved twin run, or None."""
    path = run_dir / "returns.csv"
    if not (run_dir / "metrics.json").exists() or not path.exists():
        return None
    frame = pd.read_csv(path, index_col="date")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="%Y-%m-%d"), name="date")
    return frame["strategy"]
