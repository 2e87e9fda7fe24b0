"""Event studies: every breadth streak in a series, and what small and large caps did next.

An **episode** is a run of consecutive qualifying sessions - each up at least ``min_gain``
(or, with ``relative``, small caps beating large caps by at least ``min_gain`` that day) - that
reaches ``sessions`` in a row. Its ``signal_date`` is the session the run first reached
``sessions`` (what a strategy could act on at that close); ``run_length`` is how long the run
lasted in all; ``run_gain`` its cumulative gain (relative: small-cap growth over large-cap growth,
minus 1); ``run_ongoing`` says the data ended inside the run.

Forward returns are total returns from the close of the signal date to the close ``h`` sessions
later, for a ``target`` (default the series itself) and a ``versus`` series (default SPY); where
the data ends (or the target has not started) they are missing (``None``), never zero. For
reference each horizon's unconditional mean, median and hit rate over the whole period.

Significance per horizon (``significance`` beside each summary row): the excess of the mean
forward return after the signals over the unconditional mean, its 90% interval and a two-sided
p-value, from *circular shifts of the signal dates*: every shift of all signal dates together by
the same number of sessions (wrapping around the studied period) is one draw under "the dates
carry no information", and since the dates move together, overlaps between the episodes'
forward windows and their spacing are kept (a conditional permutation test in the spirit of
Good, P. (2005), *Permutation, Parametric and Bootstrap Tests of Hypotheses*, ch. 3, applied to
event dates as in Brown & Warner (1985), *J. Financial Economics* 14, 3-31). With fewer than
``MIN_EPISODES`` episodes the result says in words that nothing can be concluded.

The qualifying-day and run rules are ``strategies.signals`` - the same ones the
``breadth_streak`` strategy evaluates incrementally inside backtrader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.errors import UserError
from engine.data.market import adjust_total_return
from engine.data.sources import open_source
from engine.data.summary import cut_to_dates
from strategies.signals import qualifies, run_lengths, up_days


@dataclass
class Episode:
    """One streak and what followed it."""

    signal_date: str
    run_start: str
    run_length: int
    run_gain: float
    run_ongoing: bool
    forward: dict[str, float | None] = field(default_factory=dict)
    versus_forward: dict[str, float | None] = field(default_factory=dict)
    #: context symbol -> {"run": return over the streak run, "signal_day": return on the signal
    #: session}; a symbol without data then is absent
    context: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class StreakStudy:
    """Parameters, episodes and summary of one event study (``to_dict`` is the --json document)."""

    params: dict
    episodes: list[Episode]
    summary: dict
    series: pd.Series  # the signal series over the studied period (for charts)

    def to_dict(self) -> dict:
        return {"params": self.params, "episodes": [asdict(e) for e in self.episodes], "summary": self.summary}


def _forward(values: np.ndarray, i: int, h: int) -> float | None:
    j = i + h
    if j >= len(values) or not np.isfinite(values[i]) or not np.isfinite(values[j]):
        return None
    return float(values[j] / values[i] - 1.0)


def _span(values: np.ndarray, i: int, j: int) -> float | None:
    """Return from the close at position ``i`` to the close at ``j``; None if either is missing."""
    if i < 0 or not np.isfinite(values[i]) or not np.isfinite(values[j]):
        return None
    return float(values[j] / values[i] - 1.0)


def _stats(xs: Sequence[float | None]) -> dict:
    vals = np.array([x for x in xs if x is not None], dtype=float)
    if len(vals) == 0:
        return {"n": 0, "mean": None, "median": None, "hit_rate": None}
    return {"n": int(len(vals)), "mean": float(vals.mean()), "median": float(np.median(vals)),
            "hit_rate": float((vals > 0).mean())}


#: Below this many episodes a horizon's significance says "too few to conclude anything".
MIN_EPISODES = 10


def significance(values: np.ndarray, signals: np.ndarray, h: int, size: float = 0.90) -> dict:
    """Excess mean forward return after ``signals`` (session positions) over all sessions, with an
    interval and a two-sided p-value from every circular shift of the signal dates (see the
    module docstring). ``values``: closes on the session index; ``h``: horizon in sessions."""
    eligible = len(values) - h
    if eligible <= 1 or len(signals) == 0:
        return {"n": 0, "excess": None, "ci": None, "p_value": None, "shifts": 0, "conclusive": False,
                "words": "no episodes with a complete forward window"}
    fwd = values[h:] / values[:-h] - 1.0  # forward return from each eligible session
    signals = np.asarray([i for i in signals if i < eligible], dtype=int)
    valid = np.isfinite(fwd)
    base = float(np.nanmean(fwd))
    observed_ok = signals[valid[signals]]
    if len(observed_ok) == 0:
        return {"n": 0, "excess": None, "ci": None, "p_value": None, "shifts": 0, "conclusive": False,
                "words": "no episodes with a complete forward window"}
    excess = float(np.mean(fwd[observed_ok]) - base)
    shifted = (signals[None, :] + np.arange(1, eligible)[:, None]) % eligible  # every shift, dates together
    vals = np.where(valid[shifted], fwd[shifted], np.nan)
    counts = np.isfinite(vals).sum(axis=1)
    null = np.nansum(vals, axis=1)[counts > 0] / counts[counts > 0] - base
    p_value = float((np.sum(np.abs(null) >= abs(excess) - 1e-15) + 1) / (len(null) + 1))
    alpha = (1 - size) / 2
    lo, hi = np.quantile(null, [alpha, 1 - alpha])
    n = int(len(observed_ok))
    conclusive = n >= MIN_EPISODES
    words = (f"{n} episodes: {'a difference' if p_value < 0.05 else 'no difference'} from any session "
             f"(p = {p_value:.2f})" if conclusive else
             f"only {n} episode{'s' if n != 1 else ''}: too few to conclude anything (p = {p_value:.2f})")
    return {"n": n, "excess": excess, "ci": [excess - float(hi), excess - float(lo)], "p_value": p_value,
            "shifts": int(len(null)), "conclusive": conclusive, "words": words}


def _unconditional(values: np.ndarray, h: int) -> dict:
    if len(values) <= h:
        return _stats([])
    fwd = values[h:] / values[:-h] - 1.0
    return _stats([float(x) for x in fwd if np.isfinite(x)])


def find_streaks(signal: pd.Series, sessions: int = 5, min_gain: float = 0.01,
                 horizons: Sequence[int] = (5, 10, 20, 50), target: pd.Series | None = None,
                 versus: pd.Series | None = None, relative_to: pd.Series | None = None,
                 names: dict | None = None, context: dict[str, pd.Series] | None = None) -> StreakStudy:
    """Find every streak in ``signal`` and measure forward returns of ``target`` and ``versus``.

    ``signal``: closes (index levels or total-return prices) on session dates. ``sessions``:
    run length that defines an episode; ``min_gain``: daily threshold as a fraction (0.01 = 1%).
    ``horizons``: forward windows in sessions. ``target``/``versus``: closes on the same dates
    (NaN where absent; default target = ``signal``). ``relative_to``: if given, a day qualifies
    when ``signal``'s daily return minus ``relative_to``'s is at least ``min_gain``.
    """
    if sessions < 1:
        raise UserError(f"sessions must be at least 1, got {sessions}", "e.g. --sessions 5")
    if not 0 < min_gain < 1:
        raise UserError(f"min_gain {min_gain} is not a fraction between 0 and 1", "1% is --min-gain 0.01")
    if not horizons or any(h < 1 for h in horizons):
        raise UserError(f"horizons must be positive session counts, got {list(horizons)}", "e.g. --horizons 5,10,20,50")
    values = signal.to_numpy(dtype=float)
    if relative_to is not None:
        other = relative_to.reindex(signal.index).to_numpy(dtype=float)
        excess = np.zeros(len(values), dtype=float)
        excess[1:] = (values[1:] / values[:-1]) - (other[1:] / other[:-1])
        flags = np.zeros(len(values), dtype=bool)
        flags[1:] = qualifies(excess[1:], min_gain) & np.isfinite(excess[1:])
        growth = values / other
    else:
        flags = up_days(values, min_gain)
        growth = values
    runs = run_lengths(flags)
    target_v = (target if target is not None else signal).reindex(signal.index).to_numpy(dtype=float)
    versus_v = versus.reindex(signal.index).to_numpy(dtype=float) if versus is not None else None
    dates = signal.index
    context_v = {k: v.reindex(signal.index).to_numpy(dtype=float) for k, v in (context or {}).items()}
    episodes = []
    for i in np.flatnonzero(runs == sessions):
        end = i
        while end + 1 < len(runs) and runs[end + 1] == runs[end] + 1:
            end += 1
        start = i - sessions + 1
        gain = float(growth[end] / growth[start - 1] - 1.0)
        ep = Episode(signal_date=dates[i].date().isoformat(), run_start=dates[start].date().isoformat(),
                     run_length=int(runs[end]), run_gain=gain, run_ongoing=bool(end == len(runs) - 1))
        ep.forward = {str(h): _forward(target_v, i, h) for h in horizons}
        if versus_v is not None:
            ep.versus_forward = {str(h): _forward(versus_v, i, h) for h in horizons}
        for name, values in context_v.items():
            run, day = _span(values, start - 1, end), _span(values, i - 1, i)
            if run is not None and day is not None:
                ep.context[name] = {"run": run, "signal_day": day}
        episodes.append(ep)
    summary: dict = {"episodes": len(episodes), "horizons": {}}
    for h in horizons:
        key = str(h)
        signal_at = np.array([dates.get_loc(pd.Timestamp(e.signal_date)) for e in episodes], dtype=int)
        row = {"target": _stats([e.forward[key] for e in episodes]),
               "target_unconditional": _unconditional(target_v, h),
               "target_significance": significance(target_v, signal_at, h)}
        if versus_v is not None:
            row["versus"] = _stats([e.versus_forward[key] for e in episodes])
            row["versus_unconditional"] = _unconditional(versus_v, h)
            row["versus_significance"] = significance(versus_v, signal_at, h)
        summary["horizons"][key] = row
    params = {"sessions": sessions, "min_gain": min_gain, "horizons": list(horizons),
              "start": dates[0].date().isoformat(), "end": dates[-1].date().isoformat(), **(names or {})}
    return StreakStudy(params, episodes, summary, signal)


def streak_study(symbol: str = "RUT", sessions: int = 5, min_gain: float = 0.01,
                 horizons: Sequence[int] = (5, 10, 20, 50), target: str | None = None, versus: str | None = "SPY",
                 relative: bool = False, start: str | None = None, end: str | None = None,
                 source: str = "bundled", context: Sequence[str] = ()) -> StreakStudy:
    """The event study from named series of a data source (what ``smallcap streaks`` runs).

    ``symbol``: the signal series (index level such as RUT, or an ETF's total-return close).
    ``relative``: count sessions where ``symbol`` beat ``versus`` by ``min_gain`` (e.g. IWM vs
    SPY). ``target`` defaults to ``symbol``. ``start``/``end`` cut the period (ISO dates).
    ``context``: symbols whose return over each streak run and on its signal day are recorded.
    """
    src = open_source(source)

    def closes(name: str) -> pd.Series:
        raw = src.load(name.upper())
        if raw.kind == "price":
            return adjust_total_return(raw.frame)["close"]
        if raw.kind == "index":
            return raw.frame["close"]
        raise UserError(f"'{name}' is a {raw.kind} series, not prices", "use an index (RUT, GSPC) or an ETF")

    signal = cut_to_dates(closes(symbol), symbol.upper(), start, end)
    target_name = (target or symbol).upper()
    target_s = closes(target_name)
    versus_s = closes(versus) if versus else None
    if relative and versus_s is None:
        raise UserError("--relative needs --versus", "e.g. --symbol IWM --versus SPY --relative")
    names = {"symbol": symbol.upper(), "target": target_name, "versus": versus.upper() if versus else None,
             "relative": relative, "source": src.name}
    names["context"] = [c.upper() for c in context]
    return find_streaks(signal, sessions, min_gain, horizons, target=target_s, versus=versus_s,
                        relative_to=versus_s if relative else None, names=names,
                        context={c.upper(): closes(c) for c in context})
