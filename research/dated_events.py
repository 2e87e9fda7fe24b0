"""Event studies on any dates (``smallcap events``): FOMC decisions, streaks or a user's CSV.

The same study as the streaks' (``research.event_study``: one table, JSON shape, page and
significance); only the episodes differ. Each event is placed on a session of the target's own
history (cut to ``start``/``end``): an event on a non-session moves to the next session and says
so (``moved``); events outside the target's history are left out, and the params say how many.
The forward return starts at the close of the event session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.data.sources import open_source
from engine.data.summary import cut_to_dates
from research.event_sets import BUILT_IN, DatedEvents, fomc_events, on_sessions, read_event_csv
from research.event_study import HORIZONS, Episode, EventStudy, check_horizons, measure
from research.events import load_closes, streak_study


@dataclass(kw_only=True)
class DatedEpisode(Episode):
    """One dated event and what followed it."""

    date: str  # as given (the signal_date is the session it was acted on)
    label: str = ""
    moved: bool = False  # the date was not a session of the target: moved to the next one
    #: context symbol -> {"signal_day": its return on the event session}; absent without data
    context: dict[str, dict[str, float]] = field(default_factory=dict)


def dated_events(source: str, data: str = "bundled") -> DatedEvents:
    """The events a SOURCE names: a built-in set (``research.event_sets``) or a CSV file path."""
    if source == "streaks":
        study = streak_study("RUT", horizons=(1,), versus=None, source=data)
        dates = [pd.Timestamp(e.signal_date) for e in study.episodes]
        return DatedEvents("streaks", dates, [f"run of {e.run_length}" for e in study.episodes],
                           "RUT: 5 sessions in a row each up at least 1% (smallcap streaks)")
    if source in BUILT_IN:
        return fomc_events(source)
    return read_event_csv(source)


def study_events(events: DatedEvents, target: pd.Series, versus: pd.Series | None,
                 horizons: Sequence[int] = HORIZONS, context: dict[str, pd.Series] | None = None,
                 names: dict | None = None, no_overlap: bool = False) -> EventStudy:
    """The event study of ``events`` on ``target``'s sessions (closes; its index is the studied
    period) against ``versus`` (closes, reindexed; NaN where absent). ``context``: symbols whose
    return on each event session is recorded."""
    horizons = check_horizons(horizons)
    index = pd.DatetimeIndex(target.index)
    positions, moved = on_sessions(events.dates, index)
    moved_set = set(moved)
    episodes, kept, seen = [], [], set()
    for k, (day, label, i) in enumerate(zip(events.dates, events.labels, positions, strict=True)):
        if i < 0 or i in seen:
            continue
        seen.add(i)
        episodes.append(
            DatedEpisode(
                signal_date=index[i].date().isoformat(),
                date=day.date().isoformat(),
                label=label,
                moved=k in moved_set,
            )
        )
        kept.append(i)
    _context(episodes, kept, index, context or {})
    versus_v = versus.reindex(index).to_numpy(dtype=float) if versus is not None else None
    summary = measure(
        episodes, kept, index, target.to_numpy(dtype=float), versus_v, horizons, no_overlap
    )
    params = {
        "kind": "events",
        "events": events.name,
        "description": events.description,
        "horizons": horizons,
        "start": index[0].date().isoformat(),
        "end": index[-1].date().isoformat(),
        "no_overlap": no_overlap,
        "given": len(events.dates),
        "outside": sum(1 for i in positions if i < 0),
        "same_session": len(positions) - len(kept) - sum(1 for i in positions if i < 0),
        "moved": sum(e.moved for e in episodes),
        **(names or {}),
    }
    return EventStudy(params, episodes, summary, target)


def _context(episodes: list[DatedEpisode], positions: list[int], index: pd.DatetimeIndex,
             context: dict[str, pd.Series]) -> None:
    for name, closes in context.items():
        values = closes.reindex(index).to_numpy(dtype=float)
        for e, i in zip(episodes, positions, strict=True):
            if i > 0 and np.isfinite(values[i]) and np.isfinite(values[i - 1]):
                e.context[name] = {"signal_day": float(values[i] / values[i - 1] - 1.0)}


def events_study(source: str, target: str = "RUT", versus: str | None = "GSPC",
                 horizons: Sequence[int] = HORIZONS, context: Sequence[str] = (),
                 start: str | None = None, end: str | None = None, data: str = "bundled",
                 no_overlap: bool = False) -> EventStudy:
    """What ``smallcap events`` runs: the events SOURCE names, on ``target``'s history from the
    data source ``data`` (cut to ``start``/``end``, ISO dates), against ``versus``."""
    events = dated_events(source, data)
    src = open_source(data)
    target_s = cut_to_dates(load_closes(src, target), target.upper(), start, end)
    versus_s = load_closes(src, versus) if versus else None
    names = {
        "target": target.upper(),
        "versus": versus.upper() if versus else None,
        "source": src.name,
        "context": [c.upper() for c in context],
    }
    return study_events(events, target_s, versus_s, horizons,
                        {c.upper(): load_closes(src, c) for c in context}, names, no_overlap)
