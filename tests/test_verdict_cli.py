"""The verdict where a user reads it: the terminal under a sweep, stats.json and the page, one
sentence; the reference rows and the reasons for exclusion beside it."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    from typer.testing import CliRunner

    from cli.app import app

    folder = tmp_path_factory.mktemp("verdict")
    exp = folder / "exp.toml"
    exp.write_text(
        'name = "verdict"\n[defaults]\nstart = 2012-01-03\nend = 2016-12-30\n'
        'broker = { commission_bps = 1.0, slippage_bps = 2.0 }\n'
        '[[variants]]\nstrategy = "buy_and_hold"\ngrid = { symbol = ["SPY", "QQQ"] }\n'
        '[[variants]]\nstrategy = "relative_momentum"\ngrid = { lookback = [21, 63, 126] }\n'
    )
    out = folder / "s"
    result = CliRunner().invoke(app, ["sweep", str(exp), "--executor", "serial", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "stats.json").read_text()), out


def test_one_sentence_in_the_terminal_the_page_and_stats_json(swept):
    text, stats, out = swept
    verdict = stats["verdict"]
    assert verdict.startswith("Net of costs, with 3 candidates") and verdict.count(". ") == 0
    assert (
        "against SPY the best variant" in verdict
        and "against not rotating (holding IWM/QQQ/SPY equally)" in verdict
    )
    assert verdict in " ".join(text.split())  # wrapped by the terminal, the same words
    page = (out / "comparison.html").read_text()
    assert verdict.replace("'", "&#39;") in page or verdict in page
    assert "Reference rows" in page and "no-rotation twin: IWM 33% / QQQ 33% / SPY 33%" in page


def test_stats_json_has_the_keys_of_the_issue(swept):
    _, stats, out = swept
    assert stats["risk_free"] == {"series": "DTB3", "lag": 1}
    assert stats["n_trials"] == 5 and stats["n_candidates"] == 3 and 1 <= stats["n_effective"] <= 3
    assert sorted(sum(stats["clusters"], [])) == sorted(
        v for v in stats["variants"] if v not in stats["excluded"]
    )
    assert sorted(r.split(" (")[0] for r in stats["excluded"].values()) == [
        "benchmark",
        "benchmark",
    ]
    assert stats["twin"]["weights"] == pytest.approx({"IWM": 1 / 3, "SPY": 1 / 3, "QQQ": 1 / 3})
    assert 0 <= stats["spa_pvalue_twin"] <= 1 and "dsr_vs_twin" in stats["definitions"]
    for vid, v in stats["variants"].items():
        keys = ("dsr_vs_benchmark", "dsr_vs_twin", "sharpe_diff_pvalue", "excess_twin_ci")
        if vid in stats["excluded"]:
            assert all(v[k] is None for k in keys)
        else:
            assert (
                0 <= v["dsr_vs_benchmark"] <= 1
                and 0 <= v["dsr_vs_twin"] <= 1
                and 0 <= v["sharpe_diff_pvalue"] <= 1
            )
            low, high = v["excess_twin_ci"]
            assert low < high
    twins = [p for p in (out / "twins").iterdir() if p.is_dir()]
    assert (
        len(twins) == 1
    )  # the three momentum variants share one twin; the benchmarks are their own
