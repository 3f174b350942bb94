"""Decisions: the best candidate of each record, and whether to link it, review it or not.

Precision first: a record is linked (`match`) only when its best candidate's
match probability reaches `match_probability` and no other candidate comes
close; `review` when the probability reaches `review_probability`, or when it
would be a match but the second candidate is within `ambiguity_gap_bits`
(and itself reviewable): that is `ambiguous` (contract kind
`ambiguous_match`); `none` otherwise, with no person_id.

A profile may also declare vetoes: combinations of levels that rule out an
automatic match whatever the weights say (a record with a father's ID, but
the child's name and birth date: the ID agrees, name and date clearly do
not). A vetoed best candidate goes to review at most.

A reviewer's decision outranks the model (`DECIDED`, `REJECTED`): a person
the reviewer chose is the record's best candidate and its link, whatever it
scores; a person they rejected is never its candidate.

Each record is decided on its own candidates: there is no one-to-one
assignment across records (several records of one source may be the same
person, which is reported later as `duplicate_in_source`), so a record's row
never depends on the other records linked with it. Ties between candidates
of equal weight go to the smaller person_id, so the order of the frames does
not matter.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from matching.comparisons import Comparison
from matching.model import Thresholds

MATCHES_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "record_id": pl.String(),
    "person_id": pl.String(),
    "score": pl.Float64(),
    "decision": pl.String(),
    "second_person_id": pl.String(),
    "second_score": pl.Float64(),
    "ambiguous": pl.Boolean(),
}
"""Columns of `Links.matches` (contract §3 plus the runner-up)."""

DECIDED = "decided"
"""A right-frame column: the left key a reviewer linked the record to (confirmed or chosen)."""
REJECTED = "rejected"
"""A right-frame column: the left keys a reviewer said the record is not (a list)."""


@dataclass(frozen=True)
class Veto:
    """A candidate whose comparisons all fall in the listed levels is never a `match`."""

    name: str
    levels: tuple[tuple[str, tuple[str, ...]], ...]


def vetoed(comparisons: Sequence[Comparison], vetoes: Sequence[Veto]) -> pl.Expr:
    """Boolean expression over level columns: some veto holds for the pair."""
    codes = {c.name: c.levels for c in comparisons}
    holds = [
        pl.all_horizontal(
            pl.col(name).is_in([codes[name].index(level) for level in levels]).fill_null(False)
            for name, levels in veto.levels)
        for veto in vetoes
    ]
    return pl.any_horizontal(holds) if holds else pl.lit(False)


def rank_candidates(scored: pl.DataFrame) -> pl.DataFrame:
    """The best and second candidate of each record: `record_id`, `rank` (1 or 2) and the
    scored pair's columns. `scored` needs `record_id`, `person_id`, `weight`, `decided` (the
    pair is the reviewer's choice: it comes first)."""
    return (scored.sort(["record_id", DECIDED, "weight", "person_id"],
                        descending=[False, True, True, False])
            .with_columns(pl.col("record_id").cum_count().over("record_id").alias("rank"))
            .filter(pl.col("rank") <= 2))


def decide(records: pl.Series, ranked: pl.DataFrame, thresholds: Thresholds,
           source: str) -> pl.DataFrame:
    """One row per record in `records` (MATCHES_SCHEMA), sorted by record_id; `ranked`
    comes from `rank_candidates` with boolean `vetoed` and `decided` columns."""
    best = ranked.filter(pl.col("rank") == 1).select(
        "record_id", "person_id", pl.col("probability").alias("score"), pl.col("weight"),
        "vetoed", DECIDED)
    second = ranked.filter(pl.col("rank") == 2).select(
        "record_id", pl.col("person_id").alias("second_person_id"),
        pl.col("probability").alias("second_score"), pl.col("weight").alias("second_weight"))
    frame = (pl.DataFrame({"record_id": records.cast(pl.String)})
             .join(best, on="record_id", how="left")
             .join(second, on="record_id", how="left"))
    ambiguous = (
        (pl.col("weight") - pl.col("second_weight") < thresholds.ambiguity_gap_bits)
        & (pl.col("second_score") >= thresholds.review_probability)
    ).fill_null(False) & ~pl.col(DECIDED).fill_null(False)
    score = pl.col("score").fill_null(0.0)
    decision = (
        pl.when(pl.col(DECIDED).fill_null(False)).then(pl.lit("match"))
        .when((score >= thresholds.match_probability) & ~pl.col("ambiguous")
                & ~pl.col("vetoed").fill_null(False))
        .then(pl.lit("match"))
        .when(score >= thresholds.review_probability).then(pl.lit("review"))
        .otherwise(pl.lit("none"))
    )
    return (frame.with_columns(ambiguous.alias("ambiguous"))
            .with_columns(decision.alias("decision"), score.alias("score"))
            .with_columns(pl.when(pl.col("decision") != "none").then(pl.col("person_id"))
                          .alias("person_id"),
                          pl.lit(source).alias("source"))
            .select(list(MATCHES_SCHEMA))
            .cast(pl.Schema(MATCHES_SCHEMA))
            .sort("record_id"))
