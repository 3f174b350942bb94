"""Reviewers' decisions on links, as the linker takes them (`matching.decisions.DECIDED`,
`REJECTED`).

A reviewer confirms a record's link (same person), rejects it (not this
person) or sets another person. Per record and person the newest decision
counts: the person last confirmed or set is the link, every person whose last
decision is a rejection is no candidate. Which decisions still hold (the
record's identifying fields unchanged) is the warehouse's to say.
"""

import polars as pl

from matching.decisions import DECIDED, REJECTED
from matching.evidence import SHARED_PERSON

VERDICTS = ("confirm", "reject", "set")
"""confirm: the proposed person is the record's; reject: it is not; set: this other one is."""

GUIDANCE_STAMP: dict[str, pl.DataType] = {SHARED_PERSON: pl.String(), "decision_id": pl.Int64()}
"""What a stored link keeps of what guided it: a change of either relinks the record."""

DECISIONS_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(), "decision_id": pl.Int64(), "verdict": pl.String(),
    "person_id": pl.String(),
}
"""The decisions that hold, as `guidance` reads them."""

GUIDANCE_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(), DECIDED: pl.String(), REJECTED: pl.List(pl.String()),
    "decision_id": pl.Int64(),
}
"""Per decided record: the person it is, the persons it is not, the newest decision."""


def guidance(decisions: pl.DataFrame) -> pl.DataFrame:
    """Decisions that hold (`DECISIONS_SCHEMA`) → one row per record (`GUIDANCE_SCHEMA`)."""
    latest = (decisions.sort("decision_id")
              .group_by("record_id", "person_id", maintain_order=True).last()
              .sort("decision_id"))
    linked = pl.col("verdict").is_in(["confirm", "set"])
    return (latest.group_by("record_id").agg(
                pl.col("person_id").filter(linked).last().alias(DECIDED),
                pl.col("person_id").filter(~linked).sort().alias(REJECTED),
                pl.col("decision_id").max())
            .cast(pl.Schema(GUIDANCE_SCHEMA))
            .select(list(GUIDANCE_SCHEMA))
            .sort("record_id"))


def with_guidance(records: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """Prepared records (with `shared_person`) and the guidance of the decided ones →
    the records with the `DECIDED`, `REJECTED` and `decision_id` columns the linker and
    the stored link read (null where no reviewer decided)."""
    return records.drop(DECIDED, REJECTED, "decision_id", strict=False).join(
        decided, on="record_id", how="left", maintain_order="left")


def guidance_changed(records: pl.DataFrame, stored: pl.DataFrame) -> pl.Series:
    """record_id of the records whose guidance (`GUIDANCE_STAMP`) differs from the one their
    stored link was made with; `records` and `stored` both carry record_id and the stamp."""
    both = records.select("record_id", *GUIDANCE_STAMP).join(
        stored.select("record_id", *GUIDANCE_STAMP), on="record_id", how="inner",
        suffix="_stored")
    return both.filter(pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(f"{c}_stored")) for c in GUIDANCE_STAMP)
    ).get_column("record_id").sort()
