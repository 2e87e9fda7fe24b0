"""Event studies: every breadth streak in a series, and what small and large caps did next.

An **episode** is a run of consecutive qualifying sessions - each up at least ``min_gain``
(or, with ``relative``, small caps beating large caps by at least ``min_gain`` that day) - that
reaches ``sessions`` in a row. Its ``signal_date`` is the session the run first reached
``sessions`` (what a strategy could act on at that close); ``run_length`` is how long the run
lasted in all; ``run_gain`` its cumulative gain (relative: small-cap growth over large-cap growth,
minus 1); ``run_ongoing`` says the data ended inside the run.

What followed each streak is measured by the event study every dated signal shares
(``research.event_study``: forward returns from the close of the signal date for a ``target``
(default the series itself) and a ``versus`` series (default SPY), the same over any session,
overlapping episodes marked, and p-values that hold their size under volatility clustering,
Holm-adjusted across horizons).

The qualifying-day and run rules are ``strategies.signals`` - the same ones the
``breadth_streak`` strategy evaluates incrementally inside backtrader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import UserError
from engine.data.market import adjust_total_return
from engine.data.sources import Source, open_source
from engine.data.summary import cut_to_dates
from research.event_study import HORIZONS, Episode, EventStudy, check_horizons, measure
from strategies.signals import qualifies, run_lengths, up_days

#: The study of streaks is the shared event study (same JSON, table and page).
StreakStudy = EventStudy


@dataclass(kw_only=True)
class StreakEpisode(Episode):
    """One streak (its run) and what followed it."""

    run_start: str
    run_length: int
    run_gain: float
    run_ongoing: bool
    #: context symbol -> {"run": return over the streak run, "signal_day": return on the signal
    #: session}; a symbol without data then is absent
    context: dict[str, dict[str, float]] = field(default_factory=dict)


def _span(values: np.ndarray, i: int, j: int) -> float | None:
    """Return from the close at position ``i`` to the close at ``j``; None if either is missing."""
    if i < 0 or not np.isfinite(values[i]) or not np.isfinite(values[j]):
        return None
    return float(values[j] / values[i] - 1.0)


def streak_flags(signal: pd.Series, min_gain: float,
                 relative_to: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(qualifying-day flags, growth series whose ratio is a run's gain) of ``signal``."""
    values = signal.to_numpy(dtype=float)
    if relative_to is None:
        return up_days(values, min_gain), values
    other = relative_to.reindex(signal.index).to_numpy(dtype=float)
    excess = np.zeros(len(values), dtype=float)
    excess[1:] = (values[1:] / values[:-1]) - (other[1:] / other[:-1])
    flags = np.zeros(len(values), dtype=bool)
    flags[1:] = qualifies(excess[1:], min_gain) & np.isfinite(excess[1:])
    return flags, values / other


def _episodes(dates: pd.DatetimeIndex, runs: np.ndarray, growth: np.ndarray, sessions: int,
              context_v: dict[str, np.ndarray]) -> tuple[list[StreakEpisode], list[int]]:
    episodes, positions = [], []
    for i in np.flatnonzero(runs == sessions).tolist():
        end = i
        while end + 1 < len(runs) and runs[end + 1] == runs[end] + 1:
            end += 1
        start = i - sessions + 1
        ep = StreakEpisode(
            signal_date=dates[i].date().isoformat(),
            run_start=dates[start].date().isoformat(),
            run_length=int(runs[end]),
            run_gain=float(growth[end] / growth[start - 1] - 1.0),
            run_ongoing=bool(end == len(runs) - 1),
        )
        for name, values in context_v.items():
            run, day = _span(values, start - 1, end), _span(values, i - 1, i)
            if run is not None and day is not None:
                ep.context[name] = {"run": run, "signal_day": day}
        episodes.append(ep)
        positions.append(int(i))
    return episodes, positions


def find_streaks(signal: pd.Series, sessions: int = 5, min_gain: float = 0.01,
                 horizons: Sequence[int] = HORIZONS, target: pd.Series | None = None,
                 versus: pd.Series | None = None, relative_to: pd.Series | None = None,
                 names: dict | None = None, context: dict[str, pd.Series] | None = None,
                 no_overlap: bool = False) -> EventStudy:
    """Find every streak in ``signal`` and measure forward returns of ``target`` and ``versus``.

    ``signal``: closes (index levels or total-return prices) on session dates. ``sessions``:
    run length that defines an episode; ``min_gain``: daily threshold as a fraction (0.01 = 1%).
    ``horizons``: forward windows in sessions. ``target``/``versus``: closes on the same dates
    (NaN where absent; default target = ``signal``). ``relative_to``: if given, a day qualifies
    when ``signal``'s daily return minus ``relative_to``'s is at least ``min_gain``.
    ``no_overlap``: leave episodes inside an earlier one's forward window out of that horizon.
    """
    if sessions < 1:
        raise UserError(f"sessions must be at least 1, got {sessions}", "e.g. --sessions 5")
    if not 0 < min_gain < 1:
        raise UserError(
            f"min_gain {min_gain} is not a fraction between 0 and 1", "1% is --min-gain 0.01"
        )
    horizons = check_horizons(horizons)
    flags, growth = streak_flags(signal, min_gain, relative_to)
    dates = signal.index
    context_v = {k: v.reindex(dates).to_numpy(dtype=float) for k, v in (context or {}).items()}
    episodes, positions = _episodes(dates, run_lengths(flags), growth, sessions, context_v)
    target_v = (target if target is not None else signal).reindex(dates).to_numpy(dtype=float)
    versus_v = versus.reindex(dates).to_numpy(dtype=float) if versus is not None else None
    summary = measure(episodes, positions, dates, target_v, versus_v, horizons, no_overlap)
    params = {"kind": "streaks", "sessions": sessions, "min_gain": min_gain, "horizons": horizons,
              "start": dates[0].date().isoformat(), "end": dates[-1].date().isoformat(),
              "no_overlap": no_overlap, **(names or {})}
    return EventStudy(params, episodes, summary, signal)


def load_closes(src: Source, name: str) -> pd.Series:
    """Closes of ``name`` from a data source: an index level, or a price's total-return close."""
    raw = src.load(name.upper())
    if raw.kind == "price":
        return adjust_total_return(raw.frame)["close"]
    if raw.kind == "index":
        return raw.frame["close"]
    raise UserError(
        f"'{name}' is a {raw.kind} series, not prices", "use an index (RUT, GSPC) or an ETF"
    )


def streak_study(
    symbol: str = "RUT",
    sessions: int = 5,
    min_gain: float = 0.01,
    horizons: Sequence[int] = HORIZONS,
    target: str | None = None,
    versus: str | None = "SPY",
    relative: bool = False,
    start: str | None = None,
    end: str | None = None,
    source: str = "bundled",
    context: Sequence[str] = (),
    no_overlap: bool = False,
) -> EventStudy:
    """The event study from named series of a data source (what ``smallcap streaks`` runs).

    ``symbol``: the signal series (index level such as RUT, or an ETF's total-return close).
    ``relative``: count sessions where ``symbol`` beat ``versus`` by ``min_gain`` (e.g. IWM vs
    SPY). ``target`` defaults to ``symbol``. ``start``/``end`` cut the period (ISO dates).
    ``context``: symbols whose return over each streak run and on its signal day are recorded.
    ``no_overlap``: leave episodes inside an earlier one's forward window out of that horizon.
    """
    src = open_source(source)

    def closes(name: str) -> pd.Series:
        return load_closes(src, name)

    signal = cut_to_dates(closes(symbol), symbol.upper(), start, end)
    target_name = (target or symbol).upper()
    target_s = closes(target_name)
    versus_s = closes(versus) if versus else None
    if relative and versus_s is None:
        raise UserError("--relative needs --versus", "e.g. --symbol IWM --versus SPY --relative")
    names = {
        "symbol": symbol.upper(),
        "target": target_name,
        "versus": versus.upper() if versus else None,
        "relative": relative,
        "source": src.name,
        "context": [c.upper() for c in context],
    }
    return find_streaks(signal, sessions, min_gain, horizons, target=target_s, versus=versus_s,
                        relative_to=versus_s if relative else None, names=names,
                        context={c.upper(): closes(c) for c in context}, no_overlap=no_overlap)
