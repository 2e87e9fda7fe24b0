"""The shipped data set: checksums, catalog, and what `smallcap data list/verify` report."""

from __future__ import annotations

import hashlib
import json

from engine.data.catalog import bundled_files

EXPECTED = {  # symbol: (kind, first, last), from the data set's README
    "IWM": ("price", "2000-05-26", "2025-09-26"), "SPY": ("price", "1993-01-29", "2025-09-26"),
    "QQQ": ("price", "1999-03-10", "2025-09-26"), "MDY": ("price", "1995-05-04", "2025-09-26"),
    "VTI": ("price", "2001-06-15", "2025-09-26"), "SHY": ("price", "2002-07-30", "2025-09-26"),
    "IEF": ("price", "2002-07-30", "2025-09-26"), "TLT": ("price", "2002-07-30", "2025-09-26"),
    "BIL": ("price", "2007-05-30", "2025-09-26"), "AGG": ("price", "2003-09-29", "2025-09-26"),
    "RUT": ("index", "1987-09-10", "2025-09-24"), "GSPC": ("index", "1987-01-02", "2025-09-24"),
    "DGS2": ("macro", "1987-01-02", "2025-09-25"), "DGS10": ("macro", "1987-01-02", "2025-09-25"),
    "VIXCLS": ("macro", "1990-01-02", "2025-09-25"),
    "RSP": ("price", "2005-01-03", "2025-09-26"), "IJR": ("price", "2005-01-03", "2025-09-26"),
    "VB": ("price", "2005-01-03", "2025-09-26"), "IWB": ("price", "2000-05-19", "2025-09-26"),
    "IWN": ("price", "2000-07-28", "2025-09-25"), "XLK": ("price", "1998-12-22", "2025-09-25"),
    "AAPL": ("price", "2011-01-03", "2025-09-26"), "MSFT": ("price", "2011-01-03", "2025-09-26"),
    "NVDA": ("price", "2011-01-03", "2025-09-26"),
    "EFA": ("price", "2005-01-03", "2025-09-26"), "GLD": ("price", "2005-01-03", "2025-09-26"),
    "DTB3": ("macro", "1987-01-02", "2025-09-26"), "DFF": ("macro", "1987-01-02", "2025-09-26"),
    "DFEDTAR": ("macro", "1987-01-02", "2008-12-15"),
    "DFEDTARU": ("macro", "2008-12-16", "2025-09-26"),
    "DFEDTARL": ("macro", "2008-12-16", "2025-09-26"),
}


def test_shipped_files_match_sha256sums(bundled):
    listed = {}
    for line in (bundled / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split()
        listed[rel] = digest
    present = {p.relative_to(bundled).as_posix() for p in bundled.rglob("*.csv")}
    assert present == set(listed), "a CSV was added or removed without updating SHA256SUMS"
    for rel, digest in listed.items():
        assert hashlib.sha256((bundled / rel).read_bytes()).hexdigest() == digest, rel
    assert (bundled / "README.md").exists()


def test_catalog_has_every_bundled_series():
    files = bundled_files()
    assert set(files) == set(EXPECTED)
    assert {s: f.kind for s, f in files.items()} == {s: e[0] for s, e in EXPECTED.items()}


def test_data_list_json_reports_true_first_and_last_dates(cli):
    result = cli("data", "list", "--json")
    assert result.code == 0, result.stderr
    rows = {r["symbol"]: r for r in json.loads(result.stdout)}
    assert set(rows) == set(EXPECTED)
    for symbol, (kind, first, last) in EXPECTED.items():
        assert (rows[symbol]["kind"], rows[symbol]["first"], rows[symbol]["last"]) == (
            kind,
            first,
            last,
        )
        assert rows[symbol]["source"] == "bundled"


def test_data_verify_passes_on_bundled(cli):
    result = cli("data", "verify", "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] is True
    assert len(doc["series"]) == len(EXPECTED)
    assert all(r["missing_sessions"] == 0 for r in doc["series"] if r["kind"] != "macro")


def test_data_show_prints_adjusted_rows(cli):
    result = cli("data", "show", "IWM", "--start", "2024-07-08", "--end", "2024-07-12", "--json")
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [r["date"] for r in rows] == [
        "2024-07-08",
        "2024-07-09",
        "2024-07-10",
        "2024-07-11",
        "2024-07-12",
    ]
    # 2024-07-11: the first day of July 2024's breadth thrust, IWM up more than 3%
    assert rows[3]["close"] / rows[2]["close"] - 1 > 0.03
