"""The CSV-file source behind ``bundled`` and ``csv:DIR`` (the Yahoo source builds on both).

The interface it implements, and how a source is named and opened, are
``engine.data.sources``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from core.errors import DataError, UserError
from engine.data.catalog import bundled_files
from engine.data.parsed_cache import entry_path, load_entry, save_entry
from engine.data.readers import read_series_csv
from engine.data.sources import RawSeries, Source, SourceOptions
from engine.data.validate import validate_series


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}


def content_digest(path: Path) -> str:
    """sha256 of ``path``'s bytes, hashed again whenever the file may have changed: its size,
    inode, modification or status-change time (``st_ctime_ns`` moves on every write and cannot be
    set back) differ from the last hash in this process."""
    st = path.stat()
    key = (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    known = _DIGESTS.get(str(path))
    if known is None or known[0] != key:
        known = (key, sha256_file(path))
        _DIGESTS[str(path)] = known
    return known[1]


def digest_of(*paths: Path) -> str:
    """One content digest of several files (the sha256 of their sha256s, in order): the key of a
    cache built from them, so that an edited file is a new key."""
    return hashlib.sha256("".join(content_digest(Path(p)) for p in paths).encode()).hexdigest()


Listing = Mapping[str, tuple[Path, str | None]]


class CsvFilesSource(Source):
    """Symbols read from CSV files: ``files`` maps symbol -> (path, kind or None to infer);
    ``lister``, when given, lists them again on every call (a folder's files may be added,
    removed or renamed while a process keeps this source).

    Series read once are kept under their file's content digest, so an edited file is read
    again (a sweep's workers keep one source for many variants, a Dask worker for many sweeps)."""

    def __init__(
        self, name: str, files: Listing, lister: Callable[[], Listing] | None = None
    ) -> None:
        self.name = name
        self._files = files
        self._lister = lister
        self._cache: dict[tuple[str, str], RawSeries] = {}

    def _listing(self) -> Listing:
        if self._lister is not None:
            self._files = self._lister()
        return self._files

    def available(self) -> dict[str, str]:
        return {s: (k or "?") for s, (_, k) in self._listing().items()}

    def load(self, symbol: str) -> RawSeries:
        symbol = symbol.upper()
        files = self._listing()
        if symbol not in files:
            raise self._unknown(symbol)
        path, kind = files[symbol]
        if not path.is_file():
            raise DataError(
                f"{path}: not a readable file (a folder, or a link to nothing) (rule: one CSV file "
                "per symbol)",
                "replace it with the CSV file, or remove it",
            )
        sha = content_digest(path)
        if (symbol, sha) not in self._cache:
            entry = entry_path(sha, str(path), kind)
            parsed = load_entry(entry)
            # not read and checked before (or the file, a rule or the calendar changed)
            if parsed is None:
                kind, frame = read_series_csv(path, kind)
                report = validate_series(frame, str(path), kind)
                parsed = kind, frame.drop(columns="_line"), report
                save_entry(entry, *parsed)
            kind, frame, report = parsed
            # the old content
            self._cache = {k: v for k, v in self._cache.items() if k[0] != symbol}
            self._cache[(symbol, sha)] = RawSeries(symbol, kind, frame, str(path), sha, report)
        return self._cache[(symbol, sha)]


def bundled_source() -> CsvFilesSource:
    """The shipped data set (the default everywhere)."""
    return CsvFilesSource("bundled", _bundled_listing(), _bundled_listing)


def _bundled_listing() -> Listing:
    return {s: (f.path, f.kind) for s, f in bundled_files().items()}


def csv_dir_source(directory: str | Path) -> CsvFilesSource:
    """User CSV files, one per symbol named ``SYMBOL.csv``, in ``directory`` or its sub-folders,
    listed again on every call (see :class:`CsvFilesSource`)."""
    root = Path(directory).expanduser()
    return CsvFilesSource(f"csv:{root}", _csv_dir_files(root), partial(_csv_dir_files, root))


def _csv_dir_files(root: Path) -> Listing:
    """The ``SYMBOL.csv`` files in ``root`` and its sub-folders (hidden folders skipped)."""
    if not root.is_dir():
        raise UserError(
            f"csv data folder '{root}' does not exist",
            "pass --data csv:DIR with an existing folder",
        )
    files: dict[str, tuple[Path, str | None]] = {}
    for path in sorted(root.rglob("*.csv")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # hidden folders (editor backups, checkpoints) are not data
        symbol = path.stem.upper()
        if symbol in files:
            raise DataError(f"two files for {symbol} in {root}: {files[symbol][0]} and {path} "
                            "(rule: one CSV file per symbol)", "remove or rename one of them")
        files[symbol] = (path, None)
    if not files:
        raise UserError(f"no .csv files in '{root}'", "name one file per symbol, e.g. IWM.csv")
    return files


def open_bundled(argument: str = "", options: SourceOptions | None = None) -> CsvFilesSource:
    """Opener of ``bundled`` (see ``engine.data.sources.SOURCES``; it takes no argument)."""
    return bundled_source()


def open_csv_dir(argument: str, options: SourceOptions | None = None) -> CsvFilesSource:
    """Opener of ``csv:DIR``: the folder ``argument``."""
    return csv_dir_source(argument)
