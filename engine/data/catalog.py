"""What the bundled data set holds: symbol -> kind and file, read from the package folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Folder -> series kind. ``price``: tradable OHLCV with adj_close; ``index``: a level (close
#: only); ``macro``: a published value (yield in percent, VIX points), aligned as-of.
_FOLDER_KIND = {"etf": "price", "stock": "price", "index": "index", "macro": "macro"}

@dataclass(frozen=True)
class BundledFile:
    """One bundled CSV: its symbol, kind, path and the path relative to the bundle root."""

    symbol: str
    kind: str
    path: Path
    relpath: str


def bundled_root() -> Path:
    """Folder of the shipped CSVs (``engine/data/bundled``), wherever the package is installed."""
    return Path(__file__).resolve().parent / "bundled"


def bundled_files() -> dict[str, BundledFile]:
    """Every bundled series by symbol, in the order etf, index, macro."""
    root = bundled_root()
    out: dict[str, BundledFile] = {}
    for folder, kind in _FOLDER_KIND.items():
        for path in sorted((root / folder).glob("*.csv")):
            out[path.stem.upper()] = BundledFile(
                path.stem.upper(), kind, path, f"{folder}/{path.name}"
            )
    return out


def file_range(path: Path) -> tuple[str, str]:
    """(first date, last date) of a bundled CSV from its first and last lines, without parsing
    it."""
    with open(path, "rb") as f:
        f.readline()
        first = f.readline().split(b",", 1)[0].decode()
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 512))
        last = f.read().strip().splitlines()[-1].split(b",", 1)[0].decode()
    return first, last


def bundled_window(symbols: list[str]) -> dict:
    """The window the bundled data allows for ``symbols``: the latest first date and earliest last
    date, with the symbols that set them (unknown symbols are listed under ``missing``)."""
    files = bundled_files()
    ranges = {s: file_range(files[s].path) for s in symbols if s in files}
    if not ranges:
        return {
            "start": None,
            "end": None,
            "limited_by": None,
            "ended_by": None,
            "missing": list(symbols),
        }
    start = max(ranges, key=lambda s: ranges[s][0])
    end = min(ranges, key=lambda s: ranges[s][1])
    ends_differ = len({r[1] for r in ranges.values()}) > 1
    return {
        "start": ranges[start][0],
        "end": ranges[end][1],
        "limited_by": start,
        "ended_by": end if ends_differ else None,
        "missing": [s for s in symbols if s not in files],
    }
