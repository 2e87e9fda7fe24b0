"""The command line's string parsing, in one place: ``key=value`` options and ISO dates.

Values stay strings here; the strategy's typed ``Params`` model converts and validates them
once (``RunConfig``), so ``63``, ``true``, ``IWM,SPY``, ``IWM:0.6,SPY:0.4`` and the TOML inline
table ``{IWM=0.6,SPY=0.4}`` all work.
"""

from __future__ import annotations

import datetime as dt

from core.errors import UserError


def parse_assignments(
    pairs: list[str], option: str = "--param", example: str = "lookback=126"
) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{"k": "v"}`` (stripped); a malformed pair is a one-line UserError.

    ``option``/``example`` name the option and a valid value in the message.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"{option} '{pair}' is not key=value", f"e.g. {option} {example}")
        out[key.strip()] = value.strip()
    return out


def parse_grid(pairs: list[str]) -> dict[str, list[str]]:
    """``--grid key=v1,v2`` options -> ``{"key": ["v1", "v2"]}`` (values validated later)."""
    grids = parse_assignments(pairs, "--grid", "lookback=63,126,252")
    return {
        k: [v.strip() for v in _top_level_split(values) if v.strip()] for k, values in grids.items()
    }


def _top_level_split(text: str) -> list[str]:
    """Split at commas outside ``{...}`` (a grid of inline tables: ``{IWM=1},{SPY=1}``)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def parse_weights(text: str | None, option: str = "--twin") -> dict[str, float] | None:
    """``"IWM=0.5,SPY=0.5"`` (or ``IWM:0.5``) -> ``{"IWM": 0.5, "SPY": 0.5}``; None passes
    through; a malformed pair is a one-line UserError (bounds are checked by the config)."""
    if text is None:
        return None
    out: dict[str, float] = {}
    for pair in (p for p in text.split(",") if p.strip()):
        symbol, sep, weight = pair.replace(":", "=").partition("=")
        try:
            out[symbol.strip().upper()] = float(weight)
        except ValueError:
            raise UserError(
                f"{option} '{pair}' is not SYMBOL=WEIGHT", f"e.g. {option} IWM=0.5,SPY=0.5"
            ) from None
        if not sep or not symbol.strip():
            raise UserError(
                f"{option} '{pair}' is not SYMBOL=WEIGHT", f"e.g. {option} IWM=0.5,SPY=0.5"
            )
    if not out:
        raise UserError(f"{option} is empty", f"e.g. {option} IWM=0.5,SPY=0.5")
    return out


def parse_date(text: str | None, option: str = "date") -> str | None:
    """A ``YYYY-MM-DD`` option as an ISO string (None passes through); else a UserError."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UserError(
            f"{option} '{text}' is not a date", "write dates as YYYY-MM-DD, e.g. 2024-07-16"
        ) from None


def parse_int_list(text: str, option: str, example: str, what: str = "whole numbers") -> list[int]:
    """``"5,10,20"`` -> ``[5, 10, 20]``; anything else is a UserError naming ``option`` and
    ``what``."""
    try:
        return [int(h) for h in text.split(",") if h.strip()]
    except ValueError:
        raise UserError(
            f"{option} '{text}' is not a list of {what}", f"e.g. {option} {example}"
        ) from None
