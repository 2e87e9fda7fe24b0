"""What `smallcap strategies` shows, kept in the disk cache so listing needs no engine.

Listing the strategies means importing every strategy module, and with them backtrader and
pandas (most of the command's time), to read names, parameters and data needs that change only
when code, bundled data or installed packages change. So the documents are saved as JSON in the
disk cache (``core.cache``: the one policy for keys, folder and pruning) under a fingerprint of
what they derive from:

* every ``.py`` file of this project's packages (path, size, modification time);
* the bundled data's checksum list (the window each strategy's data allows);
* each folder on ``sys.path`` but the first (the script's or the current folder): installing
  or removing a package, which can add strategies through the ``smallcap.strategies`` entry
  points, changes its folder's modification time;
* the versions of numpy, pandas, pydantic and this project (``core.cache``).

An entry also records the files of the installed plug-ins that registered strategies (size,
modification time): a plug-in edited in place misses too. A user's ``--strategy-file`` is never
cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from core.cache import DiskCache

PACKAGES = ("core", "strategies", "engine", "cli")
#: The cache of listings (``$SMALLCAP_CACHE_DIR/strategies/``).
LISTING_CACHE = DiskCache("strategies", ".json", libraries=("pydantic",))


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


def _plugin_files() -> list[str]:
    """The ``.py`` files of the installed packages (not this project's, not a user's strategy
    file) whose strategies are registered: what an in-place edit of a plug-in changes."""
    from strategies import all_strategies

    files: set[str] = set()
    for spec in all_strategies(include_unlisted=True):
        top = spec.cls.__module__.partition(".")[0]
        origin = getattr(sys.modules.get(top), "__file__", None)
        if top in PACKAGES or not origin or top.startswith("smallcap_user_"):  # a --strategy-file
            continue
        origin_path = Path(origin)
        found = (
            origin_path.parent.rglob("*.py") if origin_path.name == "__init__.py" else [origin_path]
        )
        files.update(str(p) for p in found)
    return sorted(files)


def _stats(files: list[str]) -> list[list[Any]]:
    out = []
    for name in files:
        try:
            st = os.stat(name)
        except OSError:
            out.append([name, None, None])
        else:
            out.append([name, st.st_size, st.st_mtime_ns])
    return out


def _read_current(path: Path) -> list[dict[str, Any]]:
    entry = json.loads(path.read_text())
    try:
        plugins, docs = entry["plugins"], entry["docs"]
        current = _stats([name for name, _, _ in plugins])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a listing") from exc
    if current != plugins:
        raise ValueError("a plug-in changed since the listing was saved")
    return docs


def _cached_docs() -> list[dict[str, Any]]:
    path = LISTING_CACHE.path(fingerprint(), label="strategies")
    docs = LISTING_CACHE.read(path, _read_current)
    if docs is not None:
        return docs
    docs = _plain(build_docs())
    entry = json.dumps({"plugins": _stats(_plugin_files()), "docs": docs})
    LISTING_CACHE.write(path, lambda tmp: tmp.write_text(entry))  # skipped when read-only
    return docs


def strategy_docs(
    name: str | None = None, strategy_file: str | None = None
) -> list[dict[str, Any]]:
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
