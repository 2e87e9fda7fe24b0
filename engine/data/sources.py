"""Where market data comes from: the :class:`Source` interface, and every source by name.

A source answers two questions: which symbols it has (:meth:`Source.available`) and the raw,
validated frame of one symbol (:meth:`Source.load`, a :class:`RawSeries`; every frame passes
``engine.data.validate.validate_series``). Users name a source with a word, and some sources take
an argument after a colon: ``bundled`` (shipped, offline), ``yahoo`` (live, cached), ``csv:DIR``
(a folder of CSV files). That grammar is parsed here and nowhere else
(:func:`parse_source_spec`); the config (``DataConfig.source``) and :func:`open_source` both
use it.

Adding a source: one module with a :class:`Source` subclass and an opener
``open_x(argument: str, options: SourceOptions) -> Source``, and one line in :data:`SOURCES`.
The built-in ones: ``engine.data.files`` (``bundled``, ``csv:DIR``) and ``engine.data.yahoo``.
Openers are named by their import path, so a source's module (and its libraries) loads only
when it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from core.errors import UserError, did_you_mean
from core.lazy import lazy_exports

if TYPE_CHECKING:
    import pandas as pd

    from engine.data.validate import ValidationReport


@dataclass
class RawSeries:
    """One validated series as a source delivered it (not yet adjusted or aligned)."""

    symbol: str
    kind: str
    frame: pd.DataFrame
    origin: str  # file path or 'yahoo:TICKER'
    sha256: str
    report: ValidationReport


class Source:
    """Base class: ``name`` is how the user spells the source (``bundled``, ``csv:DIR``...)."""

    name = "source"

    def available(self) -> dict[str, str]:
        """Symbol -> kind (``price``, ``index``, ``macro``) for everything this source delivers."""
        raise NotImplementedError

    def load(self, symbol: str) -> RawSeries:
        """The validated raw series for ``symbol``; :class:`UserError` if unknown."""
        raise NotImplementedError

    def _unknown(self, symbol: str) -> UserError:
        return UserError(f"unknown symbol '{symbol}' in data source {self.name}",
                         did_you_mean(symbol, self.available()))


@dataclass(frozen=True)
class SourceOptions:
    """Options of :func:`open_source` that some sources use (the others ignore them)."""

    cache_dir: str | None = None  # where a live source keeps what it downloaded
    offline: bool = False  # a live source reads its cache only


#: Every data source by the word a user writes: (opener as ``module:function``, the argument it
#: takes after a colon, "" for none). Adding a source is one line here (see the module docstring).
SOURCES: dict[str, tuple[str, str]] = {
    "bundled": ("engine.data.files:open_bundled", ""),
    "yahoo": ("engine.data.yahoo:open_yahoo", ""),
    "csv": ("engine.data.files:open_csv_dir", "DIR"),
}


class SourceSpecError(ValueError):
    """A data-source spelling that names no source (a ValueError, so that pydantic reports it
    under the config key it came from)."""

    def __init__(self, cause: str, hint: str) -> None:
        super().__init__(f"{cause} ({hint})")
        self.cause, self.hint = cause, hint


def spellings() -> str:
    """How the sources are written, for messages: ``bundled, yahoo or csv:DIR``."""
    words = [f"{name}:{arg}" if arg else name for name, (_, arg) in SOURCES.items()]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def parse_source_spec(spec: str | None) -> tuple[str, str]:
    """``bundled`` -> ("bundled", ""), ``csv:DIR`` -> ("csv", "DIR"); empty means ``bundled``.
    :class:`SourceSpecError` for an unknown word, a missing argument or an unexpected one."""
    text = (spec or "bundled").strip()
    word, colon, argument = text.partition(":")
    word, argument = word.strip().lower(), argument.strip()
    if word not in SOURCES:
        raise SourceSpecError(f"unknown data source '{text}'", f"use {spellings()}")
    takes = SOURCES[word][1]
    if takes and not argument:
        raise SourceSpecError(f"{word}: names no {'folder' if takes == 'DIR' else takes}",
                              f"write {word}:{takes}, e.g. {word}:./my_prices")
    if colon and not takes:
        raise SourceSpecError(f"data source '{word}' takes nothing after ':' (got '{text}')",
                              f"use {spellings()}")
    return word, argument


def normalize_source_spec(spec: str | None) -> str:
    """The spelling a config keeps: checked, trimmed (``bundled`` for empty)."""
    word, argument = parse_source_spec(spec)
    return f"{word}:{argument}" if SOURCES[word][1] else word


def open_source(spec: str = "bundled", *, cache_dir: str | None = None,
                offline: bool = False) -> Source:
    """The :class:`Source` a spelling names (see :data:`SOURCES`). ``cache_dir`` and ``offline``
    apply to live sources only (``yahoo``: see ``engine.data.yahoo``)."""
    try:
        word, argument = parse_source_spec(spec)
    except SourceSpecError as exc:
        raise UserError(exc.cause, exc.hint) from None
    module, _, function = SOURCES[word][0].partition(":")
    opener = getattr(import_module(module), function)
    return opener(argument, SourceOptions(cache_dir=cache_dir, offline=offline))


# the built-in sources' types, importable from here as before
__getattr__ = lazy_exports(__name__, {"CsvFilesSource": "engine.data.files",
                                      "bundled_source": "engine.data.files",
                                      "csv_dir_source": "engine.data.files",
                                      "YahooSource": "engine.data.yahoo"})

__all__ = ["RawSeries", "Source", "SourceOptions", "SOURCES", "open_source", "parse_source_spec",
           "normalize_source_spec"]
