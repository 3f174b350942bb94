"""Reviewers' decisions as the linker takes them (matching.reviews)."""

import polars as pl

from matching.decisions import DECIDED, REJECTED
from matching.reviews import DECISIONS_SCHEMA, guidance, guidance_changed


def decisions(*rows: tuple[str, int, str, str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DECISIONS_SCHEMA, orient="row")


def test_the_newest_decision_per_person_counts() -> None:
    got = guidance(decisions(
        ("r1", 1, "reject", "A"), ("r1", 2, "set", "B"), ("r1", 3, "reject", "B"),
        ("r1", 4, "confirm", "C"),
        ("r2", 5, "reject", "A"), ("r2", 6, "confirm", "A"),
        ("r3", 7, "reject", "D"),
    ))
    assert got.rows() == [("r1", "C", ["A", "B"], 4), ("r2", "A", [], 6), ("r3", None, ["D"], 7)]
    assert got.columns == ["record_id", DECIDED, REJECTED, "decision_id"]


def test_a_record_whose_guidance_changed_is_named() -> None:
    now = pl.DataFrame({"record_id": ["a", "b", "c", "d"], "shared_person": ["P", None, "Q", None],
                        "decision_id": [None, 3, None, None]})
    stored = pl.DataFrame({"record_id": ["a", "b", "c"], "shared_person": ["P", None, None],
                           "decision_id": [None, 2, None]})
    assert guidance_changed(now, stored).to_list() == ["b", "c"]
