"""Bundled research tables that are not tradable series: Fama-French daily factors and FOMC
target changes (``engine/data/bundled/factors`` and ``events``; see their README).

* :func:`load_factors`: daily Mkt-RF, SMB, HML (Fama & French 1993), MOM (Carhart 1997) and the
  1-month T-bill return ``rf`` of the Kenneth R. French data library, as **fractions** per session
  (the files hold percent). A factor dated D is the return of session D (no publication lag
  applies: attribution explains returns after the fact, it is never a signal).
* :func:`load_fomc_changes`: every change of the federal funds target, dated by its announcement.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from core.errors import DataError
from engine.data.catalog import bundled_root
from engine.data.files import digest_of

#: The factor columns a regression uses, in the order of the Carhart (1997) four-factor model.
FACTORS = ("mkt_rf", "smb", "hml", "mom")


def _read(relpath: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = bundled_root() / relpath
    frame = pd.read_csv(path)
    missing = [c for c in ("date", *columns) if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)} (rule: bundled layout)",
            "restore the file from the package (see SHA256SUMS)",
        )
    index = pd.DatetimeIndex(pd.to_datetime(frame["date"], format="%Y-%m-%d"), name="date")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise DataError(
            f"{path}: dates not sorted and unique (rule: sorted unique dates)",
            "restore the file from the package (see SHA256SUMS)",
        )
    return frame.set_index(index)[list(columns)]


def _digest(*relpaths: str) -> str:
    """The content key of bundled files: an edited file is read again, never served stale."""
    return digest_of(*(bundled_root() / r for r in relpaths))


@lru_cache(maxsize=2)
def _factors(digest: str) -> pd.DataFrame:
    ff3 = _read("factors/FF3.csv", ("mkt_rf", "smb", "hml", "rf"))
    mom = _read("factors/MOM.csv", ("mom",))
    return (ff3.join(mom, how="inner") / 100.0)[[*FACTORS, "rf"]]


def load_factors() -> pd.DataFrame:
    """Daily factor returns as fractions: columns ``mkt_rf, smb, hml, mom, rf`` (``rf``: the
    1-month T-bill return of that session), indexed by session date, 1987-01-02 onward."""
    return _factors(_digest("factors/FF3.csv", "factors/MOM.csv")).copy()


@lru_cache(maxsize=2)
def _fomc(digest: str) -> pd.DataFrame:
    return _read("events/FOMC.csv", ("effective", "change_bps", "target_after"))


def load_fomc_changes() -> pd.DataFrame:
    """Federal funds target changes, indexed by announcement date (the FOMC statement day from
    1994; FRED's date before): ``change_bps`` (negative = a cut; from 2008-12-16 the change of
    the range's upper bound), ``target_after`` (percent), ``effective`` (FRED's date, text)."""
    return _fomc(_digest("events/FOMC.csv")).copy()
