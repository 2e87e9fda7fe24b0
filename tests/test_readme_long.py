"""Every `smallcap` command of the README runs as written (issue 23), in the order shown, in one
scratch folder as a user's clone: full-history sweeps, walk-forward, timing and costs included.
They take minutes, so they carry the ``readme_long`` mark: `make test` leaves them out and
`make readme-check` (which CI runs after `make test`) runs them; `--durations=0` times each.

What is not the user's machine is stood in for, and nothing else: Yahoo answers with the bundled
rows (the `yfinance.download` boundary, as in tests/test_yahoo.py; no test touches the network),
the Dask cluster of the README's three terminals is started here on a free port, and folders
outside the scratch folder (`--out /shared/sweeps/demo`) are made inside it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pandas as pd
import pytest
import yfinance
from test_readme_commands import as_written, readme_commands, scratch_folder

from engine.data.catalog import bundled_files
from engine.data.readers import read_series_csv
from engine.data.yahoo import YAHOO_TICKERS

pytestmark = pytest.mark.readme_long

COMMANDS = readme_commands()
SCHEDULER = "tcp://127.0.0.1:8786"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return scratch_folder(tmp_path_factory.mktemp("readme"))


@pytest.fixture(scope="module")
def cluster(scratch):
    """The README's scheduler and two single-threaded workers (on a free port, not 8786)."""
    pytest.importorskip("distributed")
    from test_dask_cluster import BIN, _free_port, _kill, _start, _wait_for_workers

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"], scratch, scratch / "scheduler.log")]
    procs += [_start([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                     scratch, scratch / f"worker{i}.log") for i in range(2)]
    try:
        _wait_for_workers(address, 2)
        yield address
    finally:
        for proc in reversed(procs):
            _kill(proc)


def _yahoo_frame(ticker: str) -> pd.DataFrame:
    """The bundled rows of ``ticker`` in yfinance's ``auto_adjust=False`` layout."""
    symbol = {v: k for k, v in YAHOO_TICKERS.items()}.get(ticker, ticker)
    _, raw = read_series_csv(bundled_files()[symbol].path)
    frame = raw.drop(columns="_line").rename(columns=str.title).rename(
        columns={"Adj_Close": "Adj Close"})
    if "Close" in frame and "Open" not in frame:  # an index level: Yahoo gives OHLC of the level
        for col in ("Open", "High", "Low", "Adj Close"):
            frame[col] = frame["Close"]
        frame["Volume"] = 0.0
    frame["Dividends"], frame["Stock Splits"] = 0.0, 0.0
    frame.index.name = "Date"
    return frame


def _fake_download(tickers, start=None, end=None, **kw):
    frame = _yahoo_frame(tickers)
    return frame.loc[(frame.index >= start) & (frame.index < end)].copy()


@pytest.fixture
def at_scratch(scratch, monkeypatch) -> Path:
    """The scratch folder as the current one; Yahoo's cache in it; Yahoo answering locally."""
    monkeypatch.chdir(scratch)
    monkeypatch.setenv("SMALLCAP_CACHE_DIR", str(scratch / "cache"))
    monkeypatch.setattr(yfinance, "download", _fake_download)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    monkeypatch.setattr("engine.data.yahoo_net.YAHOO_HOST", "127.0.0.1")
    monkeypatch.setattr("engine.data.yahoo_net.YAHOO_PORT", server.getsockname()[1])
    yield scratch
    server.close()


def _elsewhere(argv: list[str], scratch: Path, address: str | None) -> list[str]:
    """``--out`` folders outside the scratch folder moved into it; the README's scheduler address
    replaced by the one started here."""
    out = []
    for prev, word in zip([None, *argv[:-1]], argv, strict=True):
        if prev == "--out" and Path(word).is_absolute():
            word = str(scratch / word.lstrip("/"))
        out.append(address if word == SCHEDULER and address else word)
    return out


@pytest.mark.parametrize("line", COMMANDS,
                         ids=[f"{i:02d} {c[9:60]}" for i, c in enumerate(COMMANDS)])
def test_every_readme_command_runs_as_written(line, at_scratch, request, cli):
    address = request.getfixturevalue("cluster") if SCHEDULER in line else None
    argv = _elsewhere(as_written(line), at_scratch, address)
    r = cli(*argv)
    assert r.code == 0, (line, argv, r.stdout[-2000:], r.stderr[-2000:])
    if "--json" in argv:
        json.loads(r.stdout)
