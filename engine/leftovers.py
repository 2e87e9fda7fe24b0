"""Folders under a runs folder that hold no result, for ``smallcap runs gc``: empty ones, and
those a sweep, walk-forward or timing study left when it finished no variant."""

from __future__ import annotations

from pathlib import Path

# rewritten by a re-run; no result in them
BOOKKEEPING = frozenset({"experiment.json", "sweep.csv"})


def _lock_held(folder: Path) -> bool:
    """True while a sweep holds ``folder/.lock`` (it is running: not a leftover)."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): no sweep can hold one
        return False

    lock = folder / ".lock"
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _holds_results(folder: Path) -> bool:
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).parts
        if any(part.startswith(".") for part in rel) or not path.is_file():
            continue
        if path.name not in BOOKKEEPING or len(rel) > 1:
            return True
        if path.name == "sweep.csv" and len(path.read_text().splitlines()) > 1:
            return True  # a row per variant, failed ones too: their errors are a result
    return False


def empty_folders(root: str | Path = "runs") -> list[Path]:
    """Folders directly under ``root`` that hold no result: empty, or left by a sweep,
    walk-forward or timing study that finished no variant (nothing but hidden temp files, empty
    folders, ``experiment.json`` and a header-only ``sweep.csv``). Running sweeps (their ``.lock``
    held) are not listed. Removing them loses nothing a re-run would not write again."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and not _holds_results(p)
                  and not _lock_held(p))
