"""The real yfinance without a network: name resolution blocked (a network namespace with no
interface), and behind a proxy that accepts connections and never answers. Nothing of yfinance is
faked; only our own deadlines are shortened. And an empty answer told apart: unknown symbol (what
yfinance logs for one, with Yahoo's host reachable) or no network (the host unreachable)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yfinance
from conftest import assert_one_line_error

from core.errors import DataError, UserError
from engine.data import yahoo_net
from engine.data.yahoo import YahooSource

ROOT = Path(__file__).resolve().parents[1]
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")


def _netns_works() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        return (
            subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _netns_works(), reason="needs `unshare -rn` (user and network namespaces)")
def test_real_yfinance_without_name_resolution_names_the_network(tmp_path):
    """`unshare -rn`: a network namespace without interfaces, so no name resolves and nothing
    leaves the machine. yfinance runs for real; its own caches land under ours, not in ~/.cache."""
    home = tmp_path / "home"
    cache = tmp_path / "cache"
    code = ("import sys, engine.data.yahoo as y; y.BASE_DELAY_SECONDS = 0.05\n"
            "from cli.app import main\n"
            f"main(['data', 'fetch', 'IWM', '--cache-dir', {str(cache)!r}])\n")
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and k != "XDG_CACHE_HOME"}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    began = time.monotonic()
    proc = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    took = time.monotonic() - began
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "no network" in lines[0] and "resolve" in lines[0].lower(), lines[0]
    assert "--data bundled" in lines[0] and "--offline" in lines[0]
    assert took < 60, took  # four attempts, well inside the deadline; not a speed test
    # its cookies and tz cache
    assert (cache / "yfinance").is_dir() and any((cache / "yfinance").iterdir())
    assert not (home / ".cache" / "py-yfinance").exists()
    assert not (cache / "yahoo" / "IWM.parquet").exists()


@pytest.fixture
def black_hole():
    """A local proxy that accepts every connection and never answers (closed at the end, which
    lets the download thread that was given up on finish)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_real_yfinance_behind_a_silent_proxy_stops_at_the_deadline(
    tmp_path, monkeypatch, black_hole, cli
):
    for name in PROXY_VARS:
        monkeypatch.setenv(name, black_hole)
    monkeypatch.setattr("engine.data.yahoo.DEADLINE_SECONDS", 3.0)
    monkeypatch.setattr("engine.data.yahoo.ATTEMPT_SECONDS", 1.0)
    monkeypatch.setattr("engine.data.yahoo.BASE_DELAY_SECONDS", 0.2)
    began = time.monotonic()
    r = cli("data", "fetch", "IWM", "--cache-dir", str(tmp_path))
    took = time.monotonic() - began
    assert_one_line_error(r, "no network", "through the proxy", black_hole, "--data bundled")
    assert took < 3.0 + 3.0, took  # the deadline holds; yfinance alone waits 130 s here
    assert not (tmp_path / "yahoo" / "IWM.parquet").exists()


def test_the_connect_check_names_a_silent_proxy(black_hole, monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.setenv(name, black_hole)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert "did not answer" in yahoo_net.network_problem(seconds=0.3)


class EmptyYahoo:
    """``yfinance.download`` answering nothing, logging ``said`` on yfinance's logger as it does."""

    def __init__(self, said: str | None) -> None:
        self.said, self.calls = said, 0

    def __call__(self, tickers, **kw):
        self.calls += 1
        if self.said:
            logging.getLogger("yfinance").error("\n1 Failed download:")
            logging.getLogger("yfinance").error(f"['{tickers}']: {self.said}")
        return pd.DataFrame()


def _yahoo_host_at(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Yahoo's host is 127.0.0.1:``port`` for the connect check, with no proxy in between."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(yahoo_net, "YAHOO_HOST", "127.0.0.1")
    monkeypatch.setattr(yahoo_net, "YAHOO_PORT", port)


def _local_port(listen: bool) -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    if listen:
        sock.listen(4)
    return sock, sock.getsockname()[1]


@pytest.mark.parametrize(
    "said", ["YFPricesMissingError('possibly delisted; no price data found')", None]
)
def test_an_unknown_symbol_says_so(tmp_path, monkeypatch, said):
    sock, port = _local_port(listen=True)  # Yahoo's host "reachable"
    with sock:
        _yahoo_host_at(monkeypatch, port)
        monkeypatch.setattr(yfinance, "download", EmptyYahoo(said))
        src = YahooSource(cache_dir=tmp_path, sleep=lambda s: None)
        with pytest.raises(DataError, match="unknown symbol") as info:
            src.refresh("ZZZQ", start="2024-07-01", end="2024-07-31")
    assert ("possibly delisted" in str(info.value)) == bool(said)
    assert "no network" not in str(info.value)


def test_an_empty_answer_with_yahoo_unreachable_is_the_network(tmp_path, monkeypatch):
    sock, port = _local_port(listen=False)  # bound, not listening: connection refused
    with sock:
        _yahoo_host_at(monkeypatch, port)
        fake = EmptyYahoo(None)
        monkeypatch.setattr(yfinance, "download", fake)
        src = YahooSource(cache_dir=tmp_path, sleep=lambda s: None)
        with pytest.raises(UserError, match="no network.*cannot connect"):
            src.refresh("IWM", start="2024-07-01", end="2024-07-31")
    assert fake.calls == 4


def test_yfinance_log_records_are_classified():
    assert (
        yahoo_net.classify(
            ["\n1 Failed download:", "['IWM']: DNSError('curl: (6) Could not resolve host')"]
        )[0]
        == "network"
    )
    assert (
        yahoo_net.classify(["['X']: YFTzMissingError('possibly delisted; no timezone found')"])[0]
        == "unknown"
    )
    assert yahoo_net.classify(["\n1 Failed download:"]) == ("", "")


def test_what_a_finished_thread_logged_is_not_read_as_the_next_answer(tmp_path, monkeypatch):
    """Thread ids are reused: a network error logged by a download thread that has ended (one
    given up on by its deadline) must not turn a later empty answer into "no network"."""
    sock, port = _local_port(listen=True)  # Yahoo's host "reachable"
    with sock:
        _yahoo_host_at(monkeypatch, port)
        fake = EmptyYahoo(None)
        monkeypatch.setattr(yfinance, "download", fake)
        yahoo_net.YahooLog.install()
        src = YahooSource(cache_dir=tmp_path, sleep=lambda s: None)
        for _ in range(5):
            said = "['IWM']: DNSError('curl: (6) Could not resolve host')"
            late = threading.Thread(target=logging.getLogger("yfinance").error, args=(said,))
            late.start()
            late.join()
            calls = fake.calls
            with pytest.raises(DataError, match="unknown symbol"):
                src.refresh("ZZZQ", start="2024-07-01", end="2024-07-31")
            assert fake.calls == calls + 1  # answered at once, not retried as a network failure
