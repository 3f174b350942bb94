"""Splitting a run's records into partitions worked on one at a time (or side by side).

A record's link depends only on the record, the registry and the model
(`matching.linker`), so source records may be linked in any partition and the
results put together: a person registered in Hà Nội and working in Bình Dương
is found whichever partition holds the record, because every partition is
linked against the whole registry. A record's findings also depend on the
other records linked to the same person (`duplicate_in_source`), so findings
are partitioned by that person. Either way the published result does not
depend on how many partitions there are (tested).
"""

import polars as pl


def count_partitions(rows: int, rows_per_partition: int) -> int:
    """How many partitions of at most `rows_per_partition` rows hold `rows` (at least one)."""
    return max(1, -(-rows // max(rows_per_partition, 1)))


def by_province(records: pl.DataFrame, parts: int) -> list[pl.Series]:
    """The record_id of `parts` groups of about equal size of the prepared records, in
    province then record order: a province's records stay together where a group can hold
    them. Ids only: each partition's rows are taken when it is worked on."""
    ordered = records.select("province", "record_id").sort("province", "record_id",
                                                          nulls_last=True)
    ids = ordered.get_column("record_id")
    size = -(-ids.len() // max(parts, 1)) or 1
    return [ids.slice(start, size) for start in range(0, ids.len(), size)] or [ids]


def by_person(links: pl.DataFrame, parts: int) -> list[pl.Series]:
    """The record_id of each of `parts` groups, every record linked (decision `match`) to one
    person in the same group; groups in a stable order, records sorted."""
    person = (pl.when(pl.col("decision") == "match").then(pl.col("person_id"))
              .otherwise(pl.col("record_id")))
    grouped = links.select("record_id", (person.hash(seed=0) % parts).alias("part"))
    return [grouped.filter(pl.col("part") == part).get_column("record_id").sort()
            for part in range(parts)]
