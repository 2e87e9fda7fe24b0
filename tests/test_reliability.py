"""Every failure a clean message, no hang, no orphaned worker, no lost or duplicated work."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_one_line_error

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["--start", "2015-01-02", "--end", "2015-12-31"]
GRID = ["--strategy", "relative_momentum", "--grid", "lookback=21,63", *SHORT, "--no-report"]

KILLER = '''
import os, signal, time
from strategies import register
from strategies.builtin.momentum import RelativeMomentum

@register
class Killer(RelativeMomentum):
    """Relative momentum whose worker dies (as under the OOM killer) when lookback is 66."""
    name = "killer_momentum"

    def targets(self):
        if self.cfg.lookback == 66:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.cfg.lookback == 99:
            time.sleep(60)
        return super().targets()
'''


# ----- output locations ---------------------------------------------------------------------------
@pytest.mark.parametrize("make_out, needle", [
    (lambda tmp: tmp / "a-file", "File exists"),
    (lambda tmp: tmp / ("x" * 300), "File name too long"),
])
def test_bad_output_locations_fail_before_any_work(cli, tmp_path, make_out, needle):
    (tmp_path / "a-file").write_text("not a folder")
    out = make_out(tmp_path)
    for argv in (["backtest", "buy_and_hold", *SHORT, "--no-report", "--out", str(out)],
                 ["sweep", *GRID, "--out", str(out)]):
        assert_one_line_error(cli(*argv), "cannot write to", needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_tearsheet_failure_after_the_run_is_saved_says_so(cli, tmp_path, monkeypatch):
    def broken(run_dir):
        raise RuntimeError("matplotlib exploded")

    monkeypatch.setattr("reports.tearsheet.write_tearsheet", broken)
    r = cli("backtest", "buy_and_hold", *SHORT, "--out", str(tmp_path))
    assert r.code == 1 and "Traceback" not in r.stderr
    line = [ln for ln in r.stderr.splitlines() if "run saved to" in ln][0]
    assert "(tearsheet not written: RuntimeError: matplotlib exploded)" in line
    run_dir = Path(line.split("run saved to ")[1].split(" (")[0])
    assert (run_dir / "metrics.json").exists()


# ----- sweep folders ------------------------------------------------------------------------------
def test_a_second_sweep_on_a_locked_folder_is_refused(cli, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert_one_line_error(
            cli("sweep", *GRID, "--out", str(out), "--executor", "serial"),
            "another sweep is writing",
        )


def test_resume_reruns_a_damaged_variant_and_removes_only_dead_temp_folders(cli, tmp_path):
    out = tmp_path / "s"
    assert cli("sweep", *GRID, "--out", str(out), "--executor", "serial").code == 0
    variants = out / "variants"
    damaged = sorted(variants.iterdir())[0]
    (damaged / "metrics.json").write_text("")
    dead = variants / f".tmp-{damaged.name}-{2**22 + 4321}"
    dead.mkdir()
    live = variants / f".tmp-other-{os.getpid()}"
    live.mkdir()
    r = cli("sweep", *GRID, "--out", str(out), "--executor", "serial", "--resume", "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["skipped"] == 1 and len(doc["ranked"]) == 2
    assert json.loads((damaged / "metrics.json").read_text())["cagr"] is not None
    assert not dead.exists() and live.exists()
    assert sorted(p.name for p in variants.iterdir() if not p.name.startswith(".")) == sorted(
        v["id"] for v in doc["ranked"])  # nothing duplicated as <id>-2


def test_a_retried_variant_whose_folder_exists_is_kept_not_duplicated(tmp_path):
    from engine.config import RunConfig
    from engine.sweep import run_variant

    cfg = RunConfig(strategy="buy_and_hold", start="2015-01-02", end="2015-03-31").to_dict()
    first = run_variant(cfg, str(tmp_path / "abc"))
    again = run_variant(cfg, str(tmp_path / "abc"))
    assert first["status"] == again["status"] == "done" and again["metrics"] == first["metrics"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc"]


# ----- process pools ------------------------------------------------------------------------------
def test_a_dead_worker_fails_only_its_variant_and_the_rest_complete(cli, tmp_path):
    strategy = tmp_path / "killer.py"
    strategy.write_text(KILLER)
    out = tmp_path / "s"
    r = cli(
        "sweep",
        "--strategy",
        "killer_momentum",
        "--strategy-file",
        str(strategy),
        "--grid",
        "lookback=21,42,66,84,105",
        *SHORT,
        "--no-report",
        "--executor",
        "process",
        "--workers",
        "2",
        "--out",
        str(out),
        "--json",
    )
    assert r.code == 1, r.stderr  # one variant failed
    doc = json.loads(r.stdout)
    assert [f["error"] for f in doc["failed"]] == ["worker died: killed or out of memory"]
    assert len(doc["ranked"]) == 4
    rows = (out / "sweep.csv").read_text().splitlines()
    assert len(rows) == 6 and sum(",done," in row for row in rows) == 4


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_driver(tmp_path, how):
    strategy = tmp_path / "killer.py"
    strategy.write_text(KILLER)
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.app",
            "sweep",
            "--strategy",
            "killer_momentum",
            "--strategy-file",
            str(strategy),
            "--grid",
            "lookback=99,100",
            *SHORT,
            "--no-report",
            "--executor",
            "process",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "s"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    workers = []
    while time.time() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = [c for c in _children(driver.pid) if _alive(c)]
    assert len(workers) >= 2, "the pool never started"
    time.sleep(3)  # the workers are inside their variants now
    driver.send_signal(how)
    driver.wait(timeout=30)
    time.sleep(3)
    assert [w for w in workers if _alive(w)] == [], "orphaned workers"
    if how == signal.SIGTERM:
        assert driver.returncode == 130
        err = [
            ln
            for ln in driver.stderr.read().splitlines()
            if ln.strip() and not ln.startswith("sweep ")
        ]
        assert any(
            "interrupted" in ln and "--resume" in ln for ln in err
        ) and "Traceback" not in "".join(err)
        assert (tmp_path / "s" / "sweep.csv").exists()


# ----- Dask scheduler addresses -------------------------------------------------------------------
def _silent_server() -> tuple[socket.socket, int]:
    """Something on a port that accepts connections and never answers (a wrong service)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    conns = []
    threading.Thread(target=lambda: conns.append(server.accept()), daemon=True).start()
    return server, server.getsockname()[1]


@pytest.mark.parametrize(
    "address, needle",
    [
        ("127.0.0.1", "not a Dask scheduler address"),
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler"),
        ("http://127.0.0.1:8786", "not a Dask scheduler address"),
    ],
)
def test_bad_scheduler_addresses_are_one_line_before_any_work(cli, tmp_path, address, needle):
    pytest.importorskip("dask.distributed")
    r = cli(
        "sweep", *GRID, "--executor", "dask", "--scheduler", address, "--out", str(tmp_path / "s")
    )
    assert_one_line_error(r, needle)


def test_a_silent_service_on_the_port_times_out_in_one_line(cli, tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("engine.executors.CONNECT_SECONDS", 2)
    server, port = _silent_server()
    started = time.time()
    try:
        r = cli(
            "sweep",
            *GRID,
            "--executor",
            "dask",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "s"),
        )
    finally:
        server.close()
    assert_one_line_error(r, "no Dask scheduler answered")
    assert time.time() - started < 30


# ----- inputs that used to slip through -----------------------------------------------------------
@pytest.mark.parametrize("argv, needle", [
    (["backtest", "buy_and_hold", "--cash", "inf", "--no-report"], "cash"),
    (["backtest", "relative_momentum", "--symbols", "", "--no-report"], "--symbols is empty"),
    (["backtest", "buy_and_hold", "--data", "csv:", "--no-report"], "names no folder"),
    (["sweep", *GRID, "--workers", "0"], "--workers must be at least 1"),
])
def test_inputs_that_used_to_slip_through(cli, tmp_path, argv, needle):
    r = cli(*argv, "--out", str(tmp_path / "o"))
    assert_one_line_error(r, needle)
    assert not (tmp_path / "o").exists()


def test_damaged_files_are_one_line(cli, tmp_path):
    (tmp_path / "data" / "IWM.csv").mkdir(parents=True)
    (tmp_path / "data" / "SPY.csv").symlink_to(tmp_path / "nowhere.csv")
    assert_one_line_error(
        cli("data", "list", "--data", f"csv:{tmp_path / 'data'}"), "not a readable file"
    )
    (tmp_path / "binary.toml").write_bytes(b"\x00\x01\x02\xff\xfe")
    assert_one_line_error(cli("backtest", "--config", str(tmp_path / "binary.toml")), "binary.toml")
    assert_one_line_error(cli("backtest", "--config", str(tmp_path / "data")), "cannot be read")
    from engine.config import RunConfig
    from engine.runner import run_backtest

    run = run_backtest(
        RunConfig(strategy="buy_and_hold", start="2015-01-02", end="2015-06-30")
    ).save(tmp_path / "runs")
    (run / "metrics.json").write_text("")
    assert_one_line_error(cli("report", str(run)), "has a damaged file")
    (run / "metrics.json").write_text("{}")
    (run / "returns.csv").write_text("date,strategy\n2015-01")
    assert_one_line_error(
        cli("compare", str(run), str(run), "--out", str(tmp_path / "c")), "damaged"
    )


def test_data_rules_that_used_to_pass(tmp_path, cli):
    from conftest import write_csv

    from core.errors import DataError
    from engine.data.readers import read_series_csv
    from engine.data.validate import validate_series

    rows = [
        "2024-07-01,10,11,9,10,10,100",
        "2024-07-02,10,11,9,10,10,100",
        "2024-07-03,10,11,9,10,10,100",
    ]
    header = "date,open,high,low,close,adj_close,volume\n"
    mixed = write_csv(
        tmp_path / "MIX.csv",
        header
        + "\n".join(
            [
                "2024-07-01T00:00:00+00:00,10,11,9,10,10,100",
                "2024-07-02T00:00:00-04:00,10,11,9,10,10,100",
            ]
        ),
    )
    with pytest.raises(DataError, match="mix time zones"):
        read_series_csv(mixed)
    huge = write_csv(
        tmp_path / "HUGE.csv",
        header + "\n".join([*rows[:2], "2024-07-03,1e308,1e308,1e308,1e308,1e308,100"]),
    )
    with pytest.raises(DataError, match="implausibly large"):
        validate_series(read_series_csv(huge)[1].drop(columns="_line"), "HUGE.csv", "price")
    jump = write_csv(
        tmp_path / "JUMP.csv", header + "\n".join([*rows[:2], "2024-07-03,100,110,90,100,100,100"])
    )
    with pytest.raises(DataError, match=r"2024-07-03: close moved \+900% in one session"):
        validate_series(*_frame_and_name(jump), "price")
    old = write_csv(
        tmp_path / "OLD.csv", "date,close\n1984-12-31,100\n1985-01-02,101\n1985-01-03,102\n"
    )
    report = validate_series(*_frame_and_name(old), "index")
    assert any("not checked against the NYSE calendar" in w for w in report.warnings)


def _frame_and_name(path):
    from engine.data.readers import read_series_csv

    return read_series_csv(path)[1].drop(columns="_line"), str(path)


def test_grids_are_bounded_and_defaults_cannot_name_a_strategy(cli, tmp_path):
    big = ",".join(str(i) for i in range(5, 505))
    r = cli(
        "sweep",
        "--strategy",
        "relative_momentum",
        "--grid",
        f"lookback={big}",
        "--grid",
        "top_n=1,2,3",
        "--max-variants",
        "1000",
        "--out",
        str(tmp_path / "s"),
    )
    assert_one_line_error(r, "expands to 1,500 variants, more than 1,000")
    exp = tmp_path / "e.toml"
    exp.write_text(
        'name = "x"\n[defaults]\nstrategy = "buy_and_hold"\n[[variants]]\nstrategy = "fixed_mix"\n'
    )
    assert_one_line_error(
        cli("sweep", str(exp), "--out", str(tmp_path / "t")), "cannot set 'strategy'"
    )


def test_a_killed_save_leaves_a_temp_folder_that_the_next_run_removes(cli, tmp_path):
    dead = tmp_path / f".tmp-20250101T000000Z-buy_and_hold-abc-{2**22 + 99}"
    dead.mkdir()
    r = cli("backtest", "buy_and_hold", *SHORT, "--no-report", "--out", str(tmp_path))
    assert r.code == 0 and not dead.exists()


def test_ctrl_c_on_a_dask_sweep_is_one_line_and_leaves_no_process(tmp_path):
    """Ctrl-C reaches the whole process group (driver and local Dask workers): one line, exit
    130."""
    pytest.importorskip("dask.distributed")
    strategy = tmp_path / "killer.py"
    strategy.write_text(KILLER)
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.app",
            "sweep",
            "--strategy",
            "killer_momentum",
            "--strategy-file",
            str(strategy),
            "--grid",
            "lookback=99,100",
            *SHORT,
            "--no-report",
            "--progress",
            "none",  # the plain progress lines of a non-terminal are not the error
            "--executor",
            "dask",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "s"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline and len(_children(driver.pid)) < 2:
        time.sleep(0.5)
    time.sleep(8)  # the workers are inside their variants
    os.killpg(driver.pid, signal.SIGINT)
    driver.wait(timeout=60)
    lines = [ln for ln in driver.stderr.read().splitlines() if ln.strip()]
    assert driver.returncode == 130
    assert lines == [
        f"interrupted: finished variants are in {tmp_path / 's'}/sweep.csv; continue with --out "
        f"{tmp_path / 's'} --resume"
    ]
    time.sleep(3)
    assert [c for c in _children(driver.pid) if _alive(c)] == []


def test_a_scheduler_without_workers_is_one_line(cli, tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.setattr("engine.executors.WORKERS_SECONDS", 2)
    cluster = distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    )
    try:
        r = cli(
            "sweep",
            *GRID,
            "--executor",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            str(tmp_path / "s"),
        )
    finally:
        cluster.close()
    assert_one_line_error(r, "no Dask workers joined")


def test_a_service_that_sends_a_banner_is_one_line(cli, tmp_path, monkeypatch):
    """A wrong service that talks first (an SSH or SMTP banner) once made distributed allocate 2.8
    EiB."""
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("engine.executors.CONNECT_SECONDS", 3)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def talk() -> None:
        for _ in range(5):
            try:
                conn, _ = server.accept()
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" + b"\xff" * 64)
            except OSError:
                return

    threading.Thread(target=talk, daemon=True).start()
    try:
        r = cli("sweep", *GRID, "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{server.getsockname()[1]}",
                "--out", str(tmp_path / "s"))
    finally:
        server.close()
    assert_one_line_error(r, "no Dask scheduler answered")
