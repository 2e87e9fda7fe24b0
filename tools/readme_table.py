"""The README's strategy table (``python -m tools.readme_table``): every variant of
``examples/demo.toml`` run on the bundled data, generated, never typed by hand."""

from __future__ import annotations

from pathlib import Path

from engine.runner import run_backtest
from engine.sweep import expand, load_experiment
from reports._render import number

COLUMNS = [
    ("CAGR", "cagr", "pct"),
    ("volatility", "volatility", "pct"),
    ("Sharpe", "sharpe", "num"),
    ("max drawdown", "max_drawdown", "pct"),
    ("turnover", "turnover", "num"),
    ("trades", "trades", "int"),
]


def strategy_table(rows: list[tuple[str, dict]]) -> str:
    """``rows`` of (label, metrics dict) -> a markdown table with CAGR, volatility, Sharpe, max DD,
    turnover and trades."""
    head = "| strategy (defaults) | " + " | ".join(c for c, _, _ in COLUMNS) + " |"
    rule = "|---|" + "---:|" * len(COLUMNS)
    body = [
        f"| {label} | " + " | ".join(number(m.get(k), f) for _, k, f in COLUMNS) + " |"
        for label, m in rows
    ]
    return "\n".join([head, rule, *body])


def demo_table() -> str:
    """The README table: every variant of ``examples/demo.toml`` run serially on the bundled
    data."""
    exp = load_experiment(Path(__file__).resolve().parent.parent / "examples" / "demo.toml")
    rows = []
    variants = expand(exp)
    for v in variants:
        label = v.config.strategy + (
            f" {v.config.params.symbol}" if v.config.strategy == "buy_and_hold" else ""
        )
        rows.append((label, run_backtest(v.config).metrics))
    period = f"{rows[0][1]['start']} .. {rows[0][1]['end']}"
    costs = variants[0].config.broker.describe_costs()
    return (f"Bundled data, {period}, $100,000, whole shares, next-open fills, costs: {costs} (the "
            "defaults); turnover: bought plus sold value per year (two-sided), as a multiple of "
            "mean equity:\n\n"
            + strategy_table(rows))


def strategy_list() -> str:
    """The README's list of strategies: every listed strategy in the registry with its summary."""
    from strategies import all_strategies

    rows = [f"| `{s.name}` | {s.summary.replace('|', '/')} |" for s in all_strategies()]
    return "\n".join(["| name | what it holds |", "|---|---|", *rows])


if __name__ == "__main__":
    import sys

    print(strategy_list() if "--strategies" in sys.argv else demo_table())
