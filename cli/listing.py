"""What `smallcap strategies` shows, kept in the user cache so listing needs no engine.

Listing the strategies means importing every strategy module, and with them backtrader and
pandas (most of the command's time), to read names, parameters and data needs that change only when code,
bundled data or installed packages change. So the documents are saved as JSON in the user
cache (``$SMALLCAP_CACHE_DIR``) under a fingerprint of what they derive from:

* every ``.py`` file of this project's packages (path, size, modification time);
* the bundled data's checksum list (the window each strategy's data allows);
* each folder on ``sys.path`` but the first (the script's or the current folder): installing
  or removing a package, which can add strategies through the ``smallcap.strategies`` entry
  points, changes its folder's modification time.

A different fingerprint rebuilds the documents; a user's ``--strategy-file`` is never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from core.cache import user_cache_dir

PACKAGES = ("core", "strategies", "engine", "cli")
PREFIX = "strategies-"


def fingerprint() -> str:
    """A digest of everything the strategy documents derive from (see the module docstring)."""
    h = hashlib.sha256()
    for package in PACKAGES:
        spec = find_spec(package)
        root = Path(spec.origin).parent if spec and spec.origin else None
        if root is None:
            continue
        for path in sorted(root.rglob("*.py")):
            st = path.stat()
            h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        if package == "engine":
            sums = root / "data" / "bundled" / "SHA256SUMS"
            if sums.exists():
                h.update(sums.read_bytes())
    for entry in sys.path[1:]:
        if entry and os.path.isdir(entry):
            h.update(f"{entry}:{os.stat(entry).st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def build_docs() -> list[dict[str, Any]]:
    """Every registered strategy's document (listed ones and tools such as ``replay_targets``):
    name, summary, thesis, parameters, data needs, and whether `strategies` lists it."""
    from cli.glue import strategy_data
    from strategies import all_strategies

    return [{"name": s.name, "summary": s.summary, "thesis": s.thesis, "listed": s.cls.listed,
             "params": [p.__dict__ for p in s.params()], "data": strategy_data(s.name)}
            for s in all_strategies(include_unlisted=True)]


def _plain(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents as JSON gives them back (tuples as lists, other values as text), so a fresh
    build prints exactly what the cache later will."""
    return json.loads(json.dumps(docs, default=str))


def _cached_docs() -> list[dict[str, Any]]:
    folder = user_cache_dir()
    path = folder / f"{PREFIX}{fingerprint()}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    docs = _plain(build_docs())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(docs))
        os.replace(tmp, path)
        for old in folder.glob(f"{PREFIX}*.json"):  # documents of earlier code
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: the documents were built for this call
    return docs


def strategy_docs(name: str | None = None, strategy_file: str | None = None) -> list[dict[str, Any]]:
    """The documents of the listed strategies, or of the one named ``name`` (a one-element list).

    ``strategy_file``: a user's module of strategies, loaded first and never cached. An unknown
    ``name`` raises the registry's :class:`UserError` (with its did-you-mean hint).
    """
    if strategy_file:
        from strategies import load_strategy_file

        load_strategy_file(strategy_file)
        docs = _plain(build_docs())
    else:
        docs = _cached_docs()
    if name is None:
        return [d for d in docs if d["listed"]]
    found = [d for d in docs if d["name"] == name and d["listed"]]
    if not found:
        from strategies import user_strategy

        spec = user_strategy(name)  # raises the unknown-name error (tools are not for users)
        return [d for d in _plain(build_docs()) if d["name"] == spec.name]
    return found
