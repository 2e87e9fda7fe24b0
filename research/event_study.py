"""The event study every dated signal shares: forward returns after each event, the same for any
session, and whether the difference is more than chance.

An **episode** is one event on a session of the studied period: its ``signal_date`` is the
session whose close starts every forward return (a strategy could act on that close). ``forward``
holds the target's total return from that close to the close ``h`` sessions later, for each
horizon ``h`` (sessions); ``versus_forward`` the same for the comparison series. Where the data
ends first (or the series has not started) a return is missing (``None``), never zero.
``overlaps[h]`` is True when the episode starts inside the ``h``-session forward window of the
previous episode not itself marked at ``h``: such forward windows share sessions, so they are not
independent; ``no_overlap`` leaves them out of that horizon's figures.

The summary is the table published studies print (N, % positive, mean, median per horizon, and
the same over every session of the period: "any session"), plus the excess of the mean after the
events over the any-session mean, with a 90% interval and a two-sided p-value.

Significance (:func:`significance`). Every circular shift of all event dates together by the same
number of sessions, within the target's own history (only sessions where it has a forward return
and a trailing volatility), is one draw under "the dates carry no information"; moving the dates
together keeps their spacing and the overlap of their forward windows (a conditional permutation
test: Good, P. (2005), *Permutation, Parametric and Bootstrap Tests of Hypotheses*, ch. 3, applied
to event dates as in Brown, S. & Warner, J. (1985), "Using daily stock returns: the case of event
studies", *J. Financial Economics* 14, 3-31). Volatility clusters, and events such as breadth
streaks come in volatile periods: shifted into calm ones, raw returns make the null too narrow (a
5% test rejected 13-15% of no-predictability GARCH series). So each forward return is first
divided by the volatility known at its start - the standard deviation of the target's daily
returns over the :data:`VOL_WINDOW` sessions up to that close, times sqrt(h) - the standardised
abnormal return of Brown & Warner (1985) and of Boehmer, Musumeci & Poulsen (1991), "Event-study
methodology under conditions of event-induced variance", *J. Financial Economics* 30, 253-272.
The p-value compares the mean standardised return after the events with its shift distribution;
the interval is that distribution in return units (times the events' mean volatility scale).
``bench/event_calibration.py`` measures the size on simulated no-predictability markets (iid and
GARCH(1,1) with t(5) shocks); ``tests/test_event_study.py`` holds the slow version.

Several horizons are several tests: beside each raw p-value stands Holm's step-down adjustment
across the study's horizons (Holm, S. (1979), "A simple sequentially rejective multiple test
procedure", *Scand. J. Statistics* 6, 65-70; ``statsmodels.stats.multitest``), and the words say
which one they judge by. With fewer than :data:`MIN_EPISODES` episodes they say that nothing can
be concluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from core.errors import UserError

#: Forward windows in sessions: about a week, a month, a quarter, half a year and a year.
HORIZONS = (5, 21, 63, 126, 252)
#: Sessions of daily returns behind the volatility that scales each forward return.
VOL_WINDOW = 63
#: Fewer daily returns than this give no volatility (the first sessions of a history).
MIN_VOL_SESSIONS = 21
#: Below this many episodes a horizon's significance says "too few to conclude anything".
MIN_EPISODES = 10
#: Two-sided level the words judge by.
LEVEL = 0.05


@dataclass(kw_only=True)
class Episode:
    """One event and what followed it (horizon keys are strings, as in the JSON)."""

    signal_date: str
    forward: dict[str, float | None] = field(default_factory=dict)
    versus_forward: dict[str, float | None] = field(default_factory=dict)
    overlaps: dict[str, bool] = field(default_factory=dict)


@dataclass
class EventStudy:
    """Parameters, episodes and summary of one event study (``to_dict`` is the --json document)."""

    params: dict
    episodes: list
    summary: dict
    series: pd.Series  # the series the events are drawn on (for charts)

    def to_dict(self) -> dict:
        return {"params": self.params, "episodes": [asdict(e) for e in self.episodes],
                "summary": self.summary}


def check_horizons(horizons: Sequence[int]) -> list[int]:
    """``horizons`` as a list of positive session counts, else a UserError."""
    if not horizons or any(int(h) < 1 for h in horizons):
        raise UserError(f"horizons must be positive session counts, got {list(horizons)}",
                        "e.g. --horizons 5,21,63,126,252")
    return [int(h) for h in horizons]


def forward_returns(values: np.ndarray, h: int) -> np.ndarray:
    """Return from each close to the close ``h`` positions later (NaN where either is missing)."""
    out = np.full(len(values), np.nan)
    if len(values) > h:
        out[:-h] = values[h:] / values[:-h] - 1.0
    return out


def trailing_volatility(values: np.ndarray, window: int = VOL_WINDOW) -> np.ndarray:
    """Standard deviation of the daily returns of the ``window`` sessions up to each close (NaN
    until :data:`MIN_VOL_SESSIONS` returns exist): what is known at that close."""
    daily = pd.Series(values, dtype=float).pct_change(fill_method=None)
    return daily.rolling(window, min_periods=min(window, MIN_VOL_SESSIONS)).std(ddof=1).to_numpy()


def stats(xs: Sequence[float | None]) -> dict:
    """N, mean, median and hit rate (share above zero) of the values that are not None."""
    vals = np.array([x for x in xs if x is not None], dtype=float)
    if len(vals) == 0:
        return {"n": 0, "mean": None, "median": None, "hit_rate": None}
    return {"n": int(len(vals)), "mean": float(vals.mean()), "median": float(np.median(vals)),
            "hit_rate": float((vals > 0).mean())}


def _empty(words: str) -> dict:
    return {"n": 0, "excess": None, "ci": None, "p_value": None, "p_holm": None, "shifts": 0,
            "conclusive": False, "words": words}


def significance(values: np.ndarray, signals: np.ndarray, h: int, size: float = 0.90,
                 window: int = VOL_WINDOW, scaled: bool = True) -> dict:
    """Excess mean forward return after ``signals`` (positions in ``values``) over any session,
    with an interval of level ``size`` and a two-sided p-value from every circular shift of the
    volatility-scaled forward returns within the target's own history (module docstring).

    ``values``: the target's closes (NaN where it has no data); ``h``: horizon in sessions;
    ``window``: sessions behind each trailing volatility; ``scaled=False``: raw forward returns
    (the earlier test, too liberal under volatility clustering; kept for the calibration bench
    to show the difference). ``p_holm`` and the words are filled by
    :func:`adjust_across_horizons`."""
    fwd = forward_returns(values, h)
    scale = trailing_volatility(values, window) * np.sqrt(h)
    if not scaled:
        scale = np.where(np.isfinite(scale), 1.0, np.nan)
    usable = np.isfinite(fwd) & np.isfinite(scale) & (scale > 0)
    if not usable.any():
        return _empty("no session with a complete forward window and a trailing volatility")
    lo, hi = np.flatnonzero(usable)[[0, -1]]  # the target's own history: shifts wrap inside it
    domain = hi - lo + 1
    at = np.asarray([i - lo for i in signals if lo <= i <= hi and usable[i]], dtype=int)
    if len(at) == 0 or domain < 2:
        return _empty("no episode with a complete forward window and a trailing volatility")
    base = float(np.mean(fwd[usable]))
    z = np.where(usable, (fwd - base) / np.where(usable, scale, 1.0), np.nan)[lo:hi + 1]
    centre = float(np.nanmean(z))
    observed = float(np.mean(z[at])) - centre
    shifted = (at[None, :] + np.arange(1, domain)[:, None]) % domain  # every shift, dates together
    draws = z[shifted]
    counts = np.isfinite(draws).sum(axis=1)
    null = np.nansum(draws, axis=1)[counts > 0] / counts[counts > 0] - centre
    p_value = float((np.sum(np.abs(null) >= abs(observed) - 1e-15) + 1) / (len(null) + 1))
    excess = float(np.mean(fwd[at + lo]) - base)
    unit = float(np.mean(scale[at + lo]))  # the events' own volatility scale, in return units
    q_lo, q_hi = np.quantile(null, [(1 - size) / 2, (1 + size) / 2])
    return {
        "n": int(len(at)),
        "excess": excess,
        "ci": [excess - float(q_hi) * unit, excess - float(q_lo) * unit],
        "p_value": p_value,
        "p_holm": None,
        "shifts": int(len(null)),
        "conclusive": len(at) >= MIN_EPISODES,
        "words": "",
    }


def adjust_across_horizons(rows: dict[str, dict]) -> None:
    """Holm-adjust the p-values of ``rows`` (horizon -> significance dict) and write the words."""
    keys = [k for k, r in rows.items() if r.get("p_value") is not None]
    if keys:
        adjusted = multipletests([rows[k]["p_value"] for k in keys], method="holm")[1]
        for k, p in zip(keys, adjusted, strict=True):
            rows[k]["p_holm"] = float(p)
    for r in rows.values():
        if r.get("p_value") is not None:
            r["words"] = _words(r, len(keys))


def _words(sig: dict, tests: int) -> str:
    n, p, p_holm = sig["n"], sig["p_value"], sig["p_holm"]
    ps = (
        f"p = {p:.2f}, {p_holm:.2f} after Holm's adjustment for {tests} "
        f"horizon{'s' if tests != 1 else ''}"
    )
    if not sig["conclusive"]:
        return f"only {n} episode{'s' if n != 1 else ''}: too few to conclude anything ({ps})"
    verdict = "a difference" if p_holm < LEVEL else "no difference"
    raw_only = " (the raw p alone would say otherwise)" if (p < LEVEL) != (p_holm < LEVEL) else ""
    return (f"{n} episodes: {verdict} from any session at the {LEVEL:.0%} level once the horizons "
            f"are counted{raw_only} ({ps})")


def mark_overlaps(positions: Sequence[int] | np.ndarray,
                  horizons: Sequence[int]) -> list[dict[str, bool]]:
    """Per episode and horizon: does it start inside the forward window of the previous episode
    not itself marked at that horizon? (``positions``: session positions, ascending.)"""
    marks: list[dict[str, bool]] = [{} for _ in positions]
    for h in horizons:
        last = None
        for k, i in enumerate(positions):
            inside = last is not None and i < last + h
            marks[k][str(h)] = bool(inside)
            if not inside:
                last = i
    return marks


def measure(episodes: list, positions: Sequence[int], index: pd.DatetimeIndex, target: np.ndarray,
            versus: np.ndarray | None, horizons: Sequence[int], no_overlap: bool = False) -> dict:
    """Fill each episode's forward returns and overlap marks; return the summary.

    ``episodes``: :class:`Episode` objects (or subclasses), one per entry of ``positions`` (their
    signal sessions' positions in ``index``, ascending); ``target``/``versus``: closes on
    ``index`` (NaN where absent); ``no_overlap``: leave episodes marked at a horizon out of that
    horizon's figures and test."""
    horizons = check_horizons(horizons)
    pos = np.asarray(positions, dtype=int)
    marks = mark_overlaps(pos, horizons)
    sides = {"target": target, **({"versus": versus} if versus is not None else {})}
    fwd = {(side, h): forward_returns(v, h) for side, v in sides.items() for h in horizons}
    for e, i, m in zip(episodes, pos, marks, strict=True):
        e.overlaps = m
        e.forward = {str(h): _value(fwd["target", h][i]) for h in horizons}
        if versus is not None:
            e.versus_forward = {str(h): _value(fwd["versus", h][i]) for h in horizons}
    summary: dict = {"episodes": len(episodes), "overlap_dropped": no_overlap, "horizons": {}}
    for h in horizons:
        keep = np.array([not (no_overlap and m[str(h)]) for m in marks], dtype=bool)
        row: dict = {}
        for side, values in sides.items():
            at = pos[keep] if len(pos) else pos
            row[side] = stats([_value(fwd[side, h][i]) for i in at])
            row[f"{side}_unconditional"] = stats([float(x) for x in fwd[side, h] if np.isfinite(x)])
            row[f"{side}_significance"] = significance(values, at, h)
        summary["horizons"][str(h)] = row
    for side in sides:
        adjust_across_horizons(
            {k: r[f"{side}_significance"] for k, r in summary["horizons"].items()}
        )
    return summary


def _value(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
