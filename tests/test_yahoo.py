"""The Yahoo source against a fake ``yfinance.download`` (no network): the boundary is faked,
everything behind it (normalization, validation, retries, cache, refresh) runs for real.
The fake serves real bundled IWM rows in the shape yfinance returns them."""

from __future__ import annotations

import json
import socket

import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFRateLimitError

from core.errors import DataError, UserError
from engine.data.readers import read_series_csv
from engine.data.yahoo import YahooSource


@pytest.fixture(scope="module")
def iwm_yahoo(bundled) -> pd.DataFrame:
    """Real IWM rows (2024) in yfinance's auto_adjust=False layout."""
    _, raw = read_series_csv(bundled / "etf" / "IWM.csv")
    raw = raw.loc["2024-01-01":"2024-12-31"].drop(columns="_line")
    frame = raw.rename(columns={"open": "Open", "high": "High", "low": "Low", "close": "Close",
                                "adj_close": "Adj Close", "volume": "Volume"})
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    frame.index.name = "Date"
    return frame


class FakeYahoo:
    """Stands in for ``yfinance.download``: serves a frame sliced to [start, end), records calls."""

    def __init__(self, frame, *, tz=None, multiindex=False, errors=(), empty=False):
        self.frame, self.tz, self.multiindex, self.errors, self.empty = (
            frame,
            tz,
            multiindex,
            list(errors),
            empty,
        )
        self.calls: list[dict] = []

    def __call__(self, tickers, start=None, end=None, **kw):
        self.calls.append({"ticker": tickers, "start": start, "end": end, **kw})
        if self.errors:
            raise self.errors.pop(0)
        if self.empty:
            return pd.DataFrame()
        out = self.frame.loc[(self.frame.index >= start) & (self.frame.index < end)].copy()
        if self.tz:
            out.index = out.index.tz_localize("America/New_York").tz_convert(self.tz)
        if self.multiindex:
            out.columns = pd.MultiIndex.from_product(
                [out.columns, [tickers]], names=["Price", "Ticker"]
            )
        return out


@pytest.fixture(autouse=True)
def yahoo_host_is_local(monkeypatch):
    """The connect check (after an empty answer) goes to a local socket that accepts, never to
    Yahoo: "the network is up" without touching it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        monkeypatch.setattr("engine.data.yahoo_net.YAHOO_HOST", "127.0.0.1")
        monkeypatch.setattr("engine.data.yahoo_net.YAHOO_PORT", server.getsockname()[1])
        for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        yield


def _source(tmp_path, monkeypatch, fake, **kw):
    monkeypatch.setattr(yfinance, "download", fake)
    return YahooSource(cache_dir=tmp_path, sleep=lambda s: fake.calls.append({"slept": s}), **kw)


def test_normal_frame_is_cached_with_auto_adjust_false_and_inclusive_end(
    tmp_path, monkeypatch, iwm_yahoo
):
    fake = FakeYahoo(iwm_yahoo)
    src = _source(tmp_path, monkeypatch, fake)
    frame = src.refresh("IWM", start="2024-07-01", end="2024-07-12")
    call = fake.calls[0]
    assert call["auto_adjust"] is False and call["actions"] is True
    assert call["end"] == "2024-07-13"  # yfinance's end is exclusive; ours is inclusive
    assert frame.index[-1] == pd.Timestamp("2024-07-12")
    assert list(frame.columns[:6]) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert src.path("IWM").exists()
    assert frame["adj_close"].equals(
        iwm_yahoo.loc["2024-07-01":"2024-07-12", "Adj Close"]
        .rename("adj_close")
        .rename_axis("date")
    )


@pytest.mark.parametrize("tz", ["America/New_York", "UTC"])
def test_multiindex_columns_and_tz_aware_index_are_flattened_to_session_dates(
    tmp_path, monkeypatch, iwm_yahoo, tz
):
    fake = FakeYahoo(iwm_yahoo, tz=tz, multiindex=True)
    src = _source(tmp_path, monkeypatch, fake)
    frame = src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    assert frame.index.tz is None
    assert frame.index[0] == pd.Timestamp("2024-07-01") and frame.index[-1] == pd.Timestamp(
        "2024-07-31"
    )
    assert not isinstance(frame.columns, pd.MultiIndex)


def test_empty_frame_is_an_error_not_silence(tmp_path, monkeypatch, iwm_yahoo):
    src = _source(tmp_path, monkeypatch, FakeYahoo(iwm_yahoo, empty=True))
    with pytest.raises(DataError, match="no rows for NOPE.*unknown symbol"):
        src.refresh("NOPE", start="2024-07-01", end="2024-07-31")
    assert not src.path("NOPE").exists()


def test_rate_limit_then_success_backs_off_and_retries(tmp_path, monkeypatch, iwm_yahoo):
    fake = FakeYahoo(iwm_yahoo, errors=[YFRateLimitError(), ConnectionError("reset")])
    src = _source(tmp_path, monkeypatch, fake)
    frame = src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    assert len(frame) == 22
    slept = [c["slept"] for c in fake.calls if "slept" in c]
    assert slept == [2.0, 4.0]  # exponential backoff


def test_persistent_failure_is_a_clear_error_and_leaves_the_cache_untouched(
    tmp_path, monkeypatch, iwm_yahoo
):
    fake = FakeYahoo(iwm_yahoo)
    src = _source(tmp_path, monkeypatch, fake)
    src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    before = src.path("IWM").read_bytes()
    fake.errors = [YFRateLimitError()] * 10
    with pytest.raises(UserError, match="no network.*4 attempts"):
        src.refresh("IWM", end="2024-08-30")
    assert src.path("IWM").read_bytes() == before


def test_refresh_fetches_only_the_missing_range(tmp_path, monkeypatch, iwm_yahoo):
    fake = FakeYahoo(iwm_yahoo)
    src = _source(tmp_path, monkeypatch, fake)
    src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    fake.calls.clear()
    frame = src.refresh("IWM", start="2024-07-01", end="2024-08-30")
    assert [(c["start"], c["end"]) for c in fake.calls] == [("2024-07-31", "2024-08-31")]
    assert frame.index[0] == pd.Timestamp("2024-07-01") and frame.index[-1] == pd.Timestamp(
        "2024-08-30"
    )
    assert frame.index.is_unique
    fake.calls.clear()
    src.refresh("IWM", start="2024-06-03", end="2024-08-30")  # earlier start: only the head
    assert [(c["start"], c["end"]) for c in fake.calls] == [("2024-06-03", "2024-07-01")]


def test_a_new_dividend_refetches_the_whole_history(tmp_path, monkeypatch, iwm_yahoo):
    fake = FakeYahoo(iwm_yahoo)
    src = _source(tmp_path, monkeypatch, fake)
    src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    rescaled = iwm_yahoo.copy()
    rescaled["Adj Close"] *= 0.99  # Yahoo re-adjusts all history after a distribution
    fake.frame = rescaled
    fake.calls.clear()
    frame = src.refresh("IWM", start="2024-07-01", end="2024-08-30")
    assert [c["start"] for c in fake.calls] == ["2024-07-31", "2024-07-01"]
    assert frame.loc["2024-07-01", "adj_close"] == pytest.approx(
        rescaled.loc["2024-07-01", "Adj Close"]
    )


def test_crash_during_cache_write_keeps_the_previous_cache(tmp_path, monkeypatch, iwm_yahoo):
    fake = FakeYahoo(iwm_yahoo)
    src = _source(tmp_path, monkeypatch, fake)
    src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    before = src.path("IWM").read_bytes()

    def crash(self, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        src.refresh("IWM", end="2024-08-30")
    assert src.path("IWM").read_bytes() == before
    # no temp left behind
    assert [p.name for p in src.path("IWM").parent.iterdir()] == ["IWM.parquet"]


def test_offline_uses_the_cache_only(tmp_path, monkeypatch, iwm_yahoo):
    fake = FakeYahoo(iwm_yahoo, errors=[AssertionError("network used")] * 5)
    src = _source(tmp_path, monkeypatch, fake, offline=True)
    with pytest.raises(UserError, match="no cached Yahoo data for IWM"):
        src.load("IWM")
    assert fake.calls == []


def test_fetch_command_with_a_fake_network(tmp_path, monkeypatch, iwm_yahoo, cli):
    monkeypatch.setattr(yfinance, "download", FakeYahoo(iwm_yahoo))
    result = cli(
        "data", "fetch", "IWM", "--start", "2024-01-02", "--cache-dir", str(tmp_path), "--json"
    )
    assert result.code == 0, result.stderr
    assert (tmp_path / "yahoo" / "IWM.parquet").exists()
    monkeypatch.setattr(
        yfinance, "download", FakeYahoo(iwm_yahoo, errors=[ConnectionError("down")] * 9)
    )
    monkeypatch.setattr("engine.data.yahoo.BASE_DELAY_SECONDS", 0.0)
    result = cli("data", "show", "IWM", "--data", "yahoo", "--cache-dir", str(tmp_path))
    assert result.code == 2 and "no network" in result.stderr and "4 attempts" in result.stderr
    result = cli(
        "data",
        "show",
        "IWM",
        "--data",
        "yahoo",
        "--offline",
        "--cache-dir",
        str(tmp_path),
        "--json",
    )
    assert result.code == 0 and '"2024-12-31"' in result.stdout


def test_a_second_fetch_of_a_symbol_listed_after_1990_works(tmp_path, monkeypatch, iwm_yahoo, cli):
    """IWM starts in 2000: the first fetch asks from 1990 and gets what exists; the second only
    brings the cache up to date and never asks again for the years before it (which are empty)."""
    fake = FakeYahoo(iwm_yahoo)
    monkeypatch.setattr(yfinance, "download", fake)
    for _ in range(2):
        r = cli("data", "fetch", "IWM", "--cache-dir", str(tmp_path), "--json")
        assert r.code == 0, r.stderr
    assert all(c["start"] != "1990-01-01" for c in fake.calls[1:])
    src = _source(tmp_path, monkeypatch, fake)
    fake.calls.clear()
    # an earlier start, but nothing there
    frame = src.refresh("IWM", start="1995-01-03", end="2024-12-31")
    assert frame.index[0] == pd.Timestamp("2024-01-02") and len(fake.calls) == 1


def test_a_damaged_cache_is_reported_offline_and_refetched_online(
    tmp_path, monkeypatch, iwm_yahoo, cli
):
    fake = FakeYahoo(iwm_yahoo)
    monkeypatch.setattr(yfinance, "download", fake)
    assert cli("data", "fetch", "IWM", "--cache-dir", str(tmp_path)).code == 0
    cache = tmp_path / "yahoo" / "IWM.parquet"
    cache.write_bytes(b"PAR1 not really a parquet file")
    r = cli("data", "show", "IWM", "--data", "yahoo", "--offline", "--cache-dir", str(tmp_path))
    assert r.code == 2 and "is damaged" in r.stderr and "Traceback" not in r.stderr
    r = cli("data", "fetch", "IWM", "--cache-dir", str(tmp_path), "--json")
    assert r.code == 0, r.stderr
    assert pd.read_parquet(cache).index[-1] == pd.Timestamp("2024-12-31")


def test_a_kept_source_reads_a_changed_cache_file_again(tmp_path, monkeypatch, iwm_yahoo):
    """A sweep worker keeps one Yahoo source per process: what it serves is keyed by the cache
    file's content, so a `data fetch` (or an edit) between two sweeps is seen."""
    src = YahooSource(cache_dir=tmp_path, offline=True)
    online = _source(tmp_path, monkeypatch, FakeYahoo(iwm_yahoo), offline=False)
    online.refresh("IWM", start="2024-07-01", end="2024-07-31")
    first = src.load("IWM")
    assert src.load("IWM") is first  # unchanged file: served from memory
    online.refresh("IWM", end="2024-08-30")  # the cache grows by a month
    second = src.load("IWM")
    assert second.frame.index[-1] == pd.Timestamp("2024-08-30") > first.frame.index[-1]
    assert second.sha256 != first.sha256


def test_offline_the_source_lists_only_what_is_cached(tmp_path, monkeypatch, iwm_yahoo, cli):
    """`smallcap data list --data yahoo --offline` (the README's) lists the cache and the FRED
    series; it used to try every bundled symbol and stop at the first one not cached."""
    monkeypatch.setattr(yfinance, "download", FakeYahoo(iwm_yahoo))
    assert cli("data", "fetch", "IWM", "--cache-dir", str(tmp_path)).code == 0
    r = cli("data", "list", "--data", "yahoo", "--offline", "--cache-dir", str(tmp_path), "--json")
    assert r.code == 0, r.stderr
    kinds = {row["symbol"]: row["kind"] for row in json.loads(r.stdout)}
    assert kinds.pop("IWM") == "price" and set(kinds.values()) == {"macro"}
    assert {"DGS2", "VIXCLS", "DTB3"} <= set(kinds)
    online = YahooSource(cache_dir=tmp_path)
    assert {"SPY", "QQQ", "RUT"} <= set(online.available())  # online: fetched when used
