"""`smallcap --help` must stay quick: no pandas, backtrader or quantstats at start-up."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_does_not_load_heavy_libraries():
    code = (
        "import sys, cli.app; heavy = [m for m in ('pandas', 'numpy', 'backtrader', 'quantstats', "
        "'matplotlib', 'yfinance') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_and_version_run_as_a_process():
    out = subprocess.run(
        [sys.executable, "-m", "cli.app", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "data" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "cli.app", "data", "show", "NOPE"], capture_output=True, text=True
    )
    assert (
        out.returncode == 2
        and "Traceback" not in out.stderr
        and "unknown symbol 'NOPE'" in out.stderr
    )


def _strategies_process(cache, *args):
    import os

    env = {**os.environ, "SMALLCAP_CACHE_DIR": str(cache)}
    code = (
        "import sys; from cli.app import _run; sys.argv = ['smallcap', 'strategies', "
        "*sys.argv[1:]]; code = _run(None); print('LOADED:' + ','.join(m for m in ('pandas', "
        "'backtrader') if m in sys.modules), file=sys.stderr)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
    )


def test_strategies_listing_is_cached_and_then_needs_no_engine(tmp_path):
    """The first listing imports the strategies (backtrader, pandas) and saves the documents; the
    next prints the same from the cache without them."""
    for args in ((), ("--json",), ("relative_momentum",)):
        cold = _strategies_process(tmp_path / "cache", *args)
        warm = _strategies_process(tmp_path / "cache", *args)
        assert cold.stdout == warm.stdout and "relative_momentum" in warm.stdout
        assert warm.stderr.strip().endswith("LOADED:"), warm.stderr
    assert len(list((tmp_path / "cache" / "strategies").glob("*.json"))) == 1


def test_the_listing_fingerprint_follows_installed_packages(tmp_path, monkeypatch):
    import os

    from cli.listing import fingerprint

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    before = fingerprint()
    assert fingerprint() == before
    (site / "a_plugin-1.0.dist-info").mkdir()  # a package installed there
    os.utime(site, ns=(os.stat(site).st_atime_ns, os.stat(site).st_mtime_ns + 10**9))
    assert fingerprint() != before


def test_an_unknown_strategy_name_still_gets_the_did_you_mean(cli):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("strategies", "relative_momentun"), "relative_momentum")


def test_a_command_is_parsed_by_an_app_of_that_command_alone_with_the_same_help_and_errors():
    """`_run` hands typer only the named command (building all of them slows every start);
    its help, and its usage errors, must read exactly as through the whole app."""
    from typer.testing import CliRunner

    from cli.app import app, app_for

    names = [info.name for info in app.registered_commands]
    assert {"backtest", "sweep", "compare", "strategies"} <= set(names)
    assert app_for(["data", "show"]) is app and app_for([]) is app and app_for(["--help"]) is app
    runner = CliRunner()
    for name in names:
        one = app_for([name, "--help"])
        assert [info.name for info in one.registered_commands] == [name]
        for args in ([name, "--help"], [name, "--no-such-option"]):
            whole, alone = runner.invoke(app, args), runner.invoke(one, args)
            assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
            assert name in whole.output
