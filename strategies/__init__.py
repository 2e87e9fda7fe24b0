"""Rotation strategies: the rules, one module per family in ``strategies.builtin``.

Public surface (what a user's own strategy file imports)::

    from strategies import RotationStrategy, RotationParams, register, Symbol

Names load lazily so ``import strategies`` stays cheap until a strategy is used.
"""

from __future__ import annotations

from core.lazy import lazy_exports

_EXPORTS = {
    "RotationStrategy": "strategies.base",
    "RotationParams": "strategies.base",
    "RunContext": "strategies.base",
    "Symbol": "core.symbols",
    "Schedule": "strategies.schedule",
    "period_end_mask": "strategies.schedule",
    "sleeve_decisions": "strategies.schedule",
    "register": "strategies.registry",
    "get_strategy": "strategies.registry",
    "user_strategy": "strategies.registry",
    "all_strategies": "strategies.registry",
    "load_strategy_file": "strategies.registry",
    "StrategySpec": "strategies.registry",
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
