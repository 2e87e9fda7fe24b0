"""Regime labels per session: Fed policy, rate expectations, volatility, small-cap leadership,
or a user's own file. Every label of a session uses only data published by that session's close.

* **fed_policy**: the sign of the latest change of the federal funds target (bundled
  ``events/FOMC.csv``, dated by the announcement): ``easing`` from the first cut after a hike
  until the next hike, ``tightening`` from the first hike after a cut until the next cut, and
  ``on_hold`` once ``hold_sessions`` (default 126, about six months) have passed without a change,
  until the next change. A change announced on D counts from the close of D plus the macro lag
  (default 1 session, as every FRED series in the engine).
* **rate_expectations**: the 2-year Treasury yield's change over 63 sessions, the signal
  ``rate_regime`` trades: ``falling`` once it is at or below -25 bp, ``rising`` once at or above
  +25 bp, in between the last state (lookback and threshold are rate_regime's defaults).
* **volatility**: VIX (FRED VIXCLS) ``high`` above 20, ``low`` at or below 20 (a fixed level,
  not a trailing median).
* **leadership**: ``small`` when the IWM/SPY total-return ratio is above its 200-session
  average, ``large`` when at or below it, as of the previous close: the ratio at a session's
  own close moves with that session's return, which would sort returns by themselves.
* a user's file ``date,label``: as-of, each label in force from its date until the next row.

Sessions without a label (before the first FOMC change, warm-up of a window, after the data)
carry NaN and are left out of every regime statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from core.calendar import nyse_sessions
from core.errors import UserError
from engine.data.catalog import bundled_files, bundled_root
from engine.data.factors import load_fomc_changes
from engine.data.files import bundled_source, digest_of
from engine.data.market import DEFAULT_MACRO_LAG, adjust_total_return, align_asof, publish
from strategies.builtin.rates import RateRegimeParams

#: Sessions without a change of the target after which the Fed is "on hold" (about six months).
HOLD_SESSIONS = 126
#: VIX level splitting calm from stressed markets (points).
VIX_LEVEL = 20.0
#: Window of the IWM/SPY ratio's moving average (sessions).
LEADERSHIP_WINDOW = 200
_RATES = RateRegimeParams()

#: The built-in families and the rule of each, as the pages state it.
RULES = {
    "fed_policy": "sign of the latest federal funds target change (FOMC.csv, announcement date): "
    "easing from the first cut after a hike to the next hike, tightening vice "
    "versa; on_hold after {hold} sessions (about {months} months) without a change; "
    "a change counts from {lag} session(s) after its announcement",
    "rate_expectations": f"2-year Treasury yield (DGS2) change over {_RATES.lookback} sessions: "
    f"falling at <= -{_RATES.threshold_bp:g} bp, rising at >= "
    f"+{_RATES.threshold_bp:g} bp, in between the last state (rate_regime's "
    "signal); DGS2 used {lag} session(s) after its date",
    "volatility": f"VIX (VIXCLS) high above {VIX_LEVEL:g}, low at or below {VIX_LEVEL:g} (a fixed "
    "level, not a trailing median); VIX used {lag} session(s) after its date",
    "leadership": f"IWM/SPY total-return ratio above (small) or at/below (large) its "
    f"{LEADERSHIP_WINDOW}-session average at the previous close (a session's own return never "
    "decides its label)",
}


def _either(first: ArrayLike, second: ArrayLike, first_name: str, second_name: str) -> np.ndarray:
    """Per session: ``first_name`` where ``first`` holds, else ``second_name`` where ``second``
    holds, else None (an object array; the conditions are boolean arrays or series)."""
    names = np.array([None, first_name, second_name], dtype=object)
    return names[np.where(first, 1, np.where(second, 2, 0))]


def rule_text(family: str, lag: int, hold_sessions: int = HOLD_SESSIONS) -> str:
    """The stated rule of a built-in ``family`` for a macro lag of ``lag`` sessions."""
    return RULES[family].format(lag=lag, hold=hold_sessions, months=round(hold_sessions / 21))


def fed_policy_labels(
    sessions: pd.DatetimeIndex,
    changes: pd.DataFrame,
    lag: int = DEFAULT_MACRO_LAG,
    hold_sessions: int = HOLD_SESSIONS,
) -> pd.Series:
    """``easing`` / ``tightening`` / ``on_hold`` per session from target ``changes`` (indexed by
    announcement date, column ``change_bps``); ``lag``: sessions after the announcement that a
    change counts; ``hold_sessions``: sessions without a change that make ``on_hold`` (0: never)."""
    sessions = pd.DatetimeIndex(sessions)
    moves = changes["change_bps"].astype(float)
    moves = moves[(moves != 0) & (moves.index <= sessions[-1])]
    if moves.empty:
        return pd.Series(np.nan, index=sessions, dtype=object, name="fed_policy")
    known = publish(np.sign(moves), lag)
    sign = align_asof(known, sessions)
    since = align_asof(pd.Series(known.index, index=known.index), sessions)
    calendar = nyse_sessions(min(known.index[0], sessions[0]), sessions[-1])
    elapsed = calendar.searchsorted(sessions) - calendar.searchsorted(since.fillna(sessions[0]))
    label = _either(sign < 0, sign > 0, "easing", "tightening")
    if hold_sessions > 0:
        label = np.where((elapsed >= hold_sessions) & sign.notna().to_numpy(), "on_hold", label)
    return pd.Series(label, index=sessions, name="fed_policy").where(sign.notna())


def rate_expectation_labels(
    dgs2: pd.Series, lookback: int = _RATES.lookback, threshold_bp: float = _RATES.threshold_bp
) -> pd.Series:
    """``falling`` / ``rising`` per session from the 2-year yield (percent) as known at each
    session; ``lookback`` in sessions, ``threshold_bp`` in basis points (rate_regime's rule)."""
    move = (dgs2 - dgs2.shift(lookback)) * 100.0
    state = pd.Series(
        _either(move <= -threshold_bp, move >= threshold_bp, "falling", "rising"),
        index=dgs2.index,
    )
    return state.ffill().rename("rate_expectations")


def volatility_labels(vix: pd.Series, level: float = VIX_LEVEL) -> pd.Series:
    """``high`` where VIX (as known at the session) is above ``level`` points, else ``low``."""
    label = pd.Series(np.where(vix > level, "high", "low"), index=vix.index, dtype=object)
    return label.where(vix.notna()).rename("volatility")


def leadership_labels(
    small: pd.Series, large: pd.Series, window: int = LEADERSHIP_WINDOW
) -> pd.Series:
    """``small`` where the small/large total-return ratio is above its ``window``-session moving
    average at the close, ``large`` where at or below it; NaN during the warm-up."""
    ratio = small / large
    average = ratio.rolling(window).mean()
    label = pd.Series(np.where(ratio > average, "small", "large"), index=ratio.index, dtype=object)
    return label.where(average.notna()).rename("leadership")


@dataclass
class LabelInputs:
    """Raw inputs of the built-in labels: ``prices`` (IWM and SPY adjusted closes on NYSE
    sessions), ``dgs2`` and ``vix`` (FRED values by their own dates, not yet published) and the
    FOMC target ``changes``. Tests scramble these after a day and relabel."""

    prices: pd.DataFrame
    dgs2: pd.Series
    vix: pd.Series
    changes: pd.DataFrame


#: The bundled series the built-in labels read.
LABEL_SERIES = ("IWM", "SPY", "DGS2", "VIXCLS")


def bundled_inputs() -> LabelInputs:
    """The bundled IWM, SPY, DGS2, VIXCLS and FOMC changes (read once per process and content of
    the files: an edited file is read again; do not modify the frames, copy them)."""
    files = bundled_files()
    paths = [files[s].path for s in LABEL_SERIES] + [bundled_root() / "events" / "FOMC.csv"]
    return _bundled_inputs(digest_of(*paths))


@lru_cache(maxsize=2)
def _bundled_inputs(digest: str) -> LabelInputs:
    src = bundled_source()
    closes = {s: adjust_total_return(src.load(s).frame)["close"] for s in ("IWM", "SPY")}
    raw = {s: src.load(s).frame["value"].astype(float).dropna() for s in ("DGS2", "VIXCLS")}
    return LabelInputs(
        pd.DataFrame(closes).dropna(), raw["DGS2"], raw["VIXCLS"], load_fomc_changes()
    )


def builtin_labels(
    sessions: pd.DatetimeIndex,
    inputs: LabelInputs | None = None,
    lag: int = DEFAULT_MACRO_LAG,
    hold_sessions: int = HOLD_SESSIONS,
) -> pd.DataFrame:
    """One column per built-in family, one row per of ``sessions``; ``inputs`` default to the
    bundled data; ``lag``: the macro publication lag (the run's ``macro_lag``). Windows warm up on
    the history before ``sessions`` (all of the inputs)."""
    data = inputs or bundled_inputs()
    sessions = pd.DatetimeIndex(sessions)
    history = data.prices.index.union(sessions)
    dgs2 = align_asof(publish(data.dgs2, lag), history)
    vix = align_asof(publish(data.vix, lag), history)
    prices = data.prices.reindex(history).ffill()
    frame = pd.DataFrame(
        {
            "fed_policy": fed_policy_labels(sessions, data.changes, lag, hold_sessions),
            "rate_expectations": rate_expectation_labels(dgs2).reindex(sessions),
            "volatility": volatility_labels(vix).reindex(sessions),
            # at the previous close: a session's own return never decides its label
            "leadership": leadership_labels(prices["IWM"], prices["SPY"])
            .shift(1)
            .reindex(sessions),
        },
        index=sessions,
    )
    after = sessions > data.prices.index[-1]  # no label beyond the data (no stale carry-over)
    frame.loc[after, ["rate_expectations", "volatility", "leadership"]] = np.nan
    return frame


def user_labels(path: str | Path, sessions: pd.DatetimeIndex) -> pd.Series:
    """Labels from a user's CSV ``date,label`` (as-of: each row's label from its date until the
    next row's); a malformed file is a one-line :class:`UserError` naming it and the rule."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"regimes file '{path}' does not exist", "pass a CSV file with columns date,label"
        )
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(
            f"{path}: not a readable CSV ({type(exc).__name__})", "write date,label rows"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if list(frame.columns) != ["date", "label"] or frame.empty:
        raise UserError(
            f"{path}: columns are {', '.join(frame.columns) or 'none'}, not date,label "
            "with at least one row",
            "write a header line date,label and one row per change",
        )
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    bad = frame.index[dates.isna() | frame["label"].isna() | (frame["label"].str.strip() == "")]
    if len(bad):
        raise UserError(
            f"{path}: line {bad[0] + 2}: a YYYY-MM-DD date and a label are needed "
            "(rule: date,label)",
            "fix or remove that line",
        )
    if not dates.is_monotonic_increasing or dates.duplicated().any():
        raise UserError(
            f"{path}: dates are not sorted and unique (rule: sorted unique dates)",
            "sort the rows by date and keep one label per date",
        )
    labels = pd.Series(frame["label"].str.strip().to_numpy(), index=pd.DatetimeIndex(dates))
    return align_asof(labels, pd.DatetimeIndex(sessions)).rename(path.stem)
