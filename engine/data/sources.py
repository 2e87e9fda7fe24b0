"""Where market data comes from: ``bundled`` (shipped, offline), ``csv:DIR`` and ``yahoo``.

A source answers two questions: which symbols it has (:meth:`Source.available`) and the raw,
validated frame of one symbol (:meth:`Source.load`). Every frame passes ``validate_series``.
The types live in ``engine.data.files``; the Yahoo source in ``engine.data.yahoo``.
"""

from __future__ import annotations

from core.errors import UserError
from engine.data.files import CsvFilesSource, RawSeries, Source, bundled_source, csv_dir_source
from engine.data.yahoo import YahooSource  # imports yfinance only when it downloads


def open_source(spec: str = "bundled", *, cache_dir: str | None = None, offline: bool = False) -> Source:
    """Turn ``bundled`` / ``csv:DIR`` / ``yahoo`` into a :class:`Source`.

    ``cache_dir`` and ``offline`` apply to ``yahoo`` only (see ``engine.data.yahoo``).
    """
    spec = (spec or "bundled").strip()
    if spec == "bundled":
        return bundled_source()
    if spec.startswith("csv:"):
        if not spec[4:].strip():
            raise UserError("--data csv: names no folder", "write --data csv:DIR, e.g. --data csv:./my_prices")
        return csv_dir_source(spec[4:])
    if spec == "yahoo":
        return YahooSource(cache_dir=cache_dir, offline=offline)
    raise UserError(f"unknown data source '{spec}'", "use bundled, yahoo or csv:DIR")


__all__ = ["RawSeries", "Source", "open_source", "bundled_source", "csv_dir_source", "CsvFilesSource"]
