"""What a night has to redo (matching.changes), on hand-made frames."""

import polars as pl

from matching.blocking import BlockingRule
from matching.changes import (
    changed_persons,
    duplicate_neighbours,
    links_after,
    records_sharing_keys,
    records_to_relink,
    row_hashes,
)

RULES = (BlockingRule("personal_id", ("id_personal", "id_code")),
         BlockingRule("name_year", ("block_name_year",)))


def registry(*rows: tuple[str, str, int, int]) -> pl.DataFrame:
    """(person_id, id_personal, block_name_year, row_hash)."""
    return pl.DataFrame(rows, schema={"person_id": pl.String, "id_personal": pl.String,
                                      "block_name_year": pl.UInt64, "row_hash": pl.UInt64},
                        orient="row")


def records(*rows: tuple[str, str | None, str | None, int, int]) -> pl.DataFrame:
    """(record_id, id_personal, id_code, block_name_year, row_hash)."""
    return pl.DataFrame(rows, schema={"record_id": pl.String, "id_personal": pl.String,
                                      "id_code": pl.String, "block_name_year": pl.UInt64,
                                      "row_hash": pl.UInt64}, orient="row")


def links(*rows: tuple[str, str | None, str]) -> pl.DataFrame:
    """(record_id, person_id, decision) with the other link columns."""
    return pl.DataFrame(
        [(r, p, 0.9, d, None, None, False, 1, "v1", 1) for r, p, d in rows], orient="row",
        schema={"record_id": pl.String, "person_id": pl.String, "score": pl.Float64,
                "decision": pl.String, "second_person_id": pl.String,
                "second_score": pl.Float64, "ambiguous": pl.Boolean, "row_hash": pl.UInt64,
                "registry_sha256": pl.String, "model_run_id": pl.Int64})


def test_row_hashes_tell_empty_from_missing_and_follow_every_column() -> None:
    rows = pl.DataFrame({"a": ["x", "x", "x", None], "b": ["1", "2", "", ""]})
    hashes = row_hashes(rows, ["a", "b"]).to_list()
    assert len(set(hashes)) == 4
    assert row_hashes(rows, ["a", "b"]).to_list() == hashes  # stable


def test_changed_persons_are_both_versions_of_a_change_and_the_added_and_removed() -> None:
    before = registry(("P1", "001", 10, 1), ("P2", "002", 20, 2), ("P3", "003", 30, 3))
    after = registry(("P1", "001", 10, 1), ("P2", "002", 21, 9), ("P4", "004", 40, 4))
    changed = changed_persons(before, after, "person_id")
    assert sorted(changed.select("person_id", "block_name_year").rows()) == [
        ("P2", 20), ("P2", 21), ("P3", 30), ("P4", 40)]


def test_records_sharing_a_key_pool_the_rules_columns() -> None:
    recs = records(("R1", None, "002", 99, 0), ("R2", "009", None, 21, 0),
                   ("R3", "001", None, 10, 0))
    persons = registry(("P2", "002", 21, 0))
    assert records_sharing_keys(recs, persons, RULES, "record_id").to_list() == ["R1", "R2"]


def test_records_to_relink() -> None:
    reg_v1 = registry(("P1", "001", 10, 1), ("P2", "002", 20, 2))
    reg_v2 = registry(("P1", "001", 10, 1), ("P2", "002", 20, 7))  # P2 changed
    recs = records(("R1", "001", None, 10, 1), ("R2", "002", None, 20, 1),
                   ("R3", "001", None, 10, 5), ("R4", "001", None, 10, 1))
    before = links(("R1", "P1", "match"), ("R2", "P2", "match"), ("R3", "P1", "match"),
                   ("R4", "P1", "match")).with_columns(
        pl.when(pl.col("record_id") == "R4").then(2).otherwise(1).alias("model_run_id"))
    # R2 shares a key with the changed P2, R3's row changed, R4 was linked with model 2
    relink = records_to_relink(recs, before, model_run_id=1, registry_sha="v2",
                               registry=reg_v2, old_registries={"v1": reg_v1}, rules=RULES)
    assert relink.to_list() == ["R2", "R3", "R4"]
    nothing_kept = records_to_relink(recs, before, model_run_id=1, registry_sha="v2",
                                     registry=reg_v2, old_registries={"v1": None}, rules=RULES)
    assert nothing_kept.to_list() == ["R1", "R2", "R3", "R4"]
    unchanged = records_to_relink(recs, before, model_run_id=1, registry_sha="v1",
                                  registry=reg_v1, old_registries={}, rules=RULES)
    assert unchanged.to_list() == ["R3", "R4"]


def test_links_after_a_run_and_the_records_whose_duplicates_change() -> None:
    before = links(("R1", "P1", "match"), ("R2", "P1", "match"), ("R3", "P2", "match"),
                   ("R4", "P3", "match"), ("R5", None, "none"))
    relinked = links(("R2", "P2", "match"))
    now = links_after(before, relinked, pl.Series(["R2", "R5"]))
    assert now.select("record_id", "person_id").rows() == [
        ("R1", "P1"), ("R2", "P2"), ("R3", "P2"), ("R4", "P3")]
    # R2 left P1 (R1 alone now) and joined P2 (R3 has a duplicate now); R4 is not touched
    assert duplicate_neighbours(before, now, pl.Series(["R2"])).to_list() == ["R1", "R2", "R3"]
