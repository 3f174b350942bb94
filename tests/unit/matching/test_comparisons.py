"""Comparison levels (matching.comparisons, matching.vietnamese): each level of each comparison."""

import polars as pl
import pytest

from matching.blocking import LEFT_ROW, RIGHT_ROW
from matching.comparisons import edit_comparison, exact_comparison, string_comparison
from matching.scoring import compare_pairs
from matching.vietnamese import prepare_registry, prepare_source
from matching.vietnamese_comparisons import add_context, comparisons

PERSON = {
    "person_id": "079085001234", "full_name": "Nguyễn Văn An", "date_of_birth": "1985-03-04",
    "sex": "M", "province_code": "79", "commune_code": "25747", "household_id": "HK1",
    "old_id_number": "123456789", "status": "alive",
}
FATHER = {**PERSON, "person_id": "079055009999", "full_name": "Nguyễn Văn Bình",
          "date_of_birth": "1955-01-20", "old_id_number": ""}
RECORD = {
    "record_id": "SI1", "bhxh_code": "7912345678", "full_name": "Nguyễn Văn An",
    "date_of_birth": "04/03/1985", "sex": "Nam", "id_number": "079085001234",
    "province_code": "79", "commune_code": "25747", "status": "active",
}


def levels(record: dict[str, str], person: dict[str, str] | None = None,
           kind: str = "social_insurance") -> dict[str, str]:
    """The level label of each Vietnamese comparison for one record against one person."""
    person = person or PERSON
    registry = prepare_registry(pl.DataFrame([person, FATHER] if person is PERSON
                                             else [person, FATHER, PERSON]))
    row = {**RECORD, **record} if kind == "social_insurance" else record
    source = add_context(registry, prepare_source(kind, pl.DataFrame([row])))
    pairs = pl.DataFrame({LEFT_ROW: [0], RIGHT_ROW: [0]},
                         schema={LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32})
    got = compare_pairs(comparisons(), registry, source, pairs).row(0, named=True)
    return {c.name: "missing" if got[c.name] is None else c.levels[got[c.name]]
            for c in comparisons()}


def test_a_clean_record_agrees_everywhere() -> None:
    assert levels({}) == {
        "family_name": "exact", "middle_name": "exact", "given_name": "exact",
        "birth_date": "exact", "sex": "exact", "id_number": "exact",
        "id_in_code": "missing", "shared_number": "missing", "place": "same_commune",
    }


@pytest.mark.parametrize(("name", "family", "middle", "given"), [
    ("NGUYEN VAN AN", "unaccented", "unaccented", "exact"),
    ("Nguyển Văn An", "other_tone", "exact", "exact"),
    ("Nhuyễn Văn Ân", "one_letter", "exact", "other_tone"),
    ("Nguyễn Văn Anh", "exact", "exact", "one_letter"),
    ("Trần Văn Bảo", "different", "exact", "different"),
    ("Nguyễn An", "exact", "part_dropped_or_added", "exact"),
    ("Nguyễn Văn Minh An", "exact", "part_dropped_or_added", "exact"),
    ("Nguyễn Vân An", "exact", "other_tone", "exact"),
    ("Nguyễn Văb An", "exact", "one_letter", "exact"),
    ("Nguyễn Hữu An", "exact", "different", "exact"),
    ("Văn An Nguyễn", "exact", "exact", "exact"),
    ("VAN AN NGUYEN", "unaccented", "unaccented", "exact"),
    ("", "missing", "missing", "missing"),
])
def test_name_levels(name: str, family: str, middle: str, given: str) -> None:
    got = levels({"full_name": name})
    assert (got["family_name"], got["middle_name"], got["given_name"]) == (family, middle, given)


def test_two_names_without_middle_name_agree_as_both_empty() -> None:
    person = {**PERSON, "full_name": "Nguyễn Trãi"}
    assert levels({"full_name": "Nguyen Trai"}, person)["middle_name"] == "both_empty"


def test_western_order_when_the_given_name_is_the_family_name() -> None:
    person = {**PERSON, "full_name": "Hà Thị Hà"}
    got = levels({"full_name": "Thị Hà Hà"}, person)
    assert (got["family_name"], got["middle_name"], got["given_name"]) == ("exact",) * 3


def test_western_order_with_a_compound_family_name() -> None:
    person = {**PERSON, "full_name": "Tôn Thất Minh An"}
    got = levels({"full_name": "Minh An Tôn Thất"}, person)
    assert (got["family_name"], got["middle_name"], got["given_name"]) == ("exact",) * 3


@pytest.mark.parametrize(("registry_date", "written", "level"), [
    ("1985-03-04", "4/3/1985", "exact"),
    ("1985-03-04", "1985-03-04", "exact"),
    ("1985-03-04", "03/04/1985", "day_month_swapped"),
    ("1985-03-04", "03/02/1985", "lunar_shift"),
    ("1985-03-04", "30/03/1985", "lunar_shift"),
    ("1985-03", "15/03/1985", "same_month"),
    ("1985-03-04", "20/03/1985", "same_month"),
    ("1985-03-04", "04/03/1986", "year_off_by_one"),
    ("1985-03-04", "1985", "same_year"),
    ("1985-03-04", "01/01/1985", "same_year"),
    ("1985", "17/08/1985", "same_year"),
    ("1985-03-04", "30/02/1985", "same_year"),
    ("1985-03-04", "1986", "year_near"),
    ("1985-03-04", "04/09/1985", "different"),
    ("1985-03-04", "04/09/1986", "different"),
    ("1985-03-04", "04/03/1990", "different"),
    ("1985-03-04", "", "missing"),
])
def test_birth_date_levels(registry_date: str, written: str, level: str) -> None:
    person = {**PERSON, "date_of_birth": registry_date}
    assert levels({"date_of_birth": written}, person)["birth_date"] == level


@pytest.mark.parametrize(("id_number", "level"), [
    ("079085001234", "exact"),
    ("79085001234", "exact"),
    ("079 085 001234", "exact"),
    ("123456789", "old_id"),
    ("079085002134", "transposed"),
    ("079085001235", "one_digit"),
    ("079055009999", "relative"),
    ("001190000001", "different"),
    ("987654321", "different"),
    ("", "missing"),
])
def test_id_number_levels(id_number: str, level: str) -> None:
    assert levels({"id_number": id_number})["id_number"] == level


@pytest.mark.parametrize(("code", "id_number", "level"), [
    ("079085001234", "", "exact"),
    ("079085001234", "079085001234", "missing"),
    ("079085001243", "", "one_edit"),
    ("001190000001", "", "different"),
    ("7912345678", "", "missing"),
])
def test_id_in_code_levels(code: str, id_number: str, level: str) -> None:
    assert levels({"bhxh_code": code, "id_number": id_number})["id_in_code"] == level


@pytest.mark.parametrize(("sex", "level"), [("Nam", "exact"), ("m", "exact"), ("Nữ", "different"),
                                            ("", "missing")])
def test_sex_levels(sex: str, level: str) -> None:
    assert levels({"sex": sex})["sex"] == level


@pytest.mark.parametrize(("province", "commune", "level"), [
    ("79", "25747", "same_commune"),
    ("74", "25753", "same_commune"),               # pre-2025 Phú Thọ: now wholly in 25747
    ("74", "25741", "same_province_no_commune"),   # pre-2025 Hiệp Thành: split, both in 79
    ("79", "00001", "different"),                  # pre-2025 Phúc Xá: now Hồng Hà, Hà Nội
    ("74", "", "same_province_no_commune"),
    ("79", "25750", "same_province"),
    ("01", "00004", "different"),
    ("", "", "missing"),
])
def test_place_levels(province: str, commune: str, level: str) -> None:
    assert levels({"province_code": province, "commune_code": commune})["place"] == level


def test_tax_records_compare_without_sex_and_commune() -> None:
    tax = {"record_id": "TX1", "tax_code": "8012345678", "full_name": "Nguyễn Văn An",
           "date_of_birth": "04/03/1985", "id_number": "079085001234", "province_code": "79",
           "status": "active"}
    got = levels(tax, kind="tax")
    assert (got["sex"], got["place"], got["id_number"]) == (
        "missing", "same_province_no_commune", "exact")


def generic_levels(comparison_column: str, left: list[str | None], right: list[str | None],
                   **extra_right: list[str | None]) -> list[str]:
    comparison = {
        "exact": exact_comparison("c", "x"),
        "string": string_comparison("c", "x", swapped_with="y"),
        "edit": edit_comparison("c", "x"),
    }[comparison_column]
    n = len(left)
    pairs = pl.DataFrame({LEFT_ROW: range(n), RIGHT_ROW: range(n)},
                         schema={LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32})
    left_frame = pl.DataFrame({"x": left}, schema={"x": pl.String})
    right_frame = pl.DataFrame({"x": right, **extra_right},
                               schema={"x": pl.String, **dict.fromkeys(extra_right, pl.String)})
    codes = compare_pairs([comparison], left_frame, right_frame, pairs).get_column("c")
    return ["missing" if c is None else comparison.levels[c] for c in codes]


def test_generic_exact_levels() -> None:
    assert generic_levels("exact", ["a", "a", None, "a"], ["a", "b", "a", ""]) == [
        "exact", "different", "missing", "missing"]


def test_generic_string_levels_with_swapped_fields() -> None:
    got = generic_levels("string", ["michaela", "michaela", "neumann", "michaela", "michaela"],
                         ["michaela", "micheala", "michaela", "mikaela", "zoe"],
                         y=["x", "x", "neumann", "x", "x"])
    assert got == ["exact", "jaro_winkler_0.92", "swapped", "jaro_winkler_0.8", "different"]


def test_generic_edit_levels_count_a_swap_of_neighbours_as_one_edit() -> None:
    got = generic_levels("edit", ["19151111", "19151111", "19151111", "19151111"],
                         ["19151111", "19151112", "19511111", "19151122"])
    assert got == ["exact", "edits_1", "edits_1", "edits_2"]
