"""Evidence across sources: a BHXH number shared with a record whose person is certain.

A person's 10-digit social-insurance number is in their BHXH record
(`bhxh_code`) and on their health-insurance card (`card_number`, alone or as
the last 10 characters of the card code). A record that carries no ID number
but shares its BHXH number with a record that does, where that record's ID,
name and birth year all agree with one registry person, most likely belongs
to that person too: `shared_person` names them, and the linker blocks on it
and weighs it like any comparison (`shared_number` in
`matching.vietnamese_comparisons`, with vetoes for a clear disagreement of
name or birth date: a reused or mistyped number).

Anchors are judged by fixed rules on the records' own fields, not by the
model's decisions, so a record's evidence depends on the datasets alone: the
same whatever was linked first, in whichever run. A number whose anchors
point to different persons points to no one.
"""

from collections.abc import Iterable

import polars as pl

SHARED_PERSON = "shared_person"
"""The prepared record's column naming the registry person its BHXH number points to."""

NUMBERS_SCHEMA: dict[str, pl.DataType] = {"id_bhxh": pl.String(), SHARED_PERSON: pl.String()}
"""A BHXH number and the one registry person its anchor records are."""

ANCHOR_COLUMNS = ("id_bhxh", "id_personal", "id_code", "name_key", "dob_year")
"""What `shared_numbers` reads of a prepared source."""


def shared_numbers(registry: pl.DataFrame, sources: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """BHXH number → the registry person of its anchors (`NUMBERS_SCHEMA`), sorted.

    `registry`: prepared (person_id, name_key, dob_year); `sources`: prepared records
    of every source (`ANCHOR_COLUMNS`). An anchor carries a BHXH number and a 12-digit ID
    of a registry person whose folded name and birth year are the record's own.
    """
    anchors = pl.concat([
        frame.select("id_bhxh", pl.coalesce("id_personal", "id_code").alias("person_id"),
                     "name_key", "dob_year")
        .filter(pl.col("id_bhxh").is_not_null() & pl.col("person_id").is_not_null())
        for frame in sources
    ])
    persons = registry.select("person_id", pl.col("name_key").alias("reg_name_key"),
                              pl.col("dob_year").alias("reg_dob_year"))
    confirmed = anchors.join(persons, on="person_id").filter(
        (pl.col("name_key") == pl.col("reg_name_key"))
        & (pl.col("dob_year") == pl.col("reg_dob_year")))
    return (confirmed.group_by("id_bhxh").agg(pl.col("person_id").unique())
            .filter(pl.col("person_id").list.len() == 1)
            .select("id_bhxh", pl.col("person_id").list.first().alias(SHARED_PERSON))
            .cast(pl.Schema(NUMBERS_SCHEMA))
            .sort("id_bhxh"))


def with_shared_persons(records: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """Add `shared_person` to prepared records: the person of their BHXH number, for the
    records that carry no 12-digit ID of their own (null for the others)."""
    no_id = pl.col("id_personal").is_null() & pl.col("id_code").is_null()
    return (records.drop(SHARED_PERSON, strict=False)
            .join(numbers, on="id_bhxh", how="left", maintain_order="left")
            .with_columns(pl.when(no_id).then(pl.col(SHARED_PERSON)).alias(SHARED_PERSON)))
