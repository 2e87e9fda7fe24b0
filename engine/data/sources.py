"""Where market data comes from: the :class:`Source` interface, and every source by name.

A source answers two questions: which symbols it has (:meth:`Source.available`) and the raw,
validated frame of one symbol (:meth:`Source.load`, a :class:`RawSeries`; every frame passes
``engine.data.validate.validate_series``). Users name a source with a word, and some sources take
an argument after a colon: ``bundled`` (shipped, offline), ``yahoo`` (live, cached), ``csv:DIR``
(a folder of CSV files). That grammar is parsed here and nowhere else
(:func:`parse_source_spec`); the config (``DataConfig.source``) and :func:`open_source` both
use it.

Adding a source: one module with a :class:`Source` subclass and an opener
``open_x(argument: str, options: SourceOptions) -> Source``, and one line in :data:`SOURCES`
(a :class:`SourceEntry`). A source that downloads is marked ``live`` there and implements
:meth:`Source.fetch`; nothing outside this module knows a source by name. The built-in ones:
``engine.data.files`` (``bundled``, ``csv:DIR``) and ``engine.data.yahoo``. Openers are named
by their import path, so a source's module (and its libraries) loads only when it is opened.
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


@dataclass(frozen=True)
class Fetched:
    """What :meth:`Source.fetch` brought into a live source's store for one symbol."""

    symbol: str
    first: str  # first and last session stored, YYYY-MM-DD
    last: str
    rows: int
    path: str  # where it is kept


class Source:
    """Base class: ``name`` is how the user spells the source (``bundled``, ``csv:DIR``...)."""

    name = "source"

    def available(self) -> dict[str, str]:
        """Symbol -> kind (``price``, ``index``, ``macro``) for everything this source delivers."""
        raise NotImplementedError

    def load(self, symbol: str) -> RawSeries:
        """The validated raw series for ``symbol``; :class:`UserError` if unknown."""
        raise NotImplementedError

    def fetch(self, symbol: str, start: str | None = None) -> Fetched:
        """Download ``symbol`` into this source's store, or bring it up to date, fetching only
        what is missing (``start``: the earliest date, YYYY-MM-DD; default the source's own).
        Only live sources download; the others say so in one line."""
        live = ", ".join(live_sources()) or "none is registered"
        raise UserError(f"data source {self.name} downloads nothing: it is not a live source",
                        f"fetch from a live source: {live}")

    def _unknown(self, symbol: str) -> UserError:
        return UserError(f"unknown symbol '{symbol}' in data source {self.name}",
                         did_you_mean(symbol, self.available()))


@dataclass(frozen=True)
class SourceOptions:
    """Options of :func:`open_source` that some sources use (the others ignore them)."""

    cache_dir: str | None = None  # where a live source keeps what it downloaded
    offline: bool = False  # a live source reads its cache only


@dataclass(frozen=True)
class SourceEntry:
    """How a source is registered: its opener (``module:function``), what it takes after a colon
    ("" for nothing, e.g. ``DIR``), and whether it is ``live``: it downloads into a cache, so
    ``smallcap data fetch`` refreshes it and a saved run is re-read from that cache, offline."""

    opener: str
    argument: str = ""
    live: bool = False


#: Every data source by the word a user writes. Adding a source is one line here (see the module
#: docstring).
SOURCES: dict[str, SourceEntry] = {
    "bundled": SourceEntry("engine.data.files:open_bundled"),
    "yahoo": SourceEntry("engine.data.yahoo:open_yahoo", live=True),
    "csv": SourceEntry("engine.data.files:open_csv_dir", argument="DIR"),
}


class SourceSpecError(ValueError):
    """A data-source spelling that names no source (a ValueError, so that pydantic reports it
    under the config key it came from)."""

    def __init__(self, cause: str, hint: str) -> None:
        super().__init__(f"{cause} ({hint})")
        self.cause, self.hint = cause, hint


def spellings() -> str:
    """How the sources are written, for messages: ``bundled, yahoo or csv:DIR``."""
    words = [f"{name}:{e.argument}" if e.argument else name for name, e in SOURCES.items()]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def parse_source_spec(spec: str | None) -> tuple[str, str]:
    """``bundled`` -> ("bundled", ""), ``csv:DIR`` -> ("csv", "DIR"); empty means ``bundled``.
    :class:`SourceSpecError` for an unknown word, a missing argument or an unexpected one."""
    text = (spec or "bundled").strip()
    word, colon, argument = text.partition(":")
    word, argument = word.strip().lower(), argument.strip()
    if word not in SOURCES:
        raise SourceSpecError(f"unknown data source '{text}'", f"use {spellings()}")
    takes = SOURCES[word].argument
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
    return f"{word}:{argument}" if SOURCES[word].argument else word


def live_sources() -> list[str]:
    """The spellings of the sources that download (``live``), in registration order; the
    first is where ``smallcap data fetch`` fetches by default."""
    return [word for word, entry in SOURCES.items() if entry.live]


def is_live(spec: str | None) -> bool:
    """Whether the source a spelling names downloads (a bad spelling: a UserError)."""
    try:
        return SOURCES[parse_source_spec(spec)[0]].live
    except SourceSpecError as exc:
        raise UserError(exc.cause, exc.hint) from None


def open_source(spec: str = "bundled", *, cache_dir: str | None = None,
                offline: bool = False) -> Source:
    """The :class:`Source` a spelling names (see :data:`SOURCES`). ``cache_dir`` and ``offline``
    apply to live sources only (``yahoo``: see ``engine.data.yahoo``)."""
    try:
        word, argument = parse_source_spec(spec)
    except SourceSpecError as exc:
        raise UserError(exc.cause, exc.hint) from None
    module, _, function = SOURCES[word].opener.partition(":")
    opener = getattr(import_module(module), function)
    return opener(argument, SourceOptions(cache_dir=cache_dir, offline=offline))


# the built-in sources' types, importable from here as before
__getattr__ = lazy_exports(__name__, {"CsvFilesSource": "engine.data.files",
                                      "bundled_source": "engine.data.files",
                                      "csv_dir_source": "engine.data.files",
                                      "YahooSource": "engine.data.yahoo"})

__all__ = ["Fetched", "RawSeries", "Source", "SourceEntry", "SourceOptions", "SOURCES", "is_live",
           "live_sources", "open_source", "parse_source_spec", "normalize_source_spec"]
