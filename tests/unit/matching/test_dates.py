"""Date-of-birth parsing (matching.dates): every domain §4 format and flag."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.dates import COLUMNS, normalise_dates

Row = tuple[int | None, int | None, int | None, str | None, set[str]]


def parse(raw: str | None) -> dict:
    frame = normalise_dates(pl.DataFrame({"dob": [raw]}, schema={"dob": pl.String}), "dob")
    return frame.row(0, named=True)


def summary(raw: str | None) -> Row:
    row = parse(raw)
    flags = {f for f in ("placeholder", "impossible", "month_first", "unparseable")
             if row[f"dob_{f}"]}
    return row["dob_year"], row["dob_month"], row["dob_day"], row["dob_precision"], flags


@pytest.mark.parametrize("raw, expected", [
    # Day first, in every separator and width.
    ("15/06/1980", (1980, 6, 15, "day", set())),
    ("5/6/1980", (1980, 6, 5, "day", set())),
    ("05-06-1980", (1980, 6, 5, "day", set())),
    ("05.06.1980", (1980, 6, 5, "day", set())),
    (" 15/06/1980 ", (1980, 6, 15, "day", set())),
    # Registry formats and ISO with a time.
    ("1980-06-15", (1980, 6, 15, "day", set())),
    ("1980-06-15 00:00:00", (1980, 6, 15, "day", set())),
    ("1980-06", (1980, 6, None, "month", set())),
    ("06/1980", (1980, 6, None, "month", set())),
    ("1980", (1980, None, None, "year", set())),
    # Year-only births written as 01/01 or 00/00: precision year.
    ("01/01/1980", (1980, None, None, "year", {"placeholder"})),
    ("1/1/1980", (1980, None, None, "year", {"placeholder"})),
    ("1980-01-01", (1980, None, None, "year", {"placeholder"})),
    ("00/00/1980", (1980, None, None, "year", {"placeholder"})),
    ("1980-00", (1980, None, None, "year", {"placeholder"})),
    ("15/00/1980", (1980, None, None, "year", {"placeholder"})),
    ("00/06/1980", (1980, 6, None, "month", {"placeholder"})),
    # Impossible dates: flagged, the year kept, no crash.
    ("29/02/1981", (1981, None, None, "year", {"impossible"})),
    ("29/02/1900", (1900, None, None, "year", {"impossible"})),
    ("30/02/1980", (1980, None, None, "year", {"impossible"})),
    ("31/04/1980", (1980, None, None, "year", {"impossible"})),
    ("13/13/1980", (1980, None, None, "year", {"impossible"})),
    ("1980-13-01", (1980, None, None, "year", {"impossible"})),
    ("32/01/1980", (1980, None, None, "year", {"impossible"})),
    # Leap years are possible.
    ("29/02/1980", (1980, 2, 29, "day", set())),
    ("29/02/2000", (2000, 2, 29, "day", set())),
    # mm/dd only where day > 12 proves it.
    ("06/15/1980", (1980, 6, 15, "day", {"month_first"})),
    ("02/30/1980", (1980, None, None, "year", {"month_first", "impossible"})),
    ("05/06/1980", (1980, 6, 5, "day", set())),
    # Unparseable and empty.
    ("abc", (None, None, None, None, {"unparseable"})),
    ("15/06/80", (None, None, None, None, {"unparseable"})),
    ("0000", (None, None, None, None, {"unparseable"})),
    ("", (None, None, None, None, set())),
    (None, (None, None, None, None, set())),
])
def test_formats(raw: str | None, expected: Row) -> None:
    assert summary(raw) == expected


def test_registry_first_of_january_can_be_a_real_date() -> None:
    frame = pl.DataFrame({"dob": ["1980-01-01", "1980", "00/00/1980"]})
    out = normalise_dates(frame, "dob", jan_first_is_placeholder=False)
    assert out.get_column("dob_precision").to_list() == ["day", "year", "year"]
    assert out.get_column("dob_placeholder").to_list() == [False, False, True]


def test_date_only_at_day_precision() -> None:
    assert parse("15/06/1980")["dob_date"] == dt.date(1980, 6, 15)
    assert parse("1980-06")["dob_date"] is None
    assert parse("01/01/1980")["dob_date"] is None


def test_keeps_raw_and_adds_columns() -> None:
    raws = ["31/04/1980", "1980"]
    out = normalise_dates(pl.DataFrame({"date_of_birth": raws}), "date_of_birth")
    assert out.columns == ["date_of_birth", *[f"date_of_birth_{c}" for c in COLUMNS]]
    assert out.get_column("date_of_birth").to_list() == raws


@given(st.dates(dt.date(1800, 1, 1), dt.date(2199, 12, 31)))
def test_day_first_and_iso_agree(day: dt.date) -> None:
    """The registry's ISO form and a source's dd/mm/yyyy read the same date."""
    iso, vn = parse(day.isoformat()), parse(day.strftime("%d/%m/%Y"))
    for column in ("dob_year", "dob_month", "dob_day", "dob_precision", "dob_date"):
        assert iso[column] == vn[column]
    if (day.month, day.day) != (1, 1):
        assert iso["dob_date"] == day


@given(st.text(max_size=20))
def test_never_crashes(raw: str) -> None:
    row = parse(raw)
    assert row["dob_precision"] in (None, "day", "month", "year")
