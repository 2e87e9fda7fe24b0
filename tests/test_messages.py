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


def _hint_names(stderr: str) -> list[str]:
    return stderr.split("valid: ")[-1].rstrip(")\n ").split(", ")


def test_parameter_hints_name_only_what_the_strategy_shows(cli, tmp_path):
    """A mistyped parameter's hint lists exactly the parameters `smallcap strategies NAME` shows,
    whichever way it was given (-p, --grid, an experiment file, timing, costs): never a hidden
    strategy's (replay_targets' `targets`, `label`) nor anything internal."""
    from strategies import all_strategies

    def shown(name: str) -> list[str]:
        doc = json.loads(cli("strategies", name, "--json").stdout)
        return sorted(p["name"] for p in doc["params"])

    hidden = set(get_strategy("replay_targets").cls.Params.model_fields) - {
        n for s in all_strategies() for n in s.cls.Params.model_fields}
    assert hidden == {"targets", "label"}
    for spec in all_strategies():
        r = cli("backtest", spec.name, "-p", "target=1", *WINDOW, "--out", str(tmp_path))
        assert_one_line_error(r, f"strategy '{spec.name}' has no parameter 'target'")
        assert _hint_names(r.stderr) == shown(spec.name), (spec.name, r.stderr)
    experiment = tmp_path / "typo.toml"
    experiment.write_text('name = "typo"\n[[variants]]\nstrategy = "fixed_mix"\n'
                          'params = { labl = "x" }\n')
    for args in (("sweep", "--strategy", "fixed_mix", "--grid", "labl=a,b",
                  "--out", str(tmp_path / "s")),
                 ("sweep", str(experiment), "--out", str(tmp_path / "e")),
                 ("timing", "fixed_mix", "-p", "labl=x", "--out", str(tmp_path / "t")),
                 ("costs", "fixed_mix", "-p", "labl=x", "--out", str(tmp_path / "c"))):
        r = cli(*args)
        assert_one_line_error(r, "strategy 'fixed_mix' has no parameter 'labl'")
        assert _hint_names(r.stderr) == shown("fixed_mix") and "'label'" not in r.stderr, args
