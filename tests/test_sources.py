"""The data-source grammar (``bundled | yahoo | csv:DIR``) has one owner, and a new source is one
module plus one line in ``engine.data.sources.SOURCES``."""

from __future__ import annotations

import sys

import pytest

from core.errors import UserError
from engine.config import make_run_config
from engine.data.sources import (
    SOURCES,
    SourceEntry,
    SourceSpecError,
    open_source,
    parse_source_spec,
)


@pytest.mark.parametrize("spec, parsed", [
    ("bundled", ("bundled", "")), ("", ("bundled", "")), (None, ("bundled", "")),
    (" yahoo ", ("yahoo", "")), ("csv:./my prices", ("csv", "./my prices")),
    ("CSV:/data/x", ("csv", "/data/x")), ("csv:C:\\prices", ("csv", "C:\\prices"))])
def test_the_grammar(spec, parsed):
    assert parse_source_spec(spec) == parsed


@pytest.mark.parametrize("spec, cause", [
    ("yahooo", "unknown data source 'yahooo'"), ("csv:", "csv: names no folder"),
    ("csv: ", "csv: names no folder"), ("yahoo:x", "data source 'yahoo' takes nothing")])
def test_config_and_open_source_say_the_same(spec, cause):
    with pytest.raises(SourceSpecError, match=cause):
        parse_source_spec(spec)
    with pytest.raises(UserError, match=cause):
        open_source(spec)
    with pytest.raises(UserError, match=cause):
        make_run_config(strategy="buy_and_hold", data={"source": spec})


def test_bad_sources_on_the_command_line_are_one_line(cli):
    from conftest import assert_one_line_error

    assert_one_line_error(cli("data", "list", "--data", "yahooo"), "use bundled, yahoo or csv:DIR")
    assert_one_line_error(cli("backtest", "buy_and_hold", "--data", "yahooo", "--no-report"),
                          "unknown data source 'yahooo'")


_PLUGIN = '''
from engine.data.files import bundled_source
from engine.data.sources import Fetched, Source


class MirrorSource(Source):
    """The bundled SPY, under another name."""

    def __init__(self, argument):
        self.name = f"mirror:{argument}"
        self._bundled = bundled_source()

    def available(self):
        return {"SPY": "price"}

    def load(self, symbol):
        if symbol.upper() != "SPY":
            raise self._unknown(symbol)
        return self._bundled.load("SPY")

    def fetch(self, symbol, start=None):
        frame = self.load(symbol).frame
        return Fetched("SPY", str(frame.index[0].date()), "2099-01-01", len(frame), "mirrored")


def open_mirror(argument, options):
    return MirrorSource(argument)
'''


def test_a_new_source_is_one_module_and_one_line(tmp_path, monkeypatch, cli):
    (tmp_path / "mirror_source.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    # the one line
    monkeypatch.setitem(SOURCES, "mirror", SourceEntry("mirror_source:open_mirror", "NAME"))
    try:
        assert make_run_config(strategy="buy_and_hold", data={"source": "mirror:x"}).data.source \
            == "mirror:x"
        assert open_source("mirror:x").name == "mirror:x"
        listing = cli("data", "list", "--data", "mirror:x", "--json")
        assert listing.code == 0 and '"SPY"' in listing.stdout
        r = cli("backtest", "buy_and_hold", "--data", "mirror:x", "--start", "2024-01-02",
                "--end", "2024-03-28", "--no-report", "--out", str(tmp_path / "runs"), "--json")
        assert r.code == 0, r.stderr
        from conftest import assert_one_line_error

        assert_one_line_error(cli("data", "list", "--data", "mirror"), "mirror: names no NAME")
    finally:
        sys.modules.pop("mirror_source", None)


def test_a_live_source_is_fetched_by_registration_not_by_name(tmp_path, monkeypatch, cli):
    """A source marked live is what ``data fetch`` downloads with and what a stale signal points
    to; with Yahoo unregistered nothing still asks for it by name."""
    from conftest import assert_one_line_error

    from cli.present import _refresh_hint

    (tmp_path / "mirror_source.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(SOURCES, "mirror", SourceEntry("mirror_source:open_mirror", live=True))
    try:
        assert _refresh_hint("bundled") == "; refresh with --data yahoo"
        assert _refresh_hint("mirror") == "" and _refresh_hint("yahoo") == ""
        r = cli("data", "fetch", "SPY", "--data", "mirror", "--json")
        assert r.code == 0, r.stderr
        assert '"last": "2099-01-01"' in r.stdout and '"path": "mirrored"' in r.stdout
        assert_one_line_error(cli("data", "fetch", "SPY", "--data", "bundled"),
                              "data source bundled downloads nothing", "yahoo, mirror")
        monkeypatch.delitem(SOURCES, "yahoo")
        assert _refresh_hint("bundled") == "; refresh with --data mirror"
        r = cli("data", "fetch", "SPY", "--json")  # the first live source by default
        assert r.code == 0 and '"path": "mirrored"' in r.stdout, r.stderr
    finally:
        sys.modules.pop("mirror_source", None)
