"""How much of a sweep's winner is luck: every overfitting statistic for a set of runs, in one
JSON-ready result (``stats.json`` beside ``sweep.csv``).

Inputs are the saved runs' daily returns on their *common* window (the sessions all of them
measured) and their shared benchmark. Per variant: PSR against 0 and against the benchmark's
Sharpe, DSR with the number of trials and the variance of their Sharpe ratios
(``research.sharpe``), and stationary-bootstrap intervals for CAGR, Sharpe and excess CAGR
(``research.bootstrap``). Per set: PBO by CSCV (``research.pbo``), Hansen's SPA p-value and the
Model Confidence Set (``research.superiority``). Every draw is seeded; the seed, block length and
replication counts are recorded, so serial, process and Dask sweeps give identical numbers.

The multiple-testing figures are about *candidates* only (``research.trials``: benchmarks and
twins are reference rows; never-traded or never-rotating variants and clones are excluded, each
with its reason in ``excluded``), count the *effective* number of trials, and answer the user's
question against the benchmark and against each variant's no-rotation twin
(``research.verdict``: ``dsr_vs_benchmark``, ``dsr_vs_twin``, ``sharpe_diff_pvalue``,
``spa_pvalue``, ``spa_pvalue_twin``, ``verdict``). The per-variant ``dsr`` is the DSR of the
Sharpe ratio over cash ("absolute"), deflated by the effective trials; only the selected
variant's is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from core.atomic import write_text_atomic
from core.errors import UserError
from engine.cash_rate import run_cash_returns
from engine.results import BacktestResult
from engine.store_records import paid_costs, run_label
from engine.twin import describe_twin
from research.bootstrap import block_length, bootstrap_intervals
from research.columns import columns_of
from research.pbo import probability_of_backtest_overfitting
from research.sharpe import moments_of_columns, probabilistic_sharpes, sharpe_moments
from research.superiority import mcs_method, model_confidence_set
from research.trials import exclusions
from research.verdict import DEFINITIONS, Answer, NullSettings, answer

DEFAULT_SEED = 20240716  # the signal date of the July 2024 streak
PERIODS = 252
#: Per-variant columns added to sweep.csv and --json.
#: A risk-free input: daily cash returns (frame by variant id, or one series), or annual decimals.
RiskFreeInput: TypeAlias = pd.DataFrame | pd.Series | dict[str, float] | float
VARIANT_COLUMNS = (
    "psr",
    "psr_benchmark",
    "dsr",
    "sharpe_ci",
    "cagr_ci",
    "excess_ci",
    "in_mcs",
    "dsr_vs_benchmark",
    "dsr_vs_twin",
    "sharpe_diff_pvalue",
    "excess_twin_ci",
    "excluded",
)


@dataclass
class LuckSettings:
    """How the statistics are computed. ``blocks``: CSCV blocks S (even); ``size``: bootstrap
    interval coverage; ``mcs_size``: MCS test size; ``reps``: bootstrap replications for the
    intervals; ``test_reps``: replications for SPA and MCS; ``seed``: fixes every draw."""

    blocks: int = 16
    size: float = 0.90
    mcs_size: float = 0.10
    reps: int = 1000
    test_reps: int = 500
    seed: int = DEFAULT_SEED


@dataclass
class LuckReport:
    """The statistics of one set of variants (``to_dict`` is stats.json)."""

    n_trials: int
    window: tuple[str, str]
    sessions: int
    benchmark: str
    settings: LuckSettings
    block_length: float
    variants: dict[str, dict]
    pbo: dict | None
    spa_pvalue: float | None
    mcs: list[str]
    best: str
    notes: list[str] = field(default_factory=list)
    mcs_method: str = "R"  # the MCS statistic: R (pairwise range) or max (research.superiority)
    answer: Answer | None = None
    # the runs' cash rate ({series, lag}, {constant}) or "mixed"
    risk_free: dict | str | None = None
    twin: dict | None = None  # the twins' weights: {"weights": ...} or {"by_variant": ...}

    @property
    def sentence(self) -> str:
        """The finding in words, for the page and the terminal."""
        if self.pbo is None:
            return f"Too few variants or sessions for PBO ({self.notes[0] if self.notes else ''})."
        p = self.pbo["pbo"]
        verdict = ("so the in-sample winner is most likely luck" if p >= 0.5 else
                   "so picking the in-sample winner has often been luck" if p >= 0.2 else
                   "so the in-sample winner has mostly held up")
        return (
            f"The best in-sample variant ranked at or below the median out of sample in {p:.0%} of "
            f"{self.pbo['splits']:,} splits, {verdict}."
        )

    def to_dict(self) -> dict:
        return {
            "n_trials": self.n_trials,
            "window": list(self.window),
            "sessions": self.sessions,
            "benchmark": self.benchmark,
            "pbo": self.pbo["pbo"] if self.pbo else None,
            "pbo_blocks": self.settings.blocks,
            "pbo_detail": self.pbo,
            "spa_pvalue": self.spa_pvalue,
            "mcs": self.mcs,
            "mcs_size": self.settings.mcs_size,
            "mcs_method": self.mcs_method,
            "best": self.best,
            "variants": self.variants,
            "seed": self.settings.seed,
            "block_length": self.block_length,
            "bootstrap_reps": self.settings.reps,
            "test_reps": self.settings.test_reps,
            "interval": self.settings.size,
            "sentence": self.sentence,
            "notes": self.notes,
            **self._answer_keys(),
        }

    def _answer_keys(self) -> dict:
        a = self.answer
        if a is None:
            return {}
        return {
            "risk_free": self.risk_free,
            "n_candidates": len(a.candidates),
            "n_effective": a.n_effective,
            "clusters": a.clusters,
            "excluded": a.excluded,
            "twin": self.twin,
            "spa_pvalue_twin": a.spa_pvalue_twin,
            "dsr_absolute": a.dsr_absolute,
            "verdict": a.verdict,
            "definitions": DEFINITIONS,
        }


def cash_matrix(risk_free: RiskFreeInput, returns: pd.DataFrame) -> np.ndarray:
    """Per-session cash returns, sessions x columns of ``returns``, from ``risk_free``: a frame of
    daily cash returns by variant id, one daily series for all, a dict of annual decimals by
    variant id, or one annual decimal (constants deannualised geometrically)."""
    n, ids = len(returns), [str(c) for c in returns.columns]
    if isinstance(risk_free, pd.DataFrame):
        same = list(map(str, risk_free.columns)) == ids and risk_free.index.equals(returns.index)
        matrix = (risk_free if same else risk_free.reindex(index=returns.index, columns=ids)
                  ).to_numpy(dtype=float)
        return np.nan_to_num(matrix, nan=0.0) if np.isnan(matrix).any() else matrix
    if isinstance(risk_free, pd.Series):  # one series for all: a read-only view, not k copies
        col = risk_free.reindex(returns.index).fillna(0.0).to_numpy(dtype=float)
        return np.broadcast_to(col[:, None], (n, len(ids)))
    rates = risk_free if isinstance(risk_free, dict) else dict.fromkeys(ids, float(risk_free))
    annual = np.array([rates.get(i, 0.0) for i in ids], dtype=float)
    return np.broadcast_to((1.0 + annual) ** (1.0 / PERIODS) - 1.0, (n, len(ids))).copy()


def luck_statistics(
    returns: pd.DataFrame,
    benchmark: pd.Series,
    risk_free: RiskFreeInput = 0.0,
    benchmark_name: str = "benchmark",
    settings: LuckSettings | None = None,
    twins: pd.DataFrame | pd.Series | None = None,
    meta: dict[str, dict] | None = None,
) -> LuckReport:
    """The statistics for ``returns`` (sessions x variant ids, daily simple returns, one common
    window) against ``benchmark`` (daily returns on the same sessions). ``risk_free``: daily cash
    returns (a frame by variant id, or one series), or annual decimals (see :func:`cash_matrix`),
    as each run's metrics used. ``twins``: each variant's no-rotation twin's daily returns (same
    ids; one series: the same twin for all; None: the twin figures are left out). ``meta``: per
    id the run's ``strategy``, ``trades``, ``switches``, ``label`` and ``twin_weights`` (to tell
    candidates from reference rows, see ``research.trials.exclusions``)."""
    s = settings or LuckSettings()
    # one canonical order: numbers never depend on input order
    order = sorted(returns.columns, key=str)
    returns = returns if order == list(returns.columns) else returns[order]
    ids = [str(c) for c in returns.columns]
    r = returns.to_numpy(dtype=float)
    b = benchmark.reindex(returns.index).to_numpy(dtype=float)
    n, k = r.shape
    if n < 3 or k < 1:
        raise UserError(
            f"{k} variant(s) over {n} sessions is too little for statistics",
            "use a longer common window",
        )
    rf = cash_matrix(risk_free, returns)
    if twins is None:
        tw = None
    elif isinstance(twins, pd.Series):  # one twin for all: a read-only view, not k copies
        tw = np.broadcast_to(twins.reindex(returns.index).to_numpy(dtype=float)[:, None], (n, k))
    else:
        tw = twins.reindex(index=returns.index, columns=ids).to_numpy(dtype=float)
    moments = moments_of_columns(r - rf)
    sharpe = moments[0]
    length = block_length(r, b)
    excluded = exclusions(r, ids, meta)
    candidates = [vid for vid in ids if vid not in excluded] or ids
    ans = answer(
        r,
        rf,
        b,
        tw,
        ids,
        excluded,
        sharpe,
        NullSettings(length, s.reps, s.test_reps, s.size, s.seed),
        benchmark_name,
        _twin_names(ids, meta),
        _paid_costs(ids, meta),
    )
    cand = [ids.index(c) for c in ans.candidates] or list(range(k))
    r_cand, rf_cand = columns_of(r, cand), columns_of(rf, cand)
    variants = _variants(r, b, rf, moments, ans, s, length)
    mcs = (
        model_confidence_set(
            r_cand, [ids[j] for j in cand], length, s.mcs_size, s.test_reps, s.seed
        )
        if len(cand) > 1
        else [ids[j] for j in cand]
    )
    for vid in ids:
        variants[vid]["in_mcs"] = vid in mcs
    notes, pbo = _pbo(r_cand - rf_cand, n, s)
    return LuckReport(
        n_trials=k,
        window=(str(returns.index[0].date()), str(returns.index[-1].date())),
        sessions=n,
        benchmark=benchmark_name,
        settings=s,
        block_length=length,
        variants=variants,
        pbo=pbo,
        spa_pvalue=ans.spa_pvalue,
        mcs=mcs,
        best=ans.best or ids[int(np.argmax(sharpe))],
        notes=notes,
        mcs_method=mcs_method(r_cand) if len(cand) > 1 else "R",
        answer=ans,
        twin=_twin_doc(candidates, meta),
    )


def _variants(
    r: np.ndarray,
    b: np.ndarray,
    rf: np.ndarray,
    moments: tuple,
    ans: Answer,
    s: LuckSettings,
    length: float,
) -> dict[str, dict]:
    """Per variant: Sharpe moments, PSR against 0 and the benchmark's Sharpe, intervals, and the
    answer's figures (None for excluded variants)."""
    n = len(r)
    bench_sr = sharpe_moments(b - rf.mean(axis=1))[0]
    boot = bootstrap_intervals(r, b, rf, reps=s.reps, size=s.size, seed=s.seed, block=length)
    sharpe, skews, kurts = (m.tolist() for m in moments)
    psr = probabilistic_sharpes(moments, 0.0, n)
    psr_benchmark = probabilistic_sharpes(moments, bench_sr, n)
    out = {}
    for j, vid in enumerate(ans.per_variant):  # in the order of the columns
        sr, skew, kurt = sharpe[j], skews[j], kurts[j]
        per = ans.per_variant[vid]
        out[vid] = {"sharpe_per_session": sr, "skew": skew, "kurtosis": kurt,
                    "psr": psr[j], "psr_benchmark": psr_benchmark[j],
                    "dsr": per["dsr_absolute"], **per,
                    "sharpe_ci": boot.sharpe[j].tolist(), "cagr_ci": boot.cagr[j].tolist(),
                    "excess_ci": boot.excess_cagr[j].tolist(), "excluded": ans.excluded.get(vid)}
    return out


def _pbo(excess: np.ndarray, n: int, s: LuckSettings) -> tuple[list[str], dict | None]:
    if excess.shape[1] < 2:
        return ["PBO needs at least 2 candidate variants"], None
    if n < 2 * s.blocks:
        return [f"PBO needs at least {2 * s.blocks} sessions for {s.blocks} blocks"], None
    return [], probability_of_backtest_overfitting(excess, s.blocks).to_dict()


def _twin_doc(ids: list[str], meta: dict[str, dict] | None) -> dict | None:
    """The candidates' twins' weights: one set for all, or per variant where they differ."""
    weights = {vid: (meta or {}).get(vid, {}).get("twin_weights") for vid in ids}
    known = {vid: w for vid, w in weights.items() if w}
    if not known:
        return None
    distinct = {json.dumps(w, sort_keys=True) for w in known.values()}
    return (
        {"weights": next(iter(known.values()))}
        if len(distinct) == 1
        else {"weights": None, "by_variant": known}
    )


def _twin_names(ids: list[str], meta: dict[str, dict] | None) -> dict[str, str] | None:
    """Each variant's twin in words (``IWM/SPY/QQQ equally``), where the runs recorded one."""
    names = {
        vid: describe_twin(w) for vid in ids if (w := (meta or {}).get(vid, {}).get("twin_weights"))
    }
    return names or None


def _paid_costs(ids: list[str], meta: dict[str, dict] | None) -> bool:
    """False only when every run says it paid no commission or slippage (unknown: True)."""
    return any((meta or {}).get(vid, {}).get("costs", True) for vid in ids)


def common_window(runs: list[BacktestResult]) -> tuple[pd.DataFrame, pd.Series, str]:
    """(strategy returns by run name, benchmark returns, benchmark symbol) on the sessions every
    run measured; a UserError if the runs use different benchmarks or share no sessions."""
    benchmarks = {str(r.metrics.get("benchmark", r.config.benchmark)) for r in runs}
    if len(benchmarks) > 1:
        raise UserError(f"the runs use different benchmarks ({', '.join(sorted(benchmarks))})",
                        "compare runs that share one benchmark (--benchmark)")
    frame = pd.concat({r.run_id: r.returns["strategy"] for r in runs}, axis=1, join="inner")
    if len(frame) < 4:
        raise UserError(
            "the runs share fewer than 3 sessions", "compare runs over overlapping periods"
        )
    bench = runs[0].returns["benchmark"].reindex(frame.index)
    # measured from the close of the first common session: its own return belongs to before
    return frame.iloc[1:], bench.iloc[1:], benchmarks.pop()


def luck_from_runs(run_dirs: list[str | Path], settings: LuckSettings | None = None) -> LuckReport:
    """:func:`luck_statistics` of saved runs (their folder names are the variant ids)."""
    return luck_from_results([BacktestResult.load(d) for d in run_dirs], settings)


def luck_from_results(
    runs: list[BacktestResult], settings: LuckSettings | None = None
) -> LuckReport:
    """:func:`luck_statistics` of already loaded runs, on the sessions they share."""
    returns, bench, name = common_window(runs)
    rf = pd.DataFrame({r.run_id: run_cash_returns(r.metrics, returns.index) for r in runs})
    twins = None
    if all("twin" in r.returns for r in runs):
        twins = pd.DataFrame(
            {r.run_id: r.returns["twin"].reindex(returns.index) for r in runs}
        )
    meta = {
        r.run_id: {
            "strategy": r.config.strategy,
            "trades": r.metrics.get("trades"),
            "switches": r.metrics.get("switches"),
            "twin_weights": r.metrics.get("twin_weights"),
            "costs": paid_costs(r.config),
            "label": run_label(r.config),
        }
        for r in runs
    }
    specs = {json.dumps(r.metrics.get("risk_free"), sort_keys=True) for r in runs}
    report = luck_statistics(returns, bench, rf, name, settings, twins, meta)
    return _report(report, specs, twins is not None)


def _report(report: LuckReport, specs: set[str], with_twins: bool) -> LuckReport:
    """``report`` with the runs' cash rate (``specs``: their ``risk_free`` as JSON text) and a
    note when the twin figures are left out."""
    report.risk_free = json.loads(specs.pop()) if len(specs) == 1 else "mixed"
    if not with_twins:
        report.notes.append(
            "some runs were saved without twin returns: the twin figures are left out"
        )
    return report


def write_stats(report: LuckReport, folder: str | Path) -> Path:
    """Write ``stats.json`` into ``folder`` atomically; return its path."""
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, default=float) + "\n"
    return write_text_atomic(Path(folder) / "stats.json", text, "the statistics")
