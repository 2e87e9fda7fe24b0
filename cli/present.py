"""Terminal presentation: rich tables built from the plain dicts the public API returns.

Functions here format and never compute: each takes results and returns a ``rich`` renderable
(or prints to the given console). The command modules (``cli.*_cmds``) call them.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from cli.fit import FittedTable, wrapped

#: Every terminal table fits 80 columns: light borders, one space of padding, text columns fold
#: instead of being cut with an ellipsis, and dates never wrap (tests render each at 80 columns).
WIDTH = 80


def new_table(title: str) -> Table:
    """A table in the house style (see :data:`WIDTH`)."""
    return FittedTable(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), title_justify="left"
    )


def print_note(console: Console, message: str, prefix: str = "note: ") -> None:
    """A note or warning for the user, wrapped at spaces to the console's width."""
    console.print(wrapped(prefix + message, min(console.width, WIDTH)), markup=False,
                  highlight=False, soft_wrap=True)


def print_json(obj: Any) -> None:
    """Machine-readable output on stdout (dates and numpy numbers as plain JSON)."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def pct(v: float | None) -> str:
    """A fraction as a percentage with 2 decimals ('' for missing)."""
    return "" if v is None else f"{v:.2%}"


def num(v: float | None, digits: int = 2) -> str:
    """A ratio with ``digits`` decimals ('' for missing)."""
    return "" if v is None else f"{v:.{digits}f}"


def signed_pct(v: float | None) -> str:
    """A return as ``+1.23%``, or ``missing``."""
    return "missing" if v is None else f"{v:+.2%}"


def table(title: str, rows: list[dict], columns: list[str]) -> Table:
    """A rich table of ``rows`` showing ``columns`` (numbers right-aligned)."""
    t = new_table(title)
    for c in columns:
        numeric = rows and isinstance(rows[0].get(c), int | float)
        is_date = c in ("first", "last", "date", "from_close", "to_close") or c.endswith("date")
        t.add_column(c, justify="right" if numeric else "left", no_wrap=bool(numeric or is_date),
                     overflow="fold")
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    return t


def series_table(symbol: str, frame, rows: int) -> Table:
    """``data show``: the first and last ``rows`` rows of one series."""
    shown = (
        frame if len(frame) <= 2 * rows else frame.iloc[list(range(rows)) + list(range(-rows, 0))]
    )
    t = new_table(
        f"{symbol}: {len(frame)} rows, {frame.index[0].date()} .. {frame.index[-1].date()}"
    )
    t.add_column("date")
    for c in frame.columns:
        t.add_column(c, justify="right")
    for day, r in shown.iterrows():
        t.add_row(
            day.date().isoformat(),
            *(
                f"{v:,.0f}" if c == "volume" else f"{v:,.4f}"
                for c, v in zip(frame.columns, r.to_numpy(), strict=True)
            ),
        )
    return t


def data_line(data: dict) -> str:
    """``IWM SPY QQQ + DGS2; bundled window 2000-05-26 (IWM) .. 2025-09-26``."""
    w = data["window"]
    series = f" + {' '.join(data['series'])}" if data["series"] else ""
    window = (
        f"; bundled window {w['start']} ({w['limited_by']}) .. {w['end']}" if w["start"] else ""
    )
    ended = f" ({w['ended_by']})" if w.get("ended_by") else ""
    first = (f"; first start {w['first_start']} (after its {w['warmup']}-session warm-up)"
             if w.get("first_start") and w.get("warmup") else "")
    return f"{' '.join(data['prices'])}{series}{window}{ended}{first}"


def print_strategies(out: Console, docs: list[dict], one: bool) -> None:
    """``strategies``: one line of defaults per strategy, or one strategy in full."""
    if not one:
        for d in docs:
            out.print(f"[bold]{d['name']}[/bold]  {d['summary']}", highlight=False)
            defaults = ", ".join(f"{p['name']}={p['default']}" for p in d["params"])
            out.print(f"    {defaults}", markup=False, highlight=False)
            out.print(f"    data: {data_line(d['data'])}", markup=False, highlight=False)
        out.print("\nDetails: smallcap strategies NAME", markup=False)
        return
    d = docs[0]
    out.print(f"[bold]{d['name']}[/bold]: {d['summary']}\n")
    out.print(f"data: {data_line(d['data'])}\n", markup=False, highlight=False)
    out.print(d["thesis"] + "\n", markup=False, highlight=False)
    out.print(params_table(d["params"]))


def params_table(params: list[dict]) -> Table:
    """``strategies NAME``: each parameter with its type, default, unit and bounds, and meaning."""
    t = new_table("parameters (--param key=value)")
    t.add_column("name", no_wrap=True)
    t.add_column("default", overflow="fold", max_width=14)
    t.add_column("type, unit, bounds", overflow="fold", max_width=18)
    t.add_column("meaning", overflow="fold", ratio=1)
    for p in params:
        kind = ", ".join(
            x for x in (re.sub(r"\s*\|\s*", " | ", p["type"]), p["unit"], p["bounds"]) if x
        )
        t.add_row(p["name"], str(p["default"]), kind, p["meaning"])
    return t


#: metrics.json keys that are fractions (shown as percentages, as in the backtest table).
PERCENT_METRICS = frozenset(
    {
        "cagr",
        "volatility",
        "max_drawdown",
        "exposure",
        "total_return",
        "excess_cagr",
        "benchmark_cagr",
        "benchmark_max_drawdown",
        "risk_free_rate",
        "win_rate",
        "tracking_error",
        "tracking_error_twin",
        "up_capture",
        "down_capture",
        "twin_cagr",
        "excess_cagr_twin",
        "costs_paid",
    }
)
#: metrics.json keys in the run's currency (two decimals, thousands separators).
MONEY_METRICS = frozenset(
    {"final_equity", "best_trade", "worst_trade", "avg_win", "avg_loss"}
)


def _table_text(key: str, value: dict) -> str:
    """A metrics.json table in words: the twin's weights and the cash rate as the backtest's
    lines say them, any other as ``key value, ...``."""
    if key == "twin_weights":
        from engine.twin import describe_twin

        return describe_twin(value)
    if key == "risk_free":
        from engine.cash_rate import describe

        return describe(value)
    return ", ".join(f"{k} {metric_text(str(k), v)}" for k, v in value.items())


def metric_text(key: str, value: Any) -> str:
    """A metrics.json value as the backtest table shows it: fractions as percentages, money with
    two decimals and thousands separators, other numbers with two decimals, tables in words,
    ``n/a`` for a figure that does not exist (e.g. a breakeven cost never reached)."""
    if value is None:
        return "n/a"
    if isinstance(value, dict):
        return _table_text(key, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,d}" if key in MONEY_METRICS else str(value)
    if key in PERCENT_METRICS or key.endswith(("_cagr", "_drawdown", "_return", "_rate")):
        return pct(value)
    return f"{value:,.2f}" if key in MONEY_METRICS else num(value)


def run_table(result) -> Table:
    """``backtest``: the run's metrics beside the benchmark's."""
    m = result.metrics
    t = new_table(
        f"{result.config.strategy} {m['start']} .. {m['end']}  (benchmark {m['benchmark']})"
    )
    t.add_column("metric")
    t.add_column("strategy", justify="right")
    t.add_column("benchmark", justify="right")
    twin = "twin_cagr" in m
    if twin:
        t.add_column("twin", justify="right")
    rows = [
        ("CAGR", pct(m["cagr"]), pct(m["benchmark_cagr"]), pct(m.get("twin_cagr"))),
        ("volatility", pct(m["volatility"]), "", ""),
        ("Sharpe", num(m["sharpe"]), num(m["benchmark_sharpe"]), num(m.get("twin_sharpe"))),
        ("Sortino", num(m["sortino"]), "", ""),
        (
            "max drawdown",
            pct(m["max_drawdown"]),
            pct(m["benchmark_max_drawdown"]),
            pct(m.get("twin_max_drawdown")),
        ),
        ("Calmar", num(m["calmar"]), "", ""),
        ("exposure", pct(m["exposure"]), "", ""),
        ("turnover / yr", num(m["turnover"]), "", ""),
        ("trades (fills)", str(m["trades"]), "", ""),
        ("final equity", f"{m['final_equity']:,.2f}", "", ""),
    ]
    for row in rows:
        t.add_row(*(row if twin else row[:3]))
    _relative_rows(t, m)
    return t


def _relative_rows(t: Table, m: dict) -> None:
    """``backtest``: closed trips and the risk against the benchmark (and twin) in the run table;
    rows of keys an older run lacks are left out."""
    if m.get("round_trips"):
        t.add_row("win rate (closed trips)", f"{pct(m['win_rate'])} of {m['round_trips']}", "")
    rows = [
        ("beta", "beta", num),
        ("correlation", "correlation", num),
        ("tracking error", "tracking_error", pct),
        ("information ratio", "information_ratio", num),
        ("up capture (months)", "up_capture", pct),
        ("down capture (months)", "down_capture", pct),
    ]
    for label, key, fmt in rows:
        if key in m:
            t.add_row(f"{label} vs bench", fmt(m[key]), "")
    for label, key, fmt in (("tracking error", "tracking_error_twin", pct),
                            ("information ratio", "information_ratio_twin", num)):
        if key in m:
            t.add_row(f"{label} vs twin", fmt(m[key]), "")


def print_run(out: Console, err: Console, result) -> None:
    """``backtest``: table, risk-free source, costs and turnover, warnings and where the files
    are."""
    from engine.metrics import cost_summary

    m = result.metrics
    out.print(run_table(result))
    out.print(
        f"risk-free: {m['risk_free_source']}, mean {m['risk_free_rate']:.2%} a year", markup=False
    )
    out.print(f"costs: {cost_summary(result.config.broker.describe_costs(), m)}", markup=False)
    if "twin_weights" in m:
        from engine.twin import describe_twin

        out.print(
            f"twin: not rotating, holding {describe_twin(m['twin_weights'])} with the same "
            f"schedule, fills and costs; CAGR over the twin {pct(m.get('excess_cagr_twin'))} a "
            f"year, over {m['benchmark']} {pct(m.get('excess_cagr'))}",
            markup=False,
        )
    for w in result.warnings:
        print_note(err, w, "warning: ")
    if result.tearsheet_error:
        err.print(
            f"run saved to {result.run_dir} (tearsheet not written: {result.tearsheet_error})",
            markup=False,
        )
        return
    out.print(f"run saved to {result.run_dir}", markup=False)
    tearsheet = result.run_dir / "tearsheet.html" if result.run_dir else None
    if tearsheet and tearsheet.exists():
        out.print(f"tearsheet: {tearsheet}", markup=False)


def sweep_table(name: str, ranked_rows: list[dict], n_done: int, rank_by: str,
                grid_keys: set[str]) -> Table:
    """``sweep``: the best variants (already ranked; rows of the sweep summary's ``ranked``:
    ``id``, ``strategy``, ``params``, ``metrics``) with the parameters that vary."""
    t = new_table(f"{name}: top {len(ranked_rows)} of {n_done} by {rank_by}")
    t.add_column("id", no_wrap=True)
    t.add_column("variant", overflow="fold", ratio=1)
    for c in (rank_by, "CAGR", "max DD"):
        t.add_column(c, justify="right", no_wrap=True)
    strategies = {r["strategy"] for r in ranked_rows}
    for r in ranked_rows:
        p = ", ".join(f"{k}={v}" for k, v in r["params"].items() if k in grid_keys)
        label = p if len(strategies) == 1 else f"{r['strategy']} {p}"
        value = r["metrics"].get(rank_by)
        t.add_row(r["id"], label, "" if value is None else f"{value:.3f}",
                  pct(r["metrics"]["cagr"]), pct(r["metrics"]["max_drawdown"]))
    return t


def print_sweep(out: Console, summary: dict, name: str, grid_keys: set[str], luck) -> None:
    """``sweep``: the five best variants, the overfitting statistics, the counts and the files.
    ``summary``: the document ``sweep --json`` prints; ``luck``: a ``research.luck.LuckReport``
    or None."""
    done = len(summary["ranked"])
    out.print(sweep_table(name, summary["ranked"][:5], done, summary["rank_by"], grid_keys))
    if luck:
        print_luck(out, luck)
    out.print(f"costs: {' | '.join(summary['costs'])}; sweep.csv has each variant's turnover "
              "(bought plus sold value per year over mean equity, two-sided), cost_bps and "
              "breakeven_bps (approximate)", markup=False)
    ran, failed = done - summary["skipped"], len(summary["failed"])
    out.print(f"{ran} variant{'s' if ran != 1 else ''} run, {summary['skipped']} resumed, "
              f"{failed} failed; table: {summary['sweep_csv']}", markup=False)
    if summary["comparison"]:
        out.print(f"comparison: {summary['comparison']}", markup=False)


def _refresh_hint(data_source: str) -> str:
    """How to bring stale data up to date: a live source, unless the run already used one."""
    from engine.data.sources import is_live, live_sources

    live = live_sources()
    return f"; refresh with --data {live[0]}" if live and not is_live(data_source) else ""


def print_signal(out: Console, doc: dict) -> None:
    """``signal``: the targets, why, when decided, and how old the data is."""
    out.print(f"{doc['strategy']}: hold {doc['targets']} from the next session", markup=False)
    out.print(f"  why: {doc['reason']}", markup=False)
    out.print(f"  decided on {doc['decided_on']}; next decision "
              f"{doc['next_decision'] or 'none (once)'}", markup=False)
    stale = doc["stale_sessions"]
    hint = _refresh_hint(doc["data_source"]) if stale else ""
    out.print(f"  data up to {doc['last_data']} ({doc['data_source']}): {stale} NYSE "
              f"session{'s' if stale != 1 else ''} since ({doc['stale_days']} days)" + hint,
              markup=False)


def print_walkforward(out: Console, doc: dict) -> None:
    """``walkforward``: the folds, out-of-sample against in-sample and hindsight, the files."""
    out.print(folds_table(doc))
    for line in walkforward_lines(doc):
        out.print(line, markup=False)
    out.print(f"out-of-sample run: {doc['oos_run_dir']}", markup=False)
    out.print(f"costs: {doc['costs']}", markup=False)
    if doc.get("page"):
        out.print(f"page: {doc['page']}", markup=False)


def print_luck(out: Console, luck) -> None:
    """The statistics under a ranked table: the verdict, candidates and effective trials, PBO in
    words, the best's DSRs against the benchmark and the twin, SPA, MCS."""
    d = luck.to_dict()
    if d.get("verdict"):
        out.print(d["verdict"], markup=False)
        out.print(_candidates_line(d), markup=False)
    out.print(luck.sentence, markup=False)
    best = d["variants"][d["best"]]
    if d["pbo"] is not None:
        detail = d["pbo_detail"]
        out.print(f"PBO {d['pbo']:.0%} ({detail['splits']:,} splits of {d['pbo_blocks']} blocks); "
                  f"out-of-sample loss in {detail['prob_oos_loss']:.0%} of splits", markup=False)
    out.print(
        f"best by Sharpe {d['best']}: deflated ratio of its excess over {d['benchmark']} (DSR) "
        f"{num(best.get('dsr_vs_benchmark'))}, over its twin {num(best.get('dsr_vs_twin'))}; "
        f"P(Sharpe not above {d['benchmark']}'s) {num(best.get('sharpe_diff_pvalue'))}; absolute "
        f"DSR (Sharpe over cash) {num(best.get('dsr'))}; Sharpe {d['interval']:.0%} interval "
        f"[{best['sharpe_ci'][0]:.2f}, {best['sharpe_ci'][1]:.2f}]",
        markup=False,
    )
    twin = (
        f", vs twins {num(d.get('spa_pvalue_twin'))}"
        if d.get("spa_pvalue_twin") is not None
        else ""
    )
    out.print(
        f"SPA p-value vs {d['benchmark']} {num(d['spa_pvalue'])}{twin}; model confidence set at "
        f"{d['mcs_size']:.0%}: {len(d['mcs'])} of {d.get('n_candidates', d['n_trials'])} "
        f"candidates (window {d['window'][0]} .. {d['window'][1]}, seed {d['seed']})",
        markup=False,
    )


def _candidates_line(d: dict) -> str:
    """``24 variants: 18 candidates, 6 excluded (4 never rotated, 2 benchmarks); 5.3 effective
    trials``."""
    kinds: dict[str, int] = {}
    for reason in d["excluded"].values():
        kind = reason.split(" (")[0].split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    why = ", ".join(f"{n} {k}" for k, n in kinds.items())
    return (
        f"{d['n_trials']} variants: {d['n_candidates']} candidates, {len(d['excluded'])} "
        f"excluded{f' ({why})' if why else ''}; {d['n_effective']:.1f} effective trials "
        "(stats.json: excluded, clusters)"
    )


def timing_table(strategy: str, summary: dict) -> Table:
    """``timing``: min, max, range and sd across offsets beside the tranched result."""
    t = new_table(
        f"{strategy}: {summary['schedule']} rebalance at {len(summary['offsets'])} offsets vs "
        f"{summary['tranches']} tranches"
    )
    for c in ("metric", "min", "max", "range", "sd", "tranched"):
        t.add_column(c, justify="left" if c == "metric" else "right")
    for metric, s in summary["spread"].items():
        f = num if metric == "sharpe" else pct
        t.add_row(metric, f(s["min"]), f(s["max"]), f(s["range"]), f(s["std"]), f(s["tranched"]))
    return t


def folds_table(doc: dict) -> Table:
    """``walkforward``: one row per fold (test window, the chosen variant named by the parameters
    that vary, metric in and out of sample); ``short`` folds say so instead of a ratio."""
    sel = doc["select"]
    f = num if sel in ("sharpe", "sortino", "calmar") else pct
    t = new_table(f"walk-forward {doc['name']}: {len(doc['folds'])} folds, select {sel}, "
                  f"{'anchored' if doc['anchored'] else 'rolling'}")
    for c in ("test window", "chosen", f"IS {sel}", f"OOS {sel}"):
        t.add_column(c, justify="right" if c.startswith(("IS", "OOS")) else "left")
    varying = doc.get("varying") or []
    for fold in doc["folds"]:
        label = (
            ", ".join(f"{k}={fold['params'][k]}" for k in varying if k in fold["params"])
            or fold["chosen"]
        )
        oos = (
            f"short ({fold['test_sessions']})"
            if fold.get("short") and fold["out_of_sample"] is None
            else f(fold["out_of_sample"])
        )
        t.add_row(f"{fold['test_start']}\n{fold['test_end']}", label, f(fold["in_sample"]), oos)
    return t


def walkforward_lines(doc: dict) -> list[str]:
    """``walkforward``: the summary under the folds table, in words."""
    s = doc["summary"]
    lines = [
        f"out of sample: CAGR {pct(s['oos']['cagr']) or 'n/a'}, "
        f"Sharpe {num(s['oos']['sharpe']) or 'n/a'}; "
        f"in-sample CAGR of the chosen {pct(s['mean_in_sample_cagr']) or 'n/a'}",
        s["efficiency_words"],
    ]
    if s["short_folds"]:
        lines.append(f"fold {', '.join(map(str, s['short_folds']))}: fewer than 63 test sessions, "
                     "no annualised figures")
    best = s["best_in_hindsight"]
    named = ", ".join(
        f"{k}={v}" for k, v in (best.get("params") or {}).items() if k in (doc.get("varying") or [])
    )
    lines.append(f"best in hindsight {named or best['id']}: CAGR {pct(best['cagr'])}; "
                 f"benchmark {doc['benchmark']}: CAGR {pct(s['benchmark']['cagr'])}")
    return lines


def compare_table(rows: list[dict], rank_by: str, common: bool = False) -> Table:
    """``compare``: the runs best first by ``rank_by`` (fits 80 columns); the window in the
    title (``common``: the runs' own periods differ, this is the one they share)."""
    windows = sorted({r["window"] for r in rows})
    on = (
        f", {windows[0]}" + (" (their common window)" if common else "")
        if len(windows) == 1
        else ""
    )
    t = new_table(f"{len(rows)} runs ranked by {rank_by}{on}")
    t.add_column("#", justify="right")
    t.add_column("run", overflow="fold")
    for c in ("CAGR", "Sharpe", "max DD"):
        t.add_column(c, justify="right", no_wrap=True)
    for i, r in enumerate(rows, 1):
        m = r["metrics"]
        t.add_row(str(i), r["label"], pct(m["cagr"]), num(m["sharpe"]), pct(m["max_drawdown"]))
    return t


def runs_table(rows: list[dict], root: str) -> Table:
    """``runs``: what is saved (fits 80 columns: the id folds, dates never cut)."""
    t = new_table(f"{len(rows)} item{'s' if len(rows) != 1 else ''} in {root}")
    t.add_column("id", overflow="fold", ratio=3)
    t.add_column("kind", no_wrap=True)
    t.add_column("strategy / window", overflow="fold", ratio=3)
    t.add_column("CAGR", justify="right", no_wrap=True)
    t.add_column("Sharpe", justify="right", no_wrap=True)
    for r in rows:
        t.add_row(
            r["id"],
            r["kind"],
            f"{r['strategy']}\n{r['window']}".strip(),
            pct(r["cagr"]),
            num(r["sharpe"]),
        )
    return t
