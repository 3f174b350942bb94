"""The validation suites, run for real by Great Expectations on crafted rows."""

from pathlib import Path

import polars as pl
import pytest

from expectations import (
    build_data_docs,
    build_suite,
    checks_for,
    combine_validations,
    validate_dataset,
)
from popdq.contract import DATASETS, KINDS, SOURCE_KINDS


def frame(kind: str, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = DATASETS[kind].columns
    return pl.DataFrame([{c: r.get(c) for c in columns} for r in rows],
                        schema={c: pl.String for c in columns})


GOOD_TAX: dict[str, str | None] = {
    "record_id": "T0", "tax_code": "0100109106", "full_name": "Nguyễn Văn An",
    "date_of_birth": "02/01/1990", "id_number": "001090123456", "province_code": "01",
    "status": "active",
}


def findings(kind: str, rows: list[dict[str, str | None]]) -> set[tuple[str, str, str, str]]:
    failures = validate_dataset(kind, frame(kind, rows)).failures
    return {(r["record_key"], r["kind"], r["field"], r["reason"])
            for r in failures.iter_rows(named=True)}


def test_a_clean_record_passes_every_expectation() -> None:
    outcome = validate_dataset("tax", frame("tax", [GOOD_TAX]))
    assert outcome.success, outcome.results.filter(~pl.col("success"))
    assert outcome.failures.is_empty()


def test_each_rule_tags_the_failing_record_with_its_kind_and_field() -> None:
    rows = [
        GOOD_TAX,
        {**GOOD_TAX, "record_id": "T1", "full_name": None},
        {**GOOD_TAX, "record_id": "T2", "id_number": None},
        {**GOOD_TAX, "record_id": "T3", "date_of_birth": "31/04/1990"},
        {**GOOD_TAX, "record_id": "T4", "date_of_birth": "04/25/1990"},
        {**GOOD_TAX, "record_id": "T5", "tax_code": "0100109107"},
        {**GOOD_TAX, "record_id": "T6", "id_number": "001190123456"},  # a woman's ID, M unknown
        {**GOOD_TAX, "record_id": "T7", "date_of_birth": "1991"},       # ID says 1990
        {**GOOD_TAX, "record_id": "T8", "status": "dormant"},
        {**GOOD_TAX, "record_id": "T9", "id_number": "12345"},
        {**GOOD_TAX, "record_id": "TA", "id_number": "999090123456"},   # unknown prefix
        {**GOOD_TAX, "record_id": "TB", "province_code": "74"},         # outdated: not invalid
        {**GOOD_TAX, "record_id": "TC", "id_number": "00109012 3456"},  # formatting only
    ]
    assert findings("tax", rows) == {
        ("T1", "missing_field", "full_name", "empty"),
        ("T2", "missing_field", "id_number", "empty"),
        ("T3", "invalid_format", "date_of_birth", "impossible date"),
        ("T4", "invalid_format", "date_of_birth", "month before day"),
        ("T5", "invalid_format", "tax_code", "check_digit"),
        ("T7", "id_inconsistent", "id_number", "inconsistent"),
        ("T8", "invalid_format", "status", "not an allowed value"),
        ("T9", "invalid_format", "id_number", "length"),
        ("TA", "id_inconsistent", "id_number", "inconsistent"),
    }


def test_sex_and_card_rules_on_health_insurance() -> None:
    good: dict[str, str | None] = {
        "record_id": "H0", "card_number": "DN4010123456789", "full_name": "Trần Thị Bình",
        "date_of_birth": "06/05/1990", "sex": "Nữ", "id_number": "001190123456",
        "province_code": "01", "commune_code": "00004", "valid_to": "2027-12-31",
    }
    rows = [
        good,
        {**good, "record_id": "H1", "sex": "Nam"},                 # ID says female
        {**good, "record_id": "H2", "sex": "X"},
        {**good, "record_id": "H3", "card_number": "DN6010123456789"},
        {**good, "record_id": "H4", "valid_to": "31/02/2027"},
        {**good, "record_id": "H5", "commune_code": "ABCDE"},
    ]
    assert findings("health_insurance", rows) == {
        ("H1", "id_inconsistent", "id_number", "inconsistent"),
        ("H2", "invalid_format", "sex", "True"),
        ("H3", "invalid_format", "card_number", "format"),
        ("H4", "invalid_format", "valid_to", "impossible date"),
        ("H5", "invalid_format", "commune_code", "invalid"),
    }


def test_registry_keys_are_unique_and_divisions_current() -> None:
    person: dict[str, str | None] = {
        "person_id": "001090123456", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-01-02",
        "sex": "M", "province_code": "01", "commune_code": "00004", "status": "alive",
    }
    outcome = validate_dataset("registry", frame("registry", [
        person, {**person, "full_name": "Lê Văn Bình"},
        {**person, "person_id": "079090123457", "province_code": "74",
         "date_of_birth": "02/01/1990"},
    ]))
    failed = {(r["field"], r["expectation"]) for r in
              outcome.results.filter(~pl.col("success")).iter_rows(named=True)}
    assert ("person_id", "expect_column_values_to_be_unique") in failed
    assert {(f["record_key"], f["field"]) for f in outcome.failures.iter_rows(named=True)} == {
        ("079090123457", "province_code"), ("079090123457", "date_of_birth"),
    }


@pytest.mark.parametrize("kind", list(DATASETS))
def test_every_suite_builds_and_uses_contract_kinds(kind: str) -> None:
    suite = build_suite(kind)
    assert suite.name == f"popdq.{kind}"
    assert len(suite.expectations) == len(checks_for(kind))
    assert {c.kind for c in checks_for(kind)} - {None} <= set(KINDS)
    if kind in SOURCE_KINDS:
        assert {c.field for c in checks_for(kind) if c.kind == "missing_field"} >= {
            "full_name", "date_of_birth", "id_number"}


def test_data_docs_show_counts_but_no_personal_values(tmp_path: Path) -> None:
    secret = "Nguyễn Bí Mật"
    rows = frame("tax", [GOOD_TAX, {**GOOD_TAX, "record_id": "T1", "full_name": secret,
                                    "tax_code": "0100109107"}])
    index = build_data_docs({"tax": rows}, tmp_path / "docs")
    assert index.name == "index.html" and index.is_file()
    pages = [p.read_text(encoding="utf-8") for p in index.parent.rglob("*.html")]
    assert any("popdq.tax" in page for page in pages)
    assert not any(secret in page or "0100109107" in page for page in pages)


def test_invalid_registry_values_load_and_are_reported_as_registry_problems() -> None:
    person: dict[str, str | None] = {
        "person_id": "001090123456", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-01-02",
        "sex": "M", "province_code": "01", "commune_code": "00004", "status": "alive",
    }
    dead = {**person, "status": "deceased"}
    rows = [
        person,
        {**person, "person_id": "001090000001", "date_of_birth": "1990-02-30"},
        {**person, "person_id": "001090000002", "status": "missing"},
        {**person, "person_id": "001090000003", "sex": "X"},
        {**dead, "person_id": "001090000004", "date_of_death": "1989-12-31"},
        {**dead, "person_id": "001090000005", "date_of_birth": "1990-05",
         "date_of_death": "1990-04-30"},
        {**person, "person_id": "001090000006", "date_of_birth": "9998"},
        {**person, "person_id": "001090000007", "date_of_death": "2020-01-01"},
        {**dead, "person_id": "001090000008", "date_of_birth": "1990",
         "date_of_death": "1990-01-01"},  # same year: not before at the birth's precision
    ]
    assert findings("registry", rows) == {
        ("001090000001", "invalid_format", "date_of_birth", "impossible date"),
        ("001090000002", "invalid_format", "status", "not an allowed value"),
        ("001090000003", "invalid_format", "sex", "not an allowed value"),
        ("001090000004", "invalid_format", "date_of_death", "before the date of birth"),
        ("001090000005", "invalid_format", "date_of_death", "before the date of birth"),
        ("001090000006", "invalid_format", "date_of_birth", "unparseable"),
        ("001090000007", "invalid_format", "date_of_death",
         "a date of death for a person whose status is alive"),
    }


def test_validating_in_partitions_of_the_key_gives_the_whole_validation() -> None:
    """Counts add up, failures are the same rows, and a key repeated across the data is
    still found (its rows share a partition)."""
    rows = [{**GOOD_TAX, "record_id": f"T{i}",
             "full_name": None if i % 7 == 0 else GOOD_TAX["full_name"],
             "date_of_birth": "31/02/1990" if i % 5 == 0 else GOOD_TAX["date_of_birth"]}
            for i in range(60)] + [{**GOOD_TAX, "record_id": "T3"}]
    whole = validate_dataset("tax", frame("tax", rows))
    assert not whole.success
    keyed = frame("tax", rows).with_columns(
        (pl.col("record_id").hash(seed=0) % 4).alias("part"))
    parts = [validate_dataset("tax", keyed.filter(pl.col("part") == p).drop("part"))
             for p in range(4)]
    combined = combine_validations("tax", parts)
    assert combined.results.equals(whole.results)
    assert combined.failures.equals(whole.failures)
    unique = combined.results.filter(pl.col("expectation") == "expect_column_values_to_be_unique")
    assert unique.get_column("success").to_list() == [False]
