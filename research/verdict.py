"""Does the rotation beat not rotating, after costs and after the search? The answer in numbers
and in one sentence, for a set of candidate variants (``research.trials`` chose them).

Against two references, each with its own null:

* **the market** (the runs' benchmark): the information ratio of ``variant - benchmark``,
  deflated by the effective number of trials (``dsr_vs_benchmark``); the paired Sharpe test of
  "the variant's Sharpe is not above the benchmark's" (``sharpe_diff_pvalue``, Jobson-Korkie with
  Memmel's correction, ``research.nulls``); Hansen's SPA with losses ``-(variant - benchmark)``
  (``spa_pvalue``);
* **the no-rotation twin** (each variant's own static portfolio, run with the same schedule,
  fills and costs, ``engine.twin``): the same for ``variant - twin`` (``dsr_vs_twin``,
  ``sharpe_diff_pvalue_twin``, ``spa_pvalue_twin``) and a stationary-bootstrap interval of the
  CAGR over the twin's (``excess_twin_ci``).

An edge is called *distinguishable from luck* when its deflated ratio is at least
:data:`DSR_LEVEL` and the SPA p-value at most :data:`SPA_LEVEL`. The DSR of the Sharpe ratio over
cash ("absolute": any long-only equity exposure passes it) is reported for the selected variant
only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.bootstrap import excess_cagr_intervals
from research.columns import columns_of
from research.nulls import (
    deflated_ratios,
    information_ratios,
    sharpe_difference_pvalues,
    spa_vs_reference,
)
from research.trials import (
    Clusters,
    cluster,
    cluster_of,
    cluster_returns,
    correlation,
    effective_trials,
    effective_trials_of,
    standardised,
)

DSR_LEVEL = 0.95
SPA_LEVEL = 0.05

#: Every term the statistics show, defined where it appears (stats.json ``definitions``, the page).
DEFINITIONS = {
    "candidate": "a variant that rotates: not a benchmark or twin (reference rows), not a "
    "clone, and it traded",
    "n_effective": "effectively independent trials among the candidates: Li & Ji (2005) "
    "eigenvalue count of the correlations of their returns in excess of the benchmark",
    "dsr_vs_benchmark": "Deflated Sharpe Ratio of the daily return minus the benchmark's "
    "(information ratio form): probability the true ratio is above what the best of "
    "n_effective unskilled trials would show (Bailey & Lopez de Prado 2014)",
    "dsr_vs_twin": "the same for the daily return minus the no-rotation twin's: what rotating adds",
    "dsr": "absolute: DSR of the Sharpe ratio over cash (the 3-month T-bill); any long-only "
    "equity exposure tends to pass it, so it is shown for the selected variant only",
    "sharpe_diff_pvalue": "one-sided p-value of 'Sharpe not above the benchmark's' "
    "(Jobson-Korkie with Memmel's correction; Sharpe over cash, per session)",
    "spa_pvalue": "Hansen's SPA p-value of 'no candidate beats the benchmark' (losses: minus "
    "the daily excess over the benchmark)",
    "spa_pvalue_twin": "the same with each candidate's loss minus its daily excess over its "
    "own twin",
    "excess_twin_ci": "bootstrap interval of CAGR minus the twin's CAGR (a year, net of costs)",
    "sharpe": "annualised: per-session mean excess over cash / standard deviation x sqrt(252)",
    "turnover": "two-sided: bought plus sold value per year, as a multiple of average equity",
}


@dataclass
class Reference:
    """One reference the candidates are measured against: its name in words and its returns
    (sessions, or sessions x candidates: each variant's own twin)."""

    name: str
    returns: np.ndarray


def _ratio_variance(active: np.ndarray, clusters: Clusters) -> float:
    """Variance of the cluster representatives' per-session ratios (0 for one cluster)."""
    if clusters.n < 2:
        return 0.0
    return float(np.var(information_ratios(cluster_returns(active, clusters.labels)), ddof=1))


#: Candidates up to which the trial structure works on the full correlation matrix; above, on
#: the standardised returns (``research.trials.effective_trials_of``, ``cluster_of``: the same
#: figures to rounding, without a k x k matrix).
FULL_MATRIX_LIMIT = 2000


def trial_structure(returns: np.ndarray, benchmark: np.ndarray) -> tuple[float, Clusters]:
    """(effective number of trials, clusters) of the candidates' returns in excess of the
    benchmark."""
    excess = np.asarray(returns) - np.asarray(benchmark)[:, None]
    if excess.shape[1] > FULL_MATRIX_LIMIT:
        z = standardised(excess)
        n_eff = effective_trials_of(z)
        return n_eff, cluster_of(z, max(1, int(round(n_eff))))
    corr = correlation(excess)
    n_eff = effective_trials(corr)
    return n_eff, cluster(corr, max(1, int(round(n_eff))))


def _per_reference(
    r: np.ndarray, cash: np.ndarray, ref: np.ndarray, clusters: Clusters, n_eff: float
) -> tuple[list[float], list[float]]:
    """Per candidate: deflated ratio of ``r - ref`` and paired Sharpe p-value against ``ref``."""
    ref2 = ref if ref.ndim == 2 else ref[:, None]  # one column: broadcast, not copied
    active = r - ref2
    var = _ratio_variance(active, clusters)
    dsr = deflated_ratios(active, var, n_eff).tolist()
    paired = sharpe_difference_pvalues(r - cash, ref2 - cash).tolist()
    return dsr, paired


@dataclass
class NullSettings:
    """Bootstrap block length, replications (SPA ``test_reps``, intervals ``reps``), interval
    size and seed: the luck statistics' own (``research.luck.LuckSettings``)."""

    block: float
    reps: int
    test_reps: int
    size: float
    seed: int


def reference_nulls(
    r: np.ndarray,
    cash: np.ndarray,
    benchmark: np.ndarray,
    twins: np.ndarray | None,
    s: NullSettings,
) -> dict:
    """Every figure against the benchmark and the twins for candidates ``r`` (sessions x k), with
    ``cash`` (sessions x k per-session cash returns) and ``twins`` (sessions x k, or None for
    runs saved without them): ``n_effective``, ``clusters`` (labels), per-candidate lists, and
    the two SPA p-values."""
    n_eff, clusters = trial_structure(r, benchmark)
    out: dict = {"n_effective": n_eff, "labels": clusters.labels, "n_clusters": clusters.n}
    out["dsr_vs_benchmark"], out["sharpe_diff_pvalue"] = _per_reference(
        r, cash, benchmark, clusters, n_eff
    )
    out["spa_pvalue"] = spa_vs_reference(r, benchmark, s.block, s.test_reps, s.seed)
    if twins is not None:
        out["dsr_vs_twin"], out["sharpe_diff_pvalue_twin"] = _per_reference(
            r, cash, twins, clusters, n_eff
        )
        out["spa_pvalue_twin"] = spa_vs_reference(r, twins, s.block, s.test_reps, s.seed)
        out["excess_twin_ci"] = excess_cagr_intervals(r, twins, s.reps, s.size, s.seed, s.block)
    sharpe_var = _ratio_variance(r - cash, clusters)
    out["dsr_absolute"] = deflated_ratios(r - cash, sharpe_var, n_eff).tolist()
    return out


def _clause(dsr: float | None, spa: float | None, excess_cagr: float | None) -> str:
    """How the best variant fares against one reference, in words with its numbers."""
    figures = f"DSR {_num(dsr)}, SPA p = {_num(spa)}"
    if excess_cagr is not None and excess_cagr <= 0:
        return f"trails it ({excess_cagr:+.1%} CAGR a year; {figures})"
    if dsr is not None and spa is not None and dsr >= DSR_LEVEL and spa <= SPA_LEVEL:
        return f"has an edge distinguishable from luck ({excess_cagr:+.1%} CAGR a year; {figures})"
    return f"has an edge not distinguishable from luck ({figures})"


def _num(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"


def verdict_sentence(
    best: str,
    benchmark: str,
    twin_name: str | None,
    n_candidates: int,
    n_eff: float,
    against_benchmark: tuple[float | None, float | None, float | None],
    against_twin: tuple[float | None, float | None, float | None] | None,
    costs: bool = True,
) -> str:
    """The one-sentence answer. ``against_*``: the best variant's (DSR, SPA p-value of the set,
    excess CAGR) against the benchmark and against its twin; ``costs``: whether the runs paid
    any (else the sentence says they are before costs)."""
    if n_candidates == 0:
        return ("No candidate variants: every variant was a benchmark, a clone, or never traded "
                "or rotated.")
    trials = f"{n_eff:.0f} effective trial{'s' if round(n_eff) != 1 else ''}"
    text = (
        f"{'Net of costs' if costs else 'Before costs (the runs set none)'}, with "
        f"{n_candidates} candidate{'s' if n_candidates != 1 else ''} "
        f"({trials}): "
        f"against {benchmark} the best variant, {best}, {_clause(*against_benchmark)}"
    )
    if against_twin is None or twin_name is None:
        return (
            text + "; no twin returns were saved with these runs, so not rotating is not compared."
        )
    return text + f"; against not rotating (holding {twin_name}) it {_clause(*against_twin)}."


@dataclass
class Answer:
    """The candidates' figures against the benchmark and the twins (see :func:`answer`)."""

    candidates: list[str]
    excluded: dict[str, str]
    n_effective: float
    clusters: list[list[str]]
    per_variant: dict[str, dict]
    spa_pvalue: float | None
    spa_pvalue_twin: float | None
    best: str | None
    dsr_absolute: float | None
    verdict: str


_PER_VARIANT = (
    "dsr_vs_benchmark",
    "dsr_vs_twin",
    "sharpe_diff_pvalue",
    "sharpe_diff_pvalue_twin",
    "dsr_absolute",
)


def answer(
    r: np.ndarray,
    cash: np.ndarray,
    benchmark: np.ndarray,
    twins: np.ndarray | None,
    ids: list[str],
    excluded: dict[str, str],
    sharpe: np.ndarray,
    s: NullSettings,
    benchmark_name: str,
    twin_name: str | dict[str, str] | None,
    costs: bool = True,
) -> Answer:
    """Everything against the benchmark and the twins for the variants of ``ids`` not in
    ``excluded`` (the candidates); the best candidate by ``sharpe`` (per variant, over cash).
    ``twin_name``: the twins in words (one for all, or by variant id); ``costs``: whether the
    runs paid any (for the verdict's wording)."""
    cand = [j for j, vid in enumerate(ids) if vid not in excluded]
    names = [ids[j] for j in cand]
    per: dict[str, dict] = {vid: dict.fromkeys((*_PER_VARIANT, "excess_twin_ci")) for vid in ids}
    if not cand:
        return Answer(
            [],
            excluded,
            0.0,
            [],
            per,
            None,
            None,
            None,
            None,
            verdict_sentence("", benchmark_name, None, 0, 0.0, (None, None, None), None),
        )
    twin_c = twins if twins is None else columns_of(twins, cand)
    nulls = reference_nulls(
        columns_of(r, cand), columns_of(cash, cand), benchmark, twin_c, s
    )
    for i, vid in enumerate(names):
        per[vid].update({key: _clean(nulls[key][i]) for key in _PER_VARIANT if key in nulls})
        if "excess_twin_ci" in nulls:
            per[vid]["excess_twin_ci"] = nulls["excess_twin_ci"][i].tolist()
    best_i = int(np.argmax(sharpe[cand]))
    best = names[best_i]
    n = len(r)
    growth = np.prod(1.0 + r[:, cand[best_i]]) ** (252 / n)
    excess_b = growth - np.prod(1.0 + benchmark) ** (252 / n)
    twin_part = None
    if twin_c is not None:
        excess_t = growth - np.prod(1.0 + twin_c[:, best_i]) ** (252 / n)
        twin_part = (per[best]["dsr_vs_twin"], nulls.get("spa_pvalue_twin"), float(excess_t))
    sentence = verdict_sentence(
        best,
        benchmark_name,
        twin_name.get(best) if isinstance(twin_name, dict) else twin_name,
        len(cand),
        nulls["n_effective"],
        (per[best]["dsr_vs_benchmark"], nulls["spa_pvalue"], float(excess_b)),
        twin_part,
        costs,
    )
    clusters = Clusters(nulls["labels"], nulls["n_clusters"]).members(names)
    return Answer(
        names,
        excluded,
        float(nulls["n_effective"]),
        clusters,
        per,
        nulls["spa_pvalue"],
        nulls.get("spa_pvalue_twin"),
        best,
        per[best]["dsr_absolute"],
        sentence,
    )


def _clean(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
