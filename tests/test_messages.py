"""Messages and parameters (issue 23): a rule across parameters says what was given, dict
parameters take a TOML inline table or a JSON object, hidden strategies are never suggested."""

from __future__ import annotations

import json
import tomllib

from conftest import assert_one_line_error

from core.errors import UserError
from strategies import get_strategy

WINDOW = ["--start", "2015-01-02", "--end", "2015-12-31", "--no-report"]


def test_a_rule_across_parameters_names_them_not_none(cli, tmp_path):
    r = cli("backtest", "relative_momentum", "-p", "top_n=5", *WINDOW, "--out", str(tmp_path))
    assert_one_line_error(
        r, "strategy 'relative_momentum': top_n 5 exceeds the 3 assets", "given: top_n=5"
    )
    assert "None" not in r.stderr and "parameter relative_momentum" not in r.stderr


def test_dict_parameters_take_toml_inline_tables_and_json(cli, tmp_path):
    spec = get_strategy("fixed_mix")
    want = {"IWM": 0.6, "SPY": 0.4}
    for text in (
        "IWM:0.6,SPY:0.4",
        "{IWM=0.6,SPY=0.4}",
        "{ iwm = 0.6, SPY = 0.4 }",
        '{"IWM": 0.6, "SPY": 0.4}',
    ):
        assert spec.validate_params({"weights": text}).weights == want, text
    r = cli(
        "backtest",
        "fixed_mix",
        "-p",
        "weights={IWM=0.6,SPY=0.4}",
        *WINDOW,
        "--out",
        str(tmp_path),
        "--json",
    )
    assert r.code == 0, r.stderr
    config = tomllib.loads(
        (tmp_path / json.loads(r.stdout)["run_dir"].split("/")[-1] / "config.toml").read_text()
    )
    assert config["params"]["weights"] == want
    r = cli(
        "sweep",
        "--strategy",
        "fixed_mix",
        "--grid",
        "weights={IWM=1},{SPY=1}",
        "--start",
        "2015-01-02",
        "--end",
        "2015-12-31",
        "--executor",
        "serial",
        "--no-report",
        "--out",
        str(tmp_path / "s"),
        "--json",
    )
    assert r.code == 0, r.stderr
    assert len(list((tmp_path / "s" / "variants").iterdir())) == 2


def test_hidden_strategies_are_never_suggested(cli):
    for typo in ("replay_target", "replay", "replay_targetz"):
        try:
            get_strategy(typo)
        except UserError as exc:
            assert "replay_targets" not in exc.one_line(), exc.one_line()
        r = cli("backtest", typo)
        assert_one_line_error(r, f"unknown strategy '{typo}'")
        assert "replay_targets" not in r.stderr
