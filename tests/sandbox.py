"""Run ``smallcap`` in a subprocess inside a user and mount namespace (``unshare -rm``), where a
folder can be made read-only (a bind mount) or small (a tmpfs that fills up): real full and
read-only disks, without root and without touching the machine's mounts."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        probe = subprocess.run(
            ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt || exit 3"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def smallcap_in_namespace(
    args: list[str],
    *,
    read_only: list[Path] = (),
    small: dict[Path, int] | None = None,
    cwd: Path | None = None,
    before: str = "",
) -> Outcome:
    """``smallcap ARGS`` with each of ``read_only`` bind-mounted read-only and each folder of
    ``small`` a tmpfs of that many kB; ``before``: shell commands run after mounting (e.g. copy
    a run onto the small disk)."""
    steps = []
    for folder in read_only:
        q = shlex.quote(str(folder))
        steps.append(f"mount --bind {q} {q} && mount -o remount,ro,bind {q} {q}")
    for folder, kb in (small or {}).items():
        steps.append(f"mount -t tmpfs -o size={kb}k tmpfs {shlex.quote(str(folder))}")
    if before:
        steps.append(before)
    command = " ".join(
        shlex.quote(a) for a in [sys.executable, "-c", "from cli.app import main; main()", *args]
    )
    script = " && ".join([*steps, f"exec {command}"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=300)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)
