"""Terminal tables of ``smallcap regimes`` and ``smallcap attribution`` (80 columns): they format
the dicts of ``research.regimes`` and ``research.run_attribution`` and never compute."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cli.present import new_table

#: Short names of the built-in families for the 80-column tables (a user's file keeps its name).
SHORT = {
    "fed_policy": "fed",
    "rate_expectations": "rates",
    "volatility": "vix",
    "leadership": "lead",
}


def _p(v: float | None, digits: int = 1) -> str:
    return "" if v is None else f"{v * 100:.{digits}f}%"


def _n(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}"


def _band(pair: list[float] | None, fmt=_p) -> str:
    return "" if not pair else f"[{fmt(pair[0])}, {fmt(pair[1])}]"


def _rows(report: dict) -> list[tuple[str, dict]]:
    return [
        (f"{SHORT.get(family, family)} {label}", s)
        for family, labels in report["families"].items()
        for label, s in labels.items()
    ]


def print_regimes(console: Console, run_dir: str, report: dict) -> None:
    """Two tables for one run (returns, then risk) and the rules in words."""
    twin = report["twin"]
    start, end = report["window"]
    console.print(f"[bold]{Path(run_dir).name}[/bold]")
    ret = new_table(f"returns by regime, {start} .. {end} (annualised)")
    for col in [
        "regime",
        "spells",
        "CAGR",
        "bench",
        *(["twin"] if twin else []),
        "excess",
        "90% interval",
    ]:
        ret.add_column(col, justify="left" if col == "regime" else "right", no_wrap=True)
    risk = new_table("risk by regime (Sharpe over the 3-month T-bill)")
    for col in [
        "regime",
        "share",
        "sessions",
        "Sharpe",
        "bench",
        *(["twin"] if twin else []),
        "hit rate",
        "max DD",
    ]:
        risk.add_column(col, justify="left" if col == "regime" else "right", no_wrap=True)
    for regime, s in _rows(report):
        ret.add_row(
            regime,
            str(s["spells"]),
            _p(s["cagr"]),
            _p(s["benchmark_cagr"]),
            *([_p(s.get("twin_cagr"))] if twin else []),
            _p(s["excess_cagr"]),
            _band(s["excess_ci"]),
        )
        risk.add_row(
            regime,
            _p(s["share"]),
            str(s["sessions"]),
            _n(s["sharpe"]),
            _n(s["benchmark_sharpe"]),
            *([_n(s.get("twin_sharpe"))] if twin else []),
            _p(s["hit_rate"]),
            _p(s["max_drawdown"]),
        )
    console.print(ret)
    console.print(risk)
    console.print(
        "spells: separate stretches of a regime; a regime met in 2 spells is 2 "
        "observations. Excess: CAGR minus the benchmark's, 90% stationary-bootstrap "
        "interval. Hit rate: sessions it beat the benchmark (ties left out)."
        + ("" if twin else " No twin saved with this run: twin figures omitted.")
    )
    for family, rule in report["rules"].items():
        console.print(f"{SHORT.get(family, family)}: {rule}")


def print_attribution(console: Console, run_dir: str, doc: dict) -> None:
    """The factor table and the style table of one run."""
    name = Path(run_dir).name
    window = f"{doc['window'][0]} .. {doc['window'][1]}" if doc["window"] else "no factor data"
    console.print(f"[bold]{name}[/bold]")
    table = new_table(f"Carhart regression, {window}")
    for col in ("term", "value", "t", "95% interval"):
        table.add_column(col, justify="left" if col == "term" else "right", no_wrap=True)
    if doc["alpha"] is None:
        console.print(f"too few sessions for a regression ({doc['sessions']})")
    else:
        table.add_row(
            "alpha (a year)",
            _p(doc["alpha"], 2),
            _n(doc["alpha_t"]),
            _band(doc["alpha_ci"], lambda v: _p(v, 2)),
        )
        for factor, fit in doc["loadings"].items():
            table.add_row(factor, _n(fit["value"]), _n(fit["t"]), _band(fit["ci"], _n))
        table.add_row(f"R² ({doc['sessions']} sessions)", _n(doc["r2"]), "", "")
        console.print(table)
        console.print(
            f"excess over the Fama-French rf; Newey-West errors, {doc['hac_lags']} lags; "
            "alpha = daily intercept x 252"
        )
    style = doc["style"]
    if style is None:
        console.print(f"style analysis not available: {doc.get('style_error')}")
        return
    held = new_table(f"style weights (Sharpe 1992), R² {style['r2']:.2f}")
    for col in ("asset", "style weight", "real average holding"):
        held.add_column(col, justify="left" if col == "asset" else "right", no_wrap=True)
    for asset, w in style["weights"].items():
        held.add_row(asset, _p(w), _p(style["holdings"].get(asset, 0.0)))
    console.print(held)
