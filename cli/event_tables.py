"""Terminal tables of an event study (``streaks`` and ``events`` print the same ones).

The shape of published event studies: per horizon N, % positive, mean and median after the
events, the same over any session, then the excess with its interval, raw and Holm-adjusted
p-values, and the words. Formatting only: every number comes from ``research.event_study``.
"""

from __future__ import annotations

from rich.table import Table

from cli.present import new_table, signed_pct


def _pct(v: float | None, signed: bool = True) -> str:
    if v is None:
        return "n/a"
    return f"{v:+.2%}" if signed else f"{v:.0%}"


def horizon_table(study, side: str) -> Table:
    """``side`` ("target" or "versus"): N, % up, mean, median after the events and any session."""
    p = study.params
    name = p[side]
    drop = "; overlapping episodes left out" if p.get("no_overlap") else ""
    t = new_table(f"{name} after the events vs any session, {p['start']} .. {p['end']}{drop}")
    for c in ("horizon", "N", "% up", "mean", "median", "any: % up", "mean", "median"):
        t.add_column(c, justify="right", no_wrap=True)
    for h, row in study.summary["horizons"].items():
        ev, anyday = row[side], row[f"{side}_unconditional"]
        t.add_row(
            f"+{h}",
            str(ev["n"]),
            _pct(ev["hit_rate"], False),
            _pct(ev["mean"]),
            _pct(ev["median"]),
            _pct(anyday["hit_rate"], False),
            _pct(anyday["mean"]),
            _pct(anyday["median"]),
        )
    return t


def significance_table(study) -> Table:
    """Excess over any session with its 90% interval, raw and Holm-adjusted p per horizon."""
    t = new_table("excess over any session (90% interval; p raw and Holm-adjusted across horizons)")
    for c in ("horizon", "series", "N", "excess", "interval", "p", "p Holm"):
        t.add_column(c, justify="left" if c == "series" else "right", no_wrap=True)
    for side in ("target", "versus"):
        for h, row in study.summary["horizons"].items():
            sig = row.get(f"{side}_significance")
            if not sig:
                continue
            if sig["excess"] is None:
                t.add_row(f"+{h}", study.params[side], "0", "n/a", "", "", "")
                continue
            t.add_row(
                f"+{h}",
                study.params[side],
                str(sig["n"]),
                _pct(sig["excess"]),
                f"{sig['ci'][0]:+.2%} .. {sig['ci'][1]:+.2%}",
                f"{sig['p_value']:.2f}",
                f"{sig['p_holm']:.2f}",
            )
    return t


def words(study) -> list[str]:
    """What the significance says, one line per horizon (terminal and page agree)."""
    target = study.params["target"]
    return [
        f"{target} +{h}: {row['target_significance']['words']}"
        for h, row in study.summary["horizons"].items()
        if row["target_significance"].get("words")
    ]


def episodes_table(study, title: str) -> Table:
    """One row per episode: its date (and label or run), then the target's forward return per
    horizon over the versus series'; ``*``: the episode starts inside an earlier one's window."""
    p = study.params
    versus = p.get("versus")
    t = new_table(f"{title}; forward returns {p['target']}" + (f" / {versus}" if versus else ""))
    t.add_column("signal date", no_wrap=True)
    horizons = list(study.summary["horizons"])
    for h in horizons:
        t.add_column(f"+{h}", justify="right", no_wrap=True)
    for e in study.episodes:
        cells = [signed_pct(e.forward[h]) + ("*" if e.overlaps.get(h) else "")
                 + (f"\n{signed_pct(e.versus_forward.get(h))}" if versus else "") for h in horizons]
        t.add_row(_describe(e), *cells)
    return t


def _describe(e) -> str:
    """The signal date (and, for a moved event, the date given) over its run or label."""
    if hasattr(e, "run_length"):
        return (
            f"{e.signal_date}\nrun {e.run_length}{'+' if e.run_ongoing else ''} {e.run_gain:+.1%}"
        )
    moved = f" from {e.date[5:]}" if e.moved else ""
    return f"{e.signal_date}{moved}\n{e.label[:21]}"


def notes(study) -> list[str]:
    """Lines on dates that moved, events outside the history and overlapping episodes."""
    p = study.params
    lines = []
    if p.get("moved"):
        moved = [
            f"{e.date} -> {e.signal_date}" for e in study.episodes if getattr(e, "moved", False)
        ]
        lines.append(
            f"{p['moved']} event date(s) were not sessions of {p['target']} and moved to the next "
            f"session: {', '.join(moved[:4])}{' ...' if len(moved) > 4 else ''}"
        )
    if p.get("outside"):
        lines.append(
            f"{p['outside']} event date(s) outside {p['target']}'s history {p['start']} .. "
            f"{p['end']} are left out"
        )
    if p.get("same_session"):
        lines.append(
            f"{p['same_session']} event date(s) fell on the session of an earlier one and count "
            "once"
        )
    longest = str(p["horizons"][-1])
    overlapping = sum(1 for e in study.episodes if e.overlaps.get(longest))
    if overlapping:
        what = (
            "left out of" if p.get("no_overlap") else "counted in (--no-overlap leaves them out of)"
        )
        lines.append(
            f"{overlapping} episode(s) start inside an earlier one's +{longest} window (* at each "
            f"horizon where they do): {what} that horizon's figures"
        )
    return lines


def print_event_study(out, study, title: str) -> None:
    """Everything ``streaks`` and ``events`` print: episodes, the published-study tables for the
    target and the versus series, the significance table, its words and the notes."""
    out.print(episodes_table(study, title))
    if study.params.get("context"):
        out.print(context_table(study))
    out.print(horizon_table(study, "target"))
    if study.params.get("versus"):
        out.print(horizon_table(study, "versus"))
    out.print(significance_table(study))
    for line in [*words(study), *notes(study)]:
        out.print(line, markup=False, highlight=False)


def context_table(study) -> Table:
    """``--context``: each context symbol's return over the streak run / on the signal day
    (streaks), or on the event session (events)."""
    names = study.params["context"]
    events = study.params.get("kind") == "events"
    t = new_table("context: return on the event session" if events
                  else "context: return over the streak run / on the signal day")
    t.add_column("signal date", no_wrap=True)
    for n in names:
        t.add_column(n, justify="right")
    for e in study.episodes:
        cells = [
            (
                "n/a"
                if n not in e.context
                else f"{e.context[n]['signal_day']:+.1%}"
                if events
                else f"{e.context[n]['run']:+.1%} / {e.context[n]['signal_day']:+.1%}"
            )
            for n in names
        ]
        t.add_row(e.signal_date, *cells)
    return t


def streak_title(study) -> str:
    """The episodes table's title for a streak study."""
    p = study.params
    kind = "beating " + str(p["versus"]) if p.get("relative") else "up"
    return (
        f"{p['symbol']}: {p['sessions']} sessions in a row {kind} >= {p['min_gain']:.2%}, "
        f"{p['start']} .. {p['end']}"
    )


def events_title(study) -> str:
    """The episodes table's title for dated events."""
    p = study.params
    return f"{p['events']} ({p['given']} dates), {p['target']} {p['start']} .. {p['end']}"
