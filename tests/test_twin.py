"""The no-rotation twin: the static portfolio a strategy rotates around, run as an ordinary
fixed_mix with the same schedule, fills and costs; its returns beside the strategy's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.config import RunConfig
from engine.results import BacktestResult
from engine.runner import run_backtest
from engine.sweep import expand, grid_experiment, run_sweep
from engine.twin import twin_config, twin_weights

WINDOW = {"start": "2015-01-02", "end": "2016-12-30"}
COSTS = {"commission_bps": 5.0, "slippage_bps": 5.0}


def test_the_twin_is_the_same_fixed_mix_run_directly():
    config = RunConfig(strategy="relative_momentum", broker=COSTS, **WINDOW)
    result = run_backtest(config)
    direct = run_backtest(
        RunConfig(
            strategy="fixed_mix",
            broker=COSTS,
            params={
                "weights": {"IWM": 1 / 3, "SPY": 1 / 3, "QQQ": 1 / 3},
                "rebalance": "monthly",
                "tolerance": 0.02,
            },
            **WINDOW,
        ),
        twin=False,
    )
    assert result.returns["twin"].to_numpy() == pytest.approx(
        direct.returns["strategy"].to_numpy(), abs=0, rel=0
    )
    m = result.metrics
    assert m["twin_cagr"] == pytest.approx(direct.metrics["cagr"], rel=1e-12)
    assert m["twin_sharpe"] == pytest.approx(direct.metrics["sharpe"], rel=1e-12)
    assert m["excess_cagr_twin"] == pytest.approx(m["cagr"] - direct.metrics["cagr"], rel=1e-12)
    assert direct.orders["commission"].sum() > 0  # the twin pays the same costs


@pytest.mark.parametrize(
    ("strategy", "params", "weights"),
    [
        ("relative_momentum", {"assets": "IWM,QQQ", "cash_asset": "SHY"}, {"IWM": 0.5, "QQQ": 0.5}),
        ("breadth_streak", {}, {"SPY": 1.0}),
        ("breadth_rotation", {}, {"IWM": 0.5, "SPY": 0.5}),
        ("rate_regime", {"confirm": True}, {"IWM": 0.5, "SPY": 0.5}),
        ("buy_and_hold", {"symbol": "QQQ"}, {"QQQ": 1.0}),
        ("fixed_mix", {"weights": "IWM:0.6,SPY:0.4"}, {"IWM": 0.6, "SPY": 0.4}),
    ],
)
def test_each_strategy_declares_what_it_rotates_around(strategy, params, weights):
    config = RunConfig(strategy=strategy, params=params, **WINDOW)
    assert twin_weights(config) == pytest.approx(weights)
    tc = twin_config(config)
    assert tc.strategy == "fixed_mix" and tc.params.rebalance == config.params.rebalance
    assert tc.broker == config.broker and (tc.start, tc.end) == (config.start, config.end)


def test_holding_one_asset_is_not_rotation_against_its_twin():
    """Buy-and-hold QQQ beats SPY on this window, but it is exactly its own twin."""
    result = run_backtest(RunConfig(strategy="buy_and_hold", params={"symbol": "QQQ"}, **WINDOW))
    assert result.metrics["excess_cagr"] > 0
    assert np.array_equal(result.returns["twin"].to_numpy(), result.returns["strategy"].to_numpy())
    assert result.metrics["excess_cagr_twin"] == 0.0


@pytest.mark.parametrize("strategy", ["fixed_mix", "buy_and_hold"])
def test_a_benchmark_is_its_own_twin_without_a_second_run(monkeypatch, strategy):
    import engine.runner as runner

    monkeypatch.setattr(runner, "twin_returns", lambda *a, **k: pytest.fail("ran a twin"))
    result = run_backtest(RunConfig(strategy=strategy, **WINDOW))
    assert result.returns["twin"].equals(result.returns["strategy"])


def test_twin_override_and_its_columns_on_disk(tmp_path):
    config = RunConfig(strategy="relative_momentum", twin={"iwm": 0.7, "SPY": 0.3}, **WINDOW)
    folder = run_backtest(config).save(tmp_path)
    assert (folder / "returns.csv").read_text().splitlines()[0] == "date,strategy,benchmark,twin"
    loaded = BacktestResult.load(folder)
    assert loaded.metrics["twin_weights"] == {"IWM": 0.7, "SPY": 0.3}
    assert loaded.config.twin == {"IWM": 0.7, "SPY": 0.3} and "twin" in loaded.returns
    # a run saved before twins existed still loads, without the column
    old = loaded.returns[["strategy", "benchmark"]]
    old.rename_axis("date").to_csv(folder / "returns.csv", date_format="%Y-%m-%d")
    assert "twin" not in BacktestResult.load(folder).returns


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("IWM=0.7,SPY=0.5", "sum to at most 1"),
        ("IWM", "is not SYMBOL=WEIGHT"),
        ("IWM=x", "is not SYMBOL=WEIGHT"),
        ("NOPE=1", "unknown symbol 'NOPE'"),
    ],
)
def test_bad_twin_option_is_one_line_and_exit_2(cli, tmp_path, option, message):
    r = cli(
        "backtest", "relative_momentum", "--twin", option, "--no-report", "--out", str(tmp_path)
    )
    assert r.code == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not any(tmp_path.iterdir())


def test_the_cli_shows_the_twin(cli, tmp_path):
    window = ("--start", "2015-01-02", "--end", "2016-12-30", "--no-report", "--out", str(tmp_path))
    m = json.loads(cli("backtest", "breadth_streak", *window, "--json").stdout)["metrics"]
    assert m["twin_weights"] == {"SPY": 1.0}
    assert m["excess_cagr_twin"] == pytest.approx(0.0, abs=1e-12)
    text = cli("backtest", "relative_momentum", *window).stdout
    assert "twin: not rotating, holding IWM/SPY/QQQ equally" in text.replace("\n", " ")


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_a_sweep_runs_each_distinct_twin_once_and_saves_it(tmp_path, executor):
    exp = grid_experiment(
        "relative_momentum", {"lookback": [21, 63, 126]}, defaults={**WINDOW, "broker": COSTS}
    )
    variants = expand(exp)
    result = run_sweep(variants, tmp_path / "s", executor=executor, workers=2)
    assert all(r["status"] == "done" for r in result.rows)
    twins = [p for p in (tmp_path / "s" / "twins").iterdir() if p.is_dir()]
    assert len(twins) == 1  # three variants, one twin: run once, whichever process asked first
    saved = BacktestResult.load(twins[0])
    assert saved.config.strategy == "fixed_mix" and saved.config.broker.commission_bps == 5.0
    for v in variants:
        run = BacktestResult.load(tmp_path / "s" / "variants" / v.id)
        assert run.returns["twin"].equals(saved.returns["strategy"].rename("twin"))
    assert (
        twins[0].name == twin_config(variants[0].config).short_hash()
    )  # named by the twin's own config
