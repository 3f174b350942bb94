"""Discrepancy rules on crafted records linked by hand (the links are not under test)."""

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence

import polars as pl
import pytest

from matching.discrepancies import RULES, find_discrepancies
from matching.linker import prepare_registry, prepare_source
from popdq.contract import DATASETS, KINDS

AS_OF = dt.date(2026, 7, 1)
AN, BINH, CUONG = "079090123456", "079185654321", "001160111222"


def frame(kind: str, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = DATASETS[kind].columns
    return pl.DataFrame([{c: r.get(c) for c in columns} for r in rows],
                        schema=dict.fromkeys(columns, pl.String))


REGISTRY = frame("registry", [
    {"person_id": AN, "full_name": "Nguyễn Văn An", "date_of_birth": "1990-03-12", "sex": "M",
     "province_code": "79", "commune_code": "25747", "status": "alive",
     "old_id_number": "023456789"},
    {"person_id": BINH, "full_name": "Trần Thị Hoà Bình", "date_of_birth": "1985-07-20",
     "sex": "F", "province_code": "79", "commune_code": "25747", "status": "alive"},
    {"person_id": CUONG, "full_name": "Lê Văn Cường", "date_of_birth": "1960", "sex": "M",
     "province_code": "01", "commune_code": "00004", "status": "deceased",
     "date_of_death": "2024-02-01"},
])

CARD = {"card_number": "DN4790123456789", "province_code": "79", "commune_code": "25747",
        "valid_to": "2027-12-31"}


def findings(records: Sequence[Mapping[str, str | None]], links: Mapping[str, str | None],
             failures: pl.DataFrame | None = None, decision: str = "match") -> set[tuple]:
    out = finding_rows(records, links, failures, decision)
    return {(r["record_id"], r["kind"], r["field"], r["detail"]) for r in out.to_dicts()}


def finding_rows(records: Sequence[Mapping[str, str | None]], links: Mapping[str, str | None],
                 failures: pl.DataFrame | None = None, decision: str = "match") -> pl.DataFrame:
    rows = frame("health_insurance", [{**CARD, **r} for r in records])
    matches = pl.DataFrame({
        "source": "health_insurance", "record_id": list(links),
        "person_id": list(links.values()),
        "score": [0.99 if p else 0.0 for p in links.values()],
        "decision": [decision if p else "none" for p in links.values()],
        "second_person_id": [None] * len(links), "second_score": [None] * len(links),
        "ambiguous": [False] * len(links),
    }, schema_overrides={"person_id": pl.String, "second_person_id": pl.String,
                         "second_score": pl.Float64})
    out = find_discrepancies(
        "health_insurance", rows=rows, records=prepare_source("health_insurance", rows),
        registry_rows=REGISTRY, registry=prepare_registry(REGISTRY), matches=matches,
        failures=failures if failures is not None else pl.DataFrame(
            schema={"record_key": pl.String, "kind": pl.String, "field": pl.String,
                    "expectation": pl.String, "reason": pl.String}),
        as_of=AS_OF)
    assert out.columns[:6] == ["source", "record_id", "person_id", "criterion", "kind", "field"]
    assert all(KINDS[k].criterion == c for k, c in out.select("kind", "criterion").rows())
    return out


AN_RECORD = {"full_name": "Nguyễn Văn An", "date_of_birth": "12/03/1990", "sex": "Nam",
             "id_number": AN}


def test_formatting_only_differences_are_not_findings() -> None:
    variants = ["NGUYEN VAN AN", "  nguyễn   văn an ", "Nguyễn Văn An"]
    records = [{**AN_RECORD, "record_id": f"R{i}", "full_name": name}
               for i, name in enumerate(variants)]
    records.append({**AN_RECORD, "record_id": "R9", "date_of_birth": "1990",
                    "id_number": "79090123456"})  # year only, lost leading zero
    records.append({"record_id": "RB", "full_name": "Trần Thị Hòa Bình",  # other tone style
                    "date_of_birth": "20-07-1985", "sex": "nữ", "id_number": BINH})
    links = {r["record_id"]: (BINH if r["record_id"] == "RB" else AN) for r in records}
    assert findings(records, links) == {
        # one person, five records: the only finding is the duplicate group
        (r, "duplicate_in_source", "record_id", "4 records of this source belong to one person")
        for r in ("R0", "R1", "R2", "R9")
    }


def _mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252 (its five undefined bytes as C1 controls)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)
                   for b in text.encode("utf-8"))


def test_formatting_of_every_kind_alone_is_not_a_name_finding() -> None:
    variants = {"C": "NGUYỄN VĂN AN", "P": "Nguyen Van An", "p": "nguyen van an",
                "D": unicodedata.normalize("NFD", "Nguyễn Văn An"), "S": " Nguyễn  Văn An "}
    records = [{**AN_RECORD, "record_id": r, "full_name": n} for r, n in variants.items()]
    records.append({"record_id": "T", "full_name": "TRẦN THỊ HÒA BÌNH",  # caps, old tone style
                    "date_of_birth": "20/07/1985", "sex": "Nữ", "id_number": BINH})
    links = {r["record_id"]: (BINH if r["record_id"] == "T" else AN) for r in records}
    assert not {f for f in findings(records, links) if f[1] == "name_mismatch"}


@pytest.mark.parametrize(("raw", "detail"), [
    ("Nguyeexn Văn An", "Telex keystrokes left in the name: use the registry spelling"),
    ("Nguyeenx Vawn An", "Telex keystrokes left in the name: use the registry spelling"),
    ("NGUYEENX VAWN AN", "Telex keystrokes left in the name: use the registry spelling"),
    ("Nguye64n Va8n An", "VNI digits left in the name: use the registry spelling"),
    (_mojibake("Nguyễn Văn An"),
     "mojibake: UTF-8 text read as Windows-1252: use the registry spelling"),
    (_mojibake("NGUYỄN VĂN AN"),
     "mojibake: UTF-8 text read as Windows-1252: use the registry spelling"),
    ("Nguyeenx Vawn Anh", "Telex keystrokes left in the name; once repaired: "
                          "name differs from the registry"),
    ("Nguye63n Va8n An", "VNI digits left in the name; once repaired: "
                         "same letters, different accents or tone marks"),
])
def test_keystrokes_and_mojibake_are_name_mismatches_with_the_registry_spelling(
    raw: str, detail: str,
) -> None:
    rows = frame("health_insurance", [{**CARD, **AN_RECORD, "record_id": "G", "full_name": raw}])
    got = find_discrepancies(
        "health_insurance", rows=rows, records=prepare_source("health_insurance", rows),
        registry_rows=REGISTRY, registry=prepare_registry(REGISTRY),
        matches=pl.DataFrame({"record_id": ["G"], "person_id": [AN], "decision": ["match"],
                              "score": [0.99], "ambiguous": [False],
                              "second_person_id": [None], "second_score": [None]},
                             schema_overrides={"second_person_id": pl.String,
                                               "second_score": pl.Float64}),
        failures=pl.DataFrame(schema={"record_key": pl.String, "kind": pl.String,
                                      "field": pl.String, "reason": pl.String}),
        as_of=AS_OF)
    assert got.select("kind", "field", "source_value", "registry_value", "detail").rows() == [
        ("name_mismatch", "full_name", raw, "Nguyễn Văn An", detail)]


def test_substantive_differences_are_reported_with_their_cause() -> None:
    records = [
        {**AN_RECORD, "record_id": "N1", "full_name": "Nguyễn An"},             # dropped part
        {**AN_RECORD, "record_id": "N2", "full_name": "Văn An Nguyễn"},         # western order
        {**AN_RECORD, "record_id": "N3", "full_name": "Nguyển Văn An"},         # wrong tone
        {**AN_RECORD, "record_id": "D1", "date_of_birth": "03/12/1990"},        # swapped
        {**AN_RECORD, "record_id": "D2", "date_of_birth": "12/03/1991"},        # year
        {**AN_RECORD, "record_id": "D3", "date_of_birth": "20/04/1990"},        # 39 days
        {**AN_RECORD, "record_id": "S1", "sex": "Nữ"},
    ]
    got = findings(records, {r["record_id"]: AN for r in records})
    got = {f for f in got if f[1] != "duplicate_in_source"}
    assert got == {
        ("N1", "name_mismatch", "full_name", "name differs from the registry"),
        ("N2", "name_mismatch", "full_name", "same name parts in another order"),
        ("N3", "name_mismatch", "full_name", "same letters, different accents or tone marks"),
        ("D1", "dob_mismatch", "date_of_birth", "day and month swapped"),
        ("D2", "dob_mismatch", "date_of_birth", "year off by one"),
        ("D3", "dob_mismatch", "date_of_birth",
         "39 days apart: possible lunar/solar calendar confusion, review"),
        ("S1", "sex_mismatch", "sex", "sex F in the source, M in the registry"),
    }


def test_identifier_findings() -> None:
    records = [
        {**AN_RECORD, "record_id": "I1", "id_number": BINH},          # a relative's ID
        {**AN_RECORD, "record_id": "I2", "id_number": "023456789"},   # the person's old CMND
        {**AN_RECORD, "record_id": "I3", "id_number": "023456780"},   # a wrong old number
    ]
    got = findings(records, {r["record_id"]: AN for r in records})
    assert {(r, k) for r, k, _, _ in got if k != "duplicate_in_source"} == {
        ("I1", "id_mismatch"), ("I2", "stale_id"), ("I3", "stale_id"), ("I3", "id_mismatch")}


def test_deceased_and_active_depends_on_the_run_date() -> None:
    cuong = {"full_name": "Lê Văn Cường", "date_of_birth": "1960", "sex": "Nam",
             "id_number": CUONG, "province_code": "01", "commune_code": "00004"}
    records = [{**cuong, "record_id": "A1"},
               {**cuong, "record_id": "A2", "valid_to": "2026-06-30"}]
    got = findings(records, {"A1": CUONG, "A2": None})
    assert ("A1", "deceased_active", "valid_to",
            "the person died on 2024-02-01 and the record is still active") in got
    assert not any(k == "deceased_active" for r, k, _, _ in got if r == "A2")


def test_outdated_codes_name_the_current_value_and_nobody_is_not_in_registry() -> None:
    records = [{**AN_RECORD, "record_id": "L1", "province_code": "74", "commune_code": None,
                "full_name": "Phạm Thị Không Có"}]
    rows = findings(records, {"L1": None})
    assert rows == {
        ("L1", "outdated_locality", "province_code", "pre-2025 province code: use 79"),
        ("L1", "not_in_registry", "person_id", "no registry person matches this record"),
    }


def test_a_pre_2025_commune_names_the_current_commune_or_the_candidates() -> None:
    """25753 (Phú Thọ, Bình Dương) lies wholly in Thủ Dầu Một (25747) now; 25741 (Hiệp
    Thành) was split between 25747 and 25750; 00002 was never a commune code."""
    records = [{**AN_RECORD, "record_id": r, "province_code": "74", "commune_code": c}
               for r, c in (("C1", "25753"), ("C2", "25741"), ("C3", "00002"), ("C4", "25753"))]
    out = finding_rows(records, {"C1": AN, "C2": AN, "C3": AN, "C4": None}).filter(
        pl.col("field") == "commune_code")
    assert out.select("record_id", "kind", "source_value", "registry_value", "commune",
                      "detail").rows() == [
        ("C1", "outdated_locality", "25753", "25747", "25747",
         "pre-2025 commune code: now 25747 (Phường Thủ Dầu Một)"),
        ("C2", "outdated_locality", "25741", "25747", None,
         "pre-2025 commune code, now split between 25747, 25750: the registry has 25747"),
        ("C3", "outdated_locality", "00002", "25747", None,
         "not a 2025 commune code: the registry has 25747"),
        ("C4", "outdated_locality", "25753", "25747", "25747",
         "pre-2025 commune code: now 25747 (Phường Thủ Dầu Một)"),
    ]


def test_validation_failures_become_findings_with_their_values() -> None:
    failures = pl.DataFrame({"record_key": ["V1"], "kind": ["missing_field"],
                             "field": ["id_number"], "expectation": ["x"], "reason": ["empty"]})
    got = findings([{**AN_RECORD, "record_id": "V1", "id_number": None}], {"V1": AN}, failures)
    assert got == {("V1", "missing_field", "id_number", "id_number is empty")}


def test_review_decisions_are_not_judged_as_links() -> None:
    record = {**AN_RECORD, "record_id": "W1", "sex": "Nữ"}
    assert findings([record], {"W1": AN}, decision="review") == set()


def test_the_rules_raise_exactly_the_contracts_kinds() -> None:
    raised = [kind for rule in RULES for kind in rule.kinds]
    assert sorted(raised) == sorted(KINDS)
