"""``--progress`` (issue 29): a sweep on a non-terminal prints progress lines as it goes (a
batch log sees each step when it happens, not all at the end); ``auto`` is a bar on a
terminal and plain lines otherwise; a bad mode is a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import assert_one_line_error

from cli.progress import PlainLines, Progress, progress_mode
from core.errors import UserError

GATED = textwrap.dedent('''
    import os, time
    from pydantic import Field
    from strategies import RotationParams, RotationStrategy, register

    class GateParams(RotationParams):
        gate: int = Field(1, ge=1, le=9, description="which variant this is")

    @register
    class GatedHold(RotationStrategy):
        """Hold IWM; the variant gate=2 waits for a file before deciding."""
        name, summary, Params = "gated_hold", "IWM, the second variant waits on a file", GateParams

        @classmethod
        def needs(cls, params):
            return ["IWM", "SPY"], []

        @classmethod
        def warmup(cls, params):
            return 0

        def targets(self):
            deadline = time.monotonic() + 120
            while self.cfg.gate == 2 and not os.path.exists(os.environ["GATE_FILE"]) \\
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            return {"IWM": 1.0}, "hold"
''')


def test_auto_is_a_bar_on_a_terminal_plain_lines_otherwise_and_none_under_json(monkeypatch):
    from cli import options

    monkeypatch.setattr(type(options.err), "is_terminal", property(lambda self: True))
    assert progress_mode("auto") == Progress("bar")
    assert progress_mode("auto", quiet=True) == Progress("none")
    monkeypatch.setattr(type(options.err), "is_terminal", property(lambda self: False))
    assert progress_mode("auto") == Progress("plain")
    assert progress_mode("plain:25", quiet=True) == Progress("plain", 25)
    assert progress_mode("BAR") == Progress("bar")


@pytest.mark.parametrize("bad", ["fancy", "bar:3", "plain:0", "plain:x"])
def test_a_bad_progress_mode_is_refused(bad):
    with pytest.raises(UserError):
        progress_mode(bad)


def test_a_bad_progress_option_is_a_one_line_error(cli, tmp_path):
    r = cli("sweep", "--strategy", "buy_and_hold", "--grid", "symbol=IWM,SPY",
            "--progress", "fancy", "--out", str(tmp_path / "s"))
    assert_one_line_error(r, "--progress 'fancy'")


def test_plain_lines_come_every_n_variants_and_at_the_last(capsys):
    lines = PlainLines("sweep g", 7, every=3)
    for i in range(7):
        lines({"id": f"v{i}", "status": "failed" if i == 4 else "done", "error": "boom"})
    err = capsys.readouterr().err.splitlines()
    progress = [ln for ln in err if ln.startswith("sweep g: ")]
    assert [ln.split(" variants")[0] for ln in progress] == ["sweep g: 3/7", "sweep g: 6/7",
                                                              "sweep g: 7/7"]
    assert "1 failed" in progress[-1] and "(100%)" in progress[-1]
    assert "variant v4 failed: boom" in err


def test_a_sweep_on_a_non_terminal_prints_progress_lines_as_it_goes(tmp_path):
    """The second variant waits for a file: the line for the first must be on stderr (read
    through a pipe, not a terminal) while the sweep is still held, before any page exists."""
    (tmp_path / "gated.py").write_text(GATED)
    gate, out = tmp_path / "go", tmp_path / "runs" / "sweep"
    argv = [sys.executable, "-m", "cli.app", "sweep", "--strategy-file", str(tmp_path / "gated.py"),
            "--strategy", "gated_hold", "--grid", "gate=1,2,3", "--start", "2020-01-02",
            "--end", "2020-03-31", "--executor", "serial", "--out", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GATE_FILE": str(gate)})
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "1/3 variants" in line:
                break
        assert any("1/3 variants" in ln for ln in seen), "".join(seen)
        time.sleep(0.2)
        assert proc.poll() is None and not (out / "comparison.html").exists()
        assert not any("2/3" in ln for ln in seen)
        gate.write_text("go")
        rest = proc.communicate(timeout=300)[1]
    finally:
        gate.write_text("go")
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + rest
    assert "2/3 variants" in rest and "3/3 variants (100%)" in rest
    assert "overfitting statistics (PBO, DSR, SPA, MCS, bootstrap intervals): done" in rest
    assert (out / "comparison.html").exists()
