"""Dated events for the event study: a user's CSV of dates, or a built-in set.

Built-in sets come from the bundled ``events/FOMC.csv`` (every change of the federal funds
target; ``date`` is the announcement day from 1994, FRED's date before) and from the breadth
streaks ``smallcap streaks`` finds:

* ``fomc-cuts`` / ``fomc-hikes``: every cut / hike of the target;
* ``fomc-first-cuts``: a cut whose previous change was a hike (the start of an easing cycle);
  ``fomc-first-hikes``: a hike whose previous change was a cut (the start of a tightening cycle);
* ``streaks``: the signal dates of RUT's 5-session 1% streaks (``smallcap streaks``' defaults).

Every date moves to the first session of the studied series on or after it (an event on a
weekend or holiday is acted on at the next close); :func:`on_sessions` says which moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import UserError
from engine.data.factors import load_fomc_changes

BUILT_IN = ("fomc-cuts", "fomc-hikes", "fomc-first-cuts", "fomc-first-hikes", "streaks")


@dataclass
class DatedEvents:
    """Event dates (ascending, unique) with a label each, and what the set is."""

    name: str
    dates: list[pd.Timestamp]
    labels: list[str]
    description: str


def fomc_changes() -> pd.DataFrame:
    """The bundled FOMC target changes: ``date`` (announcement), ``change_bps``,
    ``target_after``."""
    return load_fomc_changes().reset_index()


def fomc_events(name: str) -> DatedEvents:
    """One of the ``fomc-*`` sets (module docstring)."""
    changes = fomc_changes()
    sign = changes["change_bps"].apply(lambda x: (x > 0) - (x < 0))
    want = -1 if "cuts" in name else 1
    keep = sign == want
    if name.startswith("fomc-first-"):
        keep &= sign.shift(1) == -want  # the previous change went the other way
    rows = changes[keep]
    what = {"fomc-cuts": "every cut", "fomc-hikes": "every hike",
            "fomc-first-cuts": "the first cut after a hike (start of an easing cycle)",
            "fomc-first-hikes": "the first hike after a cut (start of a tightening cycle)"}[name]
    labels = [
        f"{c:+g} bp to {t:g}%"
        for c, t in zip(rows["change_bps"], rows["target_after"], strict=True)
    ]
    return DatedEvents(name, list(rows["date"]), labels,
                       f"federal funds target: {what} (events/FOMC.csv, announcement dates)")


def read_event_csv(path: str | Path) -> DatedEvents:
    """Events from a CSV with a ``date`` column (YYYY-MM-DD) and an optional ``label`` column."""
    p = Path(path)
    hint = "a CSV with a header line 'date,label' and one YYYY-MM-DD date a line"
    if not p.is_file():
        raise UserError(f"no file of event dates at {p}", hint)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: cannot be read as CSV ({str(exc).splitlines()[0]})", hint) from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if "date" not in raw.columns:
        raise UserError(f"{p}: no 'date' column (found: {', '.join(raw.columns) or 'none'})", hint)
    if raw.empty:
        raise UserError(f"{p}: no event dates", hint)
    dates = pd.to_datetime(raw["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        line = int(dates.isna().to_numpy().argmax()) + 2
        raise UserError(f"{p}: line {line}: '{raw['date'].iloc[line - 2]}' is not a date", hint)
    labels = raw["label"].str.strip() if "label" in raw.columns else pd.Series([""] * len(raw))
    frame = (
        pd.DataFrame({"date": dates, "label": labels.to_numpy()})
        .drop_duplicates("date")
        .sort_values("date")
    )
    return DatedEvents(p.name, list(frame["date"]), list(frame["label"]), f"dates from {p}")


def on_sessions(
    dates: list[pd.Timestamp], sessions: pd.DatetimeIndex
) -> tuple[list[int], list[int]]:
    """(session position of each date - the first session on or after it; -1 before the first
    session or after the last - and the indices of the dates that were not sessions and moved)."""
    at = sessions.searchsorted(pd.DatetimeIndex(dates), side="left")
    positions = [int(i) if i < len(sessions) and d >= sessions[0] else -1
                 for i, d in zip(at, dates, strict=True)]
    moved = [
        k
        for k, (i, d) in enumerate(zip(positions, dates, strict=True))
        if i >= 0 and sessions[i] != d
    ]
    return positions, moved
