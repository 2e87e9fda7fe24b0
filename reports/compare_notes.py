"""What a comparison must say about its runs' settings: fills, costs, risk-free rate or data that
differ between runs are named in a note (benchmarks that differ are refused by
``reports.compare``), so no row is read as if all were run alike. Each setting is worded by its
owner (``BrokerConfig.describe_costs`` and ``describe_fills``, ``engine.cash_rate.describe``), as
everywhere else the tool shows it."""

from __future__ import annotations

from collections.abc import Callable

from engine.cash_rate import describe
from engine.results import BacktestResult

SHOWN_LABELS = 3  # labels named per setting; the rest counted


def _fills(run: BacktestResult) -> str:
    return run.config.broker.describe_fills()


def _costs(run: BacktestResult) -> str:
    return run.config.broker.describe_costs()


def _risk_free(run: BacktestResult) -> str:
    spec = run.metrics.get("risk_free") or {
        "constant": float(run.metrics.get("risk_free_rate", 0.0))
    }
    return describe(spec)


def _data(run: BacktestResult) -> str:
    return f"data {run.config.data.source}, macro lag {run.config.data.macro_lag}"


ASPECTS: dict[str, Callable[[BacktestResult], str]] = {
    "fills": _fills, "costs": _costs, "risk-free rates": _risk_free, "data": _data}


def settings_notes(runs: list[BacktestResult], labels: list[str],
                   aspects: dict[str, Callable[[BacktestResult], str]] | None = None) -> list[str]:
    """One sentence per aspect (fills, costs, risk-free rate, data) on which ``runs`` differ,
    naming each setting and the runs (by ``labels``) that use it; empty when all agree."""
    notes = []
    for aspect, setting_of in (aspects or ASPECTS).items():
        groups: dict[str, list[str]] = {}
        for run, label in zip(runs, labels, strict=True):
            groups.setdefault(setting_of(run), []).append(label)
        if len(groups) < 2:
            continue
        parts = []
        for setting, names in groups.items():
            shown = ", ".join(names[:SHOWN_LABELS]) + (f" and {len(names) - SHOWN_LABELS} more"
                                                       if len(names) > SHOWN_LABELS else "")
            parts.append(f"{setting} ({shown})")
        notes.append(f"The runs differ in {aspect}: {'; '.join(parts)}.")
    return notes
