"""What a night has to redo: the records whose link or findings can have changed.

A record's link depends only on the record, the registry and the model
(`matching.linker`): blocking caps are counted on the registry, comparisons
are pairwise, the decision looks at the record's own candidates. So with the
model unchanged, a record needs linking again only when its own row changed,
or when a registry person it shares a blocking key with changed (a changed,
added or removed person is the only way its candidates or their scores can
change). Its findings also depend on the other records linked to the same
person (`duplicate_in_source`) and, for records whose activity is a date, on
the run date.

Rows are compared by a 64-bit hash of their contract columns (`row_hashes`).
"""

from collections.abc import Mapping, Sequence

import polars as pl

from matching.blocking import BlockingRule

ROW_HASH = "row_hash"


def row_hashes(rows: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """A hash of each row's `columns` (null and empty text differ; column order counts)."""
    return rows.select(
        pl.struct([pl.col(c).cast(pl.String) for c in columns]).hash(seed=0).alias(ROW_HASH)
    ).get_column(ROW_HASH)


def changed_persons(before: pl.DataFrame, after: pl.DataFrame, key: str) -> pl.DataFrame:
    """The rows of either registry version whose person was added, removed or changed
    (both versions of a changed person, so their old and new keys count)."""
    pairs = [key, ROW_HASH]
    return pl.concat([
        before.join(after.select(pairs), on=pairs, how="anti"),
        after.join(before.select(pairs), on=pairs, how="anti"),
    ], how="diagonal_relaxed")


def records_sharing_keys(records: pl.DataFrame, persons: pl.DataFrame,
                         rules: Sequence[BlockingRule], record_key: str) -> pl.Series:
    """The records that share a value of any rule's key columns with any of `persons`
    (the columns of a rule are pooled, as `matching.blocking` pools them)."""
    found = [pl.Series(record_key, [], dtype=pl.String)]
    for rule in rules:
        values = _key_values(persons, rule.columns)
        if values.is_empty():
            continue
        for column in rule.columns:
            if column not in records.columns:
                continue
            keyed = records.select(record_key, pl.col(column).alias("__value"))
            if isinstance(keyed.schema["__value"], pl.List):
                keyed = keyed.explode("__value")
            found.append(keyed.join(values, left_on=pl.col("__value").cast(pl.String),
                                    right_on="__value", how="semi").get_column(record_key))
    return pl.concat(found).unique().sort()


def _key_values(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Every non-null value of these columns, as text (one column `__value`)."""
    parts = []
    for column in columns:
        if column not in frame.columns:
            continue
        values = frame.select(pl.col(column).alias("__value"))
        if isinstance(values.schema["__value"], pl.List):
            values = values.explode("__value")
        parts.append(values.select(pl.col("__value").cast(pl.String)))
    if not parts:
        return pl.DataFrame(schema={"__value": pl.String})
    return pl.concat(parts).drop_nulls().unique()


LINK_COLUMNS = ("record_id", "person_id", "score", "decision", "second_person_id",
                "second_score", "ambiguous")
"""A record's link as the findings need it (`matching.decisions.MATCHES_SCHEMA`, per record)."""


def records_to_relink(records: pl.DataFrame, before: pl.DataFrame, *, model_run_id: int,
                      registry_sha: str, registry: pl.DataFrame | None,
                      old_registries: Mapping[str, pl.DataFrame | None],
                      rules: Sequence[BlockingRule]) -> pl.Series:
    """New or changed records, records linked with another model, and records sharing a
    blocking key with a registry person that changed since they were linked.

    `before` holds the stored links (record_id, row_hash, registry_sha256, model_run_id);
    `old_registries` the prepared registry of each version named there (None when it is
    no longer kept: every record linked against it is linked again). `registry`, the
    current one, is needed only when a link was made against another version (the caller
    may leave it None otherwise: such records are then all linked again).
    """
    stale = before.filter((pl.col("model_run_id") != model_run_id).fill_null(True))
    fresh = before.join(stale.select("record_id"), on="record_id", how="anti")
    parts = [records.join(fresh.select("record_id", ROW_HASH), on=["record_id", ROW_HASH],
                          how="anti").get_column("record_id")]
    for old_sha in fresh.get_column("registry_sha256").drop_nulls().unique().sort():
        if old_sha == registry_sha:
            continue
        group = records.join(fresh.filter(pl.col("registry_sha256") == old_sha)
                             .select("record_id"), on="record_id", how="semi")
        old = old_registries.get(old_sha)
        parts.append(group.get_column("record_id") if old is None or registry is None
                     else records_sharing_keys(group, changed_persons(old, registry,
                                                                      "person_id"),
                                               rules, "record_id"))
    return pl.concat(parts).unique().sort()


def links_after(before: pl.DataFrame, relinked: pl.DataFrame, replaced: pl.Series
                ) -> pl.DataFrame:
    """The links of a scope once a run's are in: the stored ones but for `replaced` (linked
    again, or gone), and the new ones."""
    kept = before.filter(~pl.col("record_id").is_in(replaced.implode()))
    return pl.concat([kept.select(LINK_COLUMNS), relinked.select(LINK_COLUMNS)]
                     ).sort("record_id")


def linked_to(links: pl.DataFrame, persons: pl.Series) -> pl.Series:
    """The records linked (decision match) to any of `persons`."""
    return links.filter((pl.col("decision") == "match")
                        & pl.col("person_id").is_in(persons.implode())).get_column("record_id")


def duplicate_neighbours(matches_before: pl.DataFrame, matches_after: pl.DataFrame,
                         records: pl.Series) -> pl.Series:
    """Records whose `duplicate_in_source` findings can change because `records` changed:
    every record linked (decision match), before or after, to a person that one of
    `records` was linked to before or after."""
    def linked(matches: pl.DataFrame) -> pl.DataFrame:
        return matches.filter(pl.col("decision") == "match").select("record_id", "person_id")

    both = pl.concat([linked(matches_before), linked(matches_after)])
    persons = both.filter(pl.col("record_id").is_in(records.implode())).select("person_id")
    neighbours = both.join(persons.unique(), on="person_id", how="semi").get_column("record_id")
    return pl.concat([neighbours, records]).unique().sort()
