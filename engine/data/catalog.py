"""What the bundled data set holds: symbol -> kind and file, read from the package folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Folder -> series kind. ``price``: tradable OHLCV with adj_close; ``index``: a level (close
#: only); ``macro``: a published value (yield in percent, VIX points), aligned as-of.
_FOLDER_KIND = {"etf": "price", "index": "index", "macro": "macro"}

#: Yahoo tickers for the symbols whose Yahoo name differs from ours.
YAHOO_TICKERS = {"RUT": "^RUT", "GSPC": "^GSPC", "VIXCLS": "^VIX"}


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
            out[path.stem.upper()] = BundledFile(path.stem.upper(), kind, path, f"{folder}/{path.name}")
    return out
