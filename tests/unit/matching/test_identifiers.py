"""Identifier cleaning, classification and decoding (matching.identifiers): domain §2."""

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.identifiers import (
    COLUMNS,
    FIELD_KINDS,
    check_id_against_record,
    known_prefixes,
    normalise_identifiers,
)

W = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst_check_digit(first9: str) -> int | None:
    """Domain §2, written independently of the module: None when never issued."""
    remainder = sum(int(d) * w for d, w in zip(first9, W, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def classify(field: str, raw: str | None) -> dict:
    frame = pl.DataFrame({field: [raw]}, schema={field: pl.String})
    row = normalise_identifiers(frame, field).row(0, named=True)
    return {c: row[f"{field}_{c}"] for c in COLUMNS}


@pytest.mark.parametrize("field, raw, value, kind, reason", [
    # id_number: 12 digits, 11 (lost zero), 9 (CMND); spaces, dashes, dots removed.
    ("id_number", "079080001234", "079080001234", "personal_id", None),
    ("id_number", "79080001234", "079080001234", "personal_id", None),
    ("id_number", "079 080 001 234", "079080001234", "personal_id", None),
    ("id_number", "079-080.001 234", "079080001234", "personal_id", None),
    ("id_number", "123456789", "123456789", "old_id", None),
    ("id_number", "0123456789", "0123456789", "invalid", "length"),
    ("id_number", "07908000123A", "07908000123A", "invalid", "format"),
    ("id_number", "", "", None, None),
    ("id_number", None, None, None, None),
    # bhxh_code: 10 digits or a 12-digit personal ID.
    ("bhxh_code", "0100109106", "0100109106", "bhxh", None),
    ("bhxh_code", "079080001234", "079080001234", "personal_id", None),
    ("bhxh_code", "123456789", "123456789", "invalid", "length"),
    # tax_code: MST with its check digit, MST-NNN, or a personal ID.
    ("tax_code", "0100109106", "0100109106", "mst", None),
    ("tax_code", "0100109107", "0100109107", "invalid", "check_digit"),
    ("tax_code", "0100109106-001", "0100109106-001", "mst", None),
    ("tax_code", "0100109107-001", "0100109107-001", "invalid", "check_digit"),
    ("tax_code", "0100000010", "0100000010", "mst", None),
    ("tax_code", "0100000050", "0100000050", "invalid", "check_digit"),
    ("tax_code", "079080001234", "079080001234", "personal_id", None),
    # card_number: BHYT card, BHXH number or personal ID.
    ("card_number", "DN4790100109106", "DN4790100109106", "bhyt_card", None),
    ("card_number", "dn 4 79 0100109106", "DN4790100109106", "bhyt_card", None),
    ("card_number", "DN6790100109106", "DN6790100109106", "invalid", "format"),
    ("card_number", "D14790100109106", "D14790100109106", "invalid", "format"),
    ("card_number", "0100109106", "0100109106", "bhxh", None),
    ("card_number", "79080001234", "079080001234", "personal_id", None),
])
def test_classify(field: str, raw: str | None, value: str | None, kind: str | None,
                  reason: str | None) -> None:
    got = classify(field, raw)
    assert (got["value"], got["kind"], got["invalid_reason"]) == (value, kind, reason)


def test_restored_zero_is_flagged() -> None:
    assert classify("id_number", "79080001234")["restored_zero"] is True
    assert classify("id_number", "079080001234")["restored_zero"] is False


def test_card_parts() -> None:
    got = classify("card_number", "HT3010123456789")
    assert (got["card_group"], got["card_level"], got["card_province"], got["bhxh"]) == (
        "HT", 3, "01", "0123456789")


def test_mst_branch() -> None:
    assert classify("tax_code", "0100109106-002")["mst_branch"] == "002"
    assert classify("tax_code", "0100109106")["mst_branch"] is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mst_check_digit(first9: str) -> None:
    expected = mst_check_digit(first9)
    frame = pl.DataFrame({"tax_code": [f"{first9}{digit}" for digit in range(10)]})
    kinds = normalise_identifiers(frame, "tax_code").get_column("tax_code_kind").to_list()
    assert [kind == "mst" for kind in kinds] == [digit == expected for digit in range(10)]


@pytest.mark.parametrize("raw, prefix, known, old, new, sex, year", [
    ("001080001234", "001", True, "01", "01", "M", 1980),
    ("079180001234", "079", True, "79", "79", "F", 1980),
    ("074205001234", "074", True, "74", "79", "M", 2005),
    ("002312001234", "002", True, "02", "08", "F", 2012),
    ("040499001234", "040", True, "40", "40", "M", 2199),
    ("099180001234", "099", False, None, None, "F", 1980),
    ("179180001234", "179", False, None, None, "F", 1980),
    ("079680001234", "079", True, "79", "79", None, None),
])
def test_decode_personal_id(raw: str, prefix: str, known: bool, old: str | None,
                            new: str | None, sex: str | None, year: int | None) -> None:
    got = classify("id_number", raw)
    assert (got["id_prefix"], got["id_prefix_known"], got["id_old_province"],
            got["id_province"], got["id_sex"], got["id_birth_year"]) == (
        prefix, known, old, new, sex, year)


def test_known_prefixes_are_the_63_old_provinces() -> None:
    prefixes = known_prefixes()
    assert len(prefixes) == 63
    assert prefixes["074"] == "74" and "003" not in prefixes


@pytest.mark.parametrize("raw, year, sex, agrees, consistency", [
    ("079080001234", 1980, "M", (True, True), "consistent"),
    ("079080001234", 1981, "M", (False, True), "inconsistent"),
    ("079080001234", 1980, "F", (True, False), "inconsistent"),
    ("099080001234", 1980, "M", (True, True), "inconsistent"),
    ("079680001234", 1980, "M", (None, None), "inconsistent"),
    ("079080001234", None, "M", (None, True), "unknown"),
    ("079080001234", 1980, None, (True, None), "unknown"),
    ("079080001234", None, "F", (None, False), "inconsistent"),
    ("123456789", 1980, "M", (None, None), None),
    (None, 1980, "M", (None, None), None),
])
def test_check_id_against_record(raw: str | None, year: int | None, sex: str | None,
                                 agrees: tuple, consistency: str | None) -> None:
    frame = pl.DataFrame({"id_number": [raw], "year": [year], "sex": [sex]},
                         schema={"id_number": pl.String, "year": pl.Int16, "sex": pl.String})
    out = check_id_against_record(normalise_identifiers(frame, "id_number"), "id_number",
                                  "year", "sex")
    row = out.row(0, named=True)
    assert (row["id_number_id_year_agrees"], row["id_number_id_sex_agrees"]) == agrees
    assert row["id_number_id_consistency"] == consistency


def test_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown identifier field 'passport'"):
        normalise_identifiers(pl.DataFrame({"passport": ["B123"]}), "passport")


def test_field_defaults_to_column_and_keeps_raw() -> None:
    raws = ["079 080 001 234", "123456789"]
    out = normalise_identifiers(pl.DataFrame({"id_number": raws}), "id_number")
    assert out.get_column("id_number").to_list() == raws
    assert set(FIELD_KINDS) >= {"id_number", "bhxh_code", "tax_code", "card_number"}


@given(st.text(max_size=20), st.sampled_from(sorted(FIELD_KINDS)))
def test_never_crashes(raw: str, field: str) -> None:
    got = classify(field, raw)
    assert got["kind"] in (None, "invalid", *FIELD_KINDS[field])
