"""No stale data (issue 23): series kept in memory (a sweep's workers, a Dask worker serving many
sweeps) and on disk are keyed by the file's content, so an edited CSV is read again and the
manifest names its new checksum; two files for one symbol in a csv:DIR are an error."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_one_line_error

from engine.data.catalog import bundled_root


def _csv_dir(folder: Path) -> Path:
    folder.mkdir()
    for s in ("IWM", "SPY", "QQQ"):
        shutil.copy(bundled_root() / "etf" / f"{s}.csv", folder / f"{s}.csv")
    return folder


def _experiment(data: Path) -> str:
    path = data.parent / "fresh.toml"
    path.write_text(f"""name = "fresh"
[defaults]
start = 2015-01-02
end = 2016-12-30
data = {{ source = "csv:{data}" }}
[[variants]]
strategy = "relative_momentum"
grid = {{ lookback = [63, 126] }}
""")
    return str(path)


def _edit(path: Path) -> str:
    """IWM 4% higher from mid-2016 on (one jump, within the validator's rules); its new sha256."""
    frame = pd.read_csv(path)
    later = frame["date"] >= "2016-06-01"
    for col in ("open", "high", "low", "close", "adj_close"):
        frame.loc[later, col] = frame.loc[later, col] * 1.04
    frame.to_csv(path, index=False)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _finals(out: Path) -> dict[str, tuple[float, str]]:
    """variant -> (final equity, IWM sha256 in its manifest)."""
    found = {}
    for run in sorted((out / "variants").iterdir()):
        equity = pd.read_csv(run / "equity.csv")
        manifest = json.loads((run / "manifest.json").read_text())
        found[run.name] = (float(equity.iloc[-1, 1]), manifest["data"]["sha256"]["IWM"])
    return found


def _two_sweeps(sweep, data: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    sweep(first)
    new_sha = _edit(data / "IWM.csv")
    sweep(second)
    before, after = _finals(first), _finals(second)
    assert before.keys() == after.keys()
    for vid in before:
        assert after[vid][1] == new_sha != before[vid][1]
        assert after[vid][0] != pytest.approx(before[vid][0], rel=1e-9)


def test_an_edited_file_is_read_again_by_the_next_sweep_in_the_same_process(cli, tmp_path):
    data = _csv_dir(tmp_path / "data")

    def sweep(out):
        r = cli(
            "sweep", _experiment(data), "--no-report", "--executor", "serial", "--out", str(out)
        )
        assert r.code == 0, r.stderr

    _two_sweeps(sweep, data, tmp_path)


def test_an_edited_file_is_read_again_on_a_running_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    from test_dask_cluster import BIN, _free_port, _kill, _start, _wait_for_workers

    data = _csv_dir(tmp_path / "data")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"], tmp_path, tmp_path / "scheduler.log")]
    procs.append(_start([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                         "--no-dashboard"], tmp_path, tmp_path / "worker.log"))

    def sweep(out):
        r = subprocess.run([str(BIN / "smallcap"), "sweep", _experiment(data), "--no-report",
                            "--executor", "dask", "--scheduler", address, "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr

    try:
        _wait_for_workers(address, 1)
        _two_sweeps(sweep, data, tmp_path)
    finally:
        for proc in reversed(procs):
            _kill(proc)


def test_two_files_for_one_symbol_in_a_csv_folder_name_both(cli, tmp_path):
    data = _csv_dir(tmp_path / "data")
    (data / "old").mkdir()
    shutil.copy(data / "IWM.csv", data / "old" / "iwm.csv")
    r = cli("backtest", "relative_momentum", "--data", f"csv:{data}", "--start", "2015-01-02",
            "--end", "2015-12-31", "--no-report", "--out", str(tmp_path / "runs"))
    assert_one_line_error(
        r, "two files for IWM", str(data / "IWM.csv"), str(data / "old" / "iwm.csv")
    )
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
