"""Malformed CSV files: each is an error naming file, row and rule; via the CLI, exit 2, one
line."""

from __future__ import annotations

import pytest
from conftest import assert_one_line_error, write_csv

from core.errors import DataError
from engine.data.readers import read_series_csv
from engine.data.validate import validate_series

HEADER = "date,open,high,low,close,adj_close,volume"
GOOD = [  # real IWM rows, July 2024
    "2024-07-08,201.38,202.56,200.71,201.15,199.43,20823800",
    "2024-07-09,200.79,201.39,199.41,200.27,198.56,17864200",
    "2024-07-10,201.16,202.45,200.37,202.23,200.50,19286100",
    "2024-07-11,206.74,210.05,205.78,209.50,207.71,65443600",
    "2024-07-12,211.73,213.74,211.47,211.95,210.13,50810700",
]


def _text(rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def _replace(i, row):
    rows = list(GOOD)
    rows[i] = row
    return _text(rows)


CASES = {
    "missing_column": (
        _text(
            [",".join(r.split(",")[:3] + r.split(",")[4:]) for r in GOOD],
            "date,open,high,close,adj_close,volume",
        ),
        "line 1",
        "missing column 'low'",
    ),
    "unparseable_date": (
        _replace(2, "2024-07-xx,201.16,202.45,200.37,202.23,200.50,19286100"),
        "line 4",
        "unparseable date",
    ),
    "duplicate_date": (_replace(2, GOOD[1]), "line 4", "unique dates"),
    "unsorted_dates": (_text([GOOD[0], GOOD[2], GOOD[1], GOOD[3]]), "line 4", "sorted ascending"),
    "nan_value": (
        _replace(3, "2024-07-11,206.74,210.05,205.78,,207.71,65443600"),
        "line 5",
        "no NaN",
    ),
    "negative_price": (
        _replace(1, "2024-07-09,-200.79,201.39,199.41,200.27,198.56,17864200"),
        "line 3",
        "prices > 0",
    ),
    "high_below_low": (
        _replace(4, "2024-07-12,211.73,210.00,213.74,211.95,210.13,50810700"),
        "line 6",
        "high >= max(open, close)",
    ),
    "weekend_date": (
        _text(["2024-07-06,200.79,201.39,199.41,200.27,198.56,17864200", *GOOD[:2]]),
        "line 2",
        "NYSE session",
    ),
    "holiday_date": (
        _text(
            [
                "2024-07-03,201.38,202.56,200.71,201.15,199.43,20823800",
                "2024-07-04,201.38,202.56,200.71,201.15,199.43,20823800",
            ]
        ),
        "line 3",
        "NYSE session",
    ),
    "empty_file": ("", "", "empty file"),
    "wrong_delimiter": (
        _text([r.replace(",", ";") for r in GOOD], HEADER.replace(",", ";")),
        "line 1",
        "wrong delimiter",
    ),
    "non_numeric": (
        _replace(0, "2024-07-08,201.38,abc,200.71,201.15,199.43,20823800"),
        "line 2",
        "non-numeric",
    ),
    "negative_volume": (
        _replace(0, "2024-07-08,201.38,202.56,200.71,201.15,199.43,-5"),
        "line 2",
        "volume >= 0",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_csv_is_an_error_naming_file_row_and_rule(tmp_path, case):
    text, where, rule = CASES[case]
    path = write_csv(tmp_path / "IWM.csv", text)
    with pytest.raises(DataError) as info:
        kind, frame = read_series_csv(path)
        validate_series(frame, str(path), kind)
    msg = str(info.value)
    assert str(path) in msg and where in msg and rule in msg, msg
    assert "\n" not in msg


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_csv_through_the_cli_exits_2_with_one_line(tmp_path, cli, case):
    text, where, rule = CASES[case]
    write_csv(tmp_path / "IWM.csv", text)
    result = cli("data", "show", "IWM", "--data", f"csv:{tmp_path}")
    assert_one_line_error(result, "IWM.csv", rule)


def test_good_file_passes_and_yahoo_headers_are_case_insensitive(tmp_path):
    yahoo = _text(GOOD, "Date,Open,High,Low,Close,Adj Close,Volume")
    kind, frame = read_series_csv(write_csv(tmp_path / "IWM.csv", yahoo))
    report = validate_series(frame, "IWM.csv", kind)
    assert kind == "price" and report.rows == 5 and report.missing_sessions == []


def test_missing_sessions_warn_below_threshold_and_fail_above(tmp_path):
    kind, frame = read_series_csv(write_csv(tmp_path / "a.csv", _text([GOOD[0], GOOD[2], GOOD[4]])))
    report = validate_series(frame, "a.csv", kind, max_missing=2)
    assert report.missing_sessions == ["2024-07-09", "2024-07-11"] and report.warnings
    with pytest.raises(DataError, match="2 NYSE sessions missing, first 2024-07-09"):
        validate_series(frame, "a.csv", kind, max_missing=1)


def test_verify_of_a_bad_csv_folder_reports_and_exits_2(tmp_path, cli):
    write_csv(tmp_path / "IWM.csv", CASES["duplicate_date"][0])
    write_csv(tmp_path / "SPY.csv", _text(GOOD))
    result = cli("data", "verify", "--data", f"csv:{tmp_path}", "--json")
    assert result.code == 2
    assert '"ok": false' in result.stdout and "IWM" in result.stderr


# ----- the fast reader and the careful reader agree --------------------------------------------
CLEAN_VARIANTS = {
    "ours": _text(GOOD),
    "yahoo header": _text(GOOD, "Date,Open,High,Low,Close,Adj Close,Volume"),
    "spaces after commas": _text([", ".join(r.split(",")) for r in GOOD]),
    "whole-number prices": _text(["2024-07-08,201,202,200,201,199,20823800", *GOOD[1:]]),
    "no adj_close": _text(
        [",".join(r.split(",")[:5] + r.split(",")[6:]) for r in GOOD],
        "date,open,high,low,close,volume",
    ),
    "an index level": "date,close\n2024-07-08,2049.50\n2024-07-09,2037.13\n",
    "a macro value, NaN spelled out": (
        "date,value\n2024-07-08,4.62\n2024-07-09,null\n2024-07-10,.\n"
    ),
    "ISO timestamps": _text([r.replace("2024-07-08", "2024-07-08T00:00:00") for r in GOOD]),
    "an unparseable number": _replace(2, "2024-07-10,201.16,202.45,200.37,2O2.23,200.50,19286100"),
}


FAST = [
    "ours",
    "yahoo header",
    "spaces after commas",
    "whole-number prices",
    "no adj_close",
    "an index level",
]


@pytest.mark.parametrize("case", CLEAN_VARIANTS)
def test_fast_and_careful_readers_give_the_same_frame_or_error(tmp_path, case):
    """Clean files take the fast path; the rest fall back; either way the careful reader's
    result."""
    from engine.data.readers import _read_careful, _read_clean

    path = write_csv(tmp_path / "X.csv", CLEAN_VARIANTS[case])
    assert (_read_clean(path, None) is not None) == (case in FAST)
    try:
        expected = _read_careful(path, None)
    except DataError as exc:
        with pytest.raises(DataError, match=str(exc.args[0])[:40].replace("(", r"\(")):
            read_series_csv(path)
        return
    kind, frame = read_series_csv(path)
    assert (
        kind == expected[0]
        and frame.equals(expected[1])
        and list(frame.columns) == list(expected[1].columns)
    )


def test_fast_reader_reads_every_bundled_file_as_the_careful_one_does():
    from engine.data.catalog import bundled_files
    from engine.data.readers import _read_careful, _read_clean

    for symbol, f in bundled_files().items():
        fast = _read_clean(f.path, f.kind)
        assert fast is not None, f"{symbol}: the fast path declined a clean bundled file"
        careful = _read_careful(f.path, f.kind)
        assert fast[0] == careful[0] and fast[1].equals(careful[1]), symbol
