"""``smallcap regimes`` and ``smallcap attribution`` as a user runs them: the JSON shapes the
issue fixes, 80-column tables, and one-line errors for what a user can get wrong."""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error

from engine.config import RunConfig
from engine.runner import run_backtest


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("regime-cli")
    window = {"start": "2018-01-02", "end": "2020-12-31"}
    return [
        str(run_backtest(RunConfig(strategy=name, params=params, **window)).save(root))
        for name, params in (("rate_regime", {}), ("buy_and_hold", {"symbol": "IWM"}))
    ]


def _fits(stdout: str) -> None:
    assert max(len(line) for line in stdout.splitlines()) <= 80
    assert "…" not in stdout


def test_regimes_json_has_the_issue_shape_and_tables_fit(cli, run_dirs):
    r = cli("regimes", run_dirs[0], "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"fed_policy", "rate_expectations", "volatility", "leadership"}
    easing = doc["fed_policy"]["easing"]
    for key in (
        "sessions",
        "spells",
        "cagr",
        "benchmark_cagr",
        "excess_ci",
        "sharpe",
        "hit_rate",
        "max_drawdown",
        "share",
    ):
        assert key in easing
    assert easing["twin_cagr"] is not None and "twin_excess_cagr" in easing
    assert sum(s["sessions"] for s in doc["fed_policy"].values()) == 756
    both = json.loads(cli("regimes", *run_dirs, "--json").stdout)
    assert set(both) == set(run_dirs)
    r = cli("regimes", *run_dirs)
    assert r.code == 0 and "2 spells is 2" in r.stdout
    _fits(r.stdout)


def test_attribution_json_has_the_issue_shape_and_tables_fit(cli, run_dirs):
    r = cli("attribution", run_dirs[1], "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"alpha", "alpha_t", "alpha_ci", "loadings", "r2", "sessions", "style"} <= set(doc)
    assert set(doc["loadings"]) == {"mkt_rf", "smb", "hml", "mom"}
    assert set(doc["style"]["weights"]) == {"IWM", "SPY", "cash"}
    assert sum(doc["style"]["weights"].values()) == pytest.approx(1.0)
    r = cli("attribution", *run_dirs)
    assert r.code == 0
    _fits(r.stdout)


def test_user_regimes_file(cli, run_dirs, tmp_path):
    path = tmp_path / "rotation.csv"
    path.write_text("date,label\n2018-01-02,before\n2019-07-31,after\n")
    doc = json.loads(cli("regimes", run_dirs[0], "--regimes", str(path), "--json").stdout)
    assert set(doc["rotation"]) == {"before", "after"}
    assert doc["rotation"]["after"]["spells"] == 1


def test_mistakes_are_one_line_errors(cli, run_dirs, tmp_path):
    assert_one_line_error(cli("regimes", str(tmp_path)), "not a complete run directory")
    assert_one_line_error(cli("attribution", str(tmp_path / "nothing")), "not a complete run")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,what\n2019-01-02,x\n")
    assert_one_line_error(cli("regimes", run_dirs[0], "--regimes", str(bad)), "bad.csv")
    assert_one_line_error(
        cli("regimes", run_dirs[0], "--regimes", str(tmp_path / "no.csv")), "no.csv"
    )
    assert cli("regimes", run_dirs[0], "--hold-sessions", "-1").code == 2


def test_no_token_is_broken_at_80_columns(cli, monkeypatch, run_dirs):
    """The tables and the rules in words keep every token whole at 80 columns (issue 23)."""
    from test_broken_tokens import _check_tokens

    _check_tokens(cli, monkeypatch, ["regimes", *run_dirs])
    _check_tokens(cli, monkeypatch, ["attribution", *run_dirs])


def test_a_run_saved_without_a_twin_omits_the_twin_figures(cli, run_dirs, tmp_path):
    """Runs saved before the no-rotation twin existed: twin figures left out, not invented."""
    import shutil

    import pandas as pd

    old = tmp_path / "old-run"
    shutil.copytree(run_dirs[0], old)
    returns = pd.read_csv(old / "returns.csv")
    returns[["date", "strategy", "benchmark"]].to_csv(old / "returns.csv", index=False)
    doc = json.loads(cli("regimes", str(old), "--json").stdout)
    assert all("twin_cagr" not in s for labels in doc.values() for s in labels.values())
    r = cli("regimes", str(old))
    assert r.code == 0 and "twin figures omitted" in r.stdout
