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


GRID = 'strategy = "relative_momentum"\ngrid = { lookback = [63, 126] }'


def _experiment(data: Path, name: str = "fresh", variant: str = GRID) -> str:
    """A sweep over 2015-2016 reading a csv:DIR; ``variant``: its one [[variants]] table."""
    path = data.parent / f"{name}.toml"
    path.write_text(f"""name = "{name}"
[defaults]
start = 2015-01-02
end = 2016-12-30
data = {{ source = "csv:{data}" }}
[[variants]]
{variant}
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


def _hold_experiment(data: Path, symbol: str, name: str) -> str:
    """A one-variant sweep holding ``symbol`` from a csv:DIR (benchmark SPY)."""
    return _experiment(data, name, f'strategy = "buy_and_hold"\nparams = {{ symbol = "{symbol}" }}')


def test_a_file_added_removed_or_renamed_is_seen_by_the_next_sweep_in_one_process(cli, tmp_path):
    """The worker's source is kept per process (engine.sweep._source); its file listing is not."""
    data = _csv_dir(tmp_path / "data")

    def sweep(symbol, out):
        return cli("sweep", _hold_experiment(data, symbol, out), "--no-report", "--executor",
                   "serial", "--out", str(tmp_path / out))

    assert sweep("IWM", "first").code == 0
    shutil.copy(bundled_root() / "etf" / "TLT.csv", data / "TLT.csv")  # added
    r = sweep("TLT", "added")
    assert r.code == 0, r.stderr
    saved = next((tmp_path / "added" / "variants").glob("*/manifest.json"))
    sha = hashlib.sha256((data / "TLT.csv").read_bytes()).hexdigest()
    assert json.loads(saved.read_text())["data"]["sha256"]["TLT"] == sha
    (data / "TLT.csv").rename(data / "bonds.csv")  # renamed: TLT is gone, BONDS is there
    r = sweep("TLT", "renamed")
    assert r.code == 1 and "failed: unknown symbol 'TLT' in data source csv:" in r.stderr, r.stderr
    assert "valid: BONDS, IWM, QQQ, SPY" in r.stderr
    assert sweep("BONDS", "renamed-to").code == 0
    (data / "IWM.csv").unlink()  # removed
    r = sweep("IWM", "removed")
    assert r.code == 1 and "failed: unknown symbol 'IWM'" in r.stderr, r.stderr


def test_the_kept_source_lists_its_folder_again_on_every_call(tmp_path):
    from engine.sweep import _source

    data = _csv_dir(tmp_path / "data")
    spec = f"csv:{data}"
    src = _source(spec, None, False)
    assert set(src.available()) == {"IWM", "SPY", "QQQ"}
    (data / "sub").mkdir()
    (data / "IWM.csv").rename(data / "sub" / "IWM.csv")
    assert _source(spec, None, False) is src  # the same kept source ...
    assert src.load("IWM").origin == str(data / "sub" / "IWM.csv")  # ... reads the moved file
    shutil.copy(bundled_root() / "etf" / "TLT.csv", data / "TLT.csv")
    assert set(src.available()) == {"IWM", "SPY", "QQQ", "TLT"}
    shutil.copy(data / "sub" / "IWM.csv", data / "IWM.csv")  # a second IWM appears
    with pytest.raises(Exception, match="two files for IWM"):
        src.load("SPY")


@pytest.fixture
def bundled_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled data the loaders read instead (so that a test may edit it)."""
    import engine.data.catalog as catalog
    import engine.data.factors as factors
    import research.regime_labels as labels

    root = tmp_path / "bundled"
    shutil.copytree(bundled_root(), root)
    for module in (catalog, factors, labels):
        monkeypatch.setattr(module, "bundled_root", lambda: root)
    return root


def _scale_after(path: Path, column: str, since: str, factor: float) -> None:
    frame = pd.read_csv(path)
    frame.loc[frame["date"] >= since, column] = frame.loc[frame["date"] >= since, column] * factor
    frame.to_csv(path, index=False)


def test_every_per_process_cache_of_bundled_series_is_keyed_by_content(bundled_copy):
    """The cash rate, the factors, the FOMC table and the regime labels' inputs are kept per
    process; an edited file is read again by each."""
    from engine.cash_rate import annual_yield
    from engine.data.factors import load_factors, load_fomc_changes
    from research.regime_labels import bundled_inputs

    days = pd.DatetimeIndex(["2020-01-02", "2020-06-01"])
    before = (annual_yield(days), load_factors(), load_fomc_changes(), bundled_inputs())
    _scale_after(bundled_copy / "macro" / "DTB3.csv", "value", "2019-01-01", 2.0)
    _scale_after(bundled_copy / "factors" / "FF3.csv", "smb", "2019-01-01", 2.0)
    _scale_after(bundled_copy / "events" / "FOMC.csv", "target_after", "2019-01-01", 2.0)
    _scale_after(bundled_copy / "macro" / "VIXCLS.csv", "value", "2019-01-01", 2.0)
    after = (annual_yield(days), load_factors(), load_fomc_changes(), bundled_inputs())
    assert (after[0] == 2 * before[0]).all()
    smb = before[1].loc["2020-01-02", "smb"]
    assert after[1].loc["2020-01-02", "smb"] == pytest.approx(2 * smb)
    assert after[1].loc["2018-12-31", "smb"] == before[1].loc["2018-12-31", "smb"]
    later = after[2].index >= "2019-01-01"
    assert (after[2]["target_after"][later] == 2 * before[2]["target_after"][later]).all()
    assert after[3].vix.loc["2020-01-02"] == pytest.approx(2 * before[3].vix.loc["2020-01-02"])
