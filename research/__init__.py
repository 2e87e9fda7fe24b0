"""Studies built on data and runs: the streak event study (``research.events``).

Research code reads saved results or market data; it never re-implements fills.
"""

from __future__ import annotations

from core.lazy import lazy_exports

_EXPORTS = {
    "find_streaks": "research.events",
    "streak_study": "research.events",
    "StreakStudy": "research.events",
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
