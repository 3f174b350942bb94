"""Explanations: the waterfall of weights behind each linked or reviewable record.

A reviewer sees why a record went to a person: the prior, then each
comparison's level and its weight in bits (log2 Bayes factor, term-frequency
adjustment included; 0 for a value missing on a side). The weights add up to
the total behind the record's score. A link a reviewer decided ends with a
`reviewer` row (level `decided`, weight 0): the score is the model's, the link is theirs.
"""

from collections.abc import Sequence

import polars as pl

from matching.comparisons import Comparison
from matching.decisions import DECIDED

EXPLANATIONS_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "record_id": pl.String(),
    "person_id": pl.String(),
    "comparison": pl.String(),
    "level": pl.String(),
    "weight": pl.Float64(),
}
"""Columns of `Links.explanations`."""


def explain(chosen: pl.DataFrame, comparisons: Sequence[Comparison], prior_weight: float,
            source: str) -> pl.DataFrame:
    """Waterfall rows for the chosen pairs (`record_id`, `person_id`, each comparison's level
    code and `w_<comparison>` weight): a `prior` row, then one row per comparison."""
    ids = [pl.lit(source).alias("source"), pl.col("record_id"), pl.col("person_id")]
    parts = [chosen.select(*ids, pl.lit("prior").alias("comparison"),
                           pl.lit("prior").alias("level"),
                           pl.lit(prior_weight, dtype=pl.Float64).alias("weight"))]
    for comparison in comparisons:
        label = (pl.col(comparison.name)
                 .replace_strict(dict(enumerate(comparison.levels)), return_dtype=pl.String)
                 .fill_null("missing"))
        parts.append(chosen.select(*ids, pl.lit(comparison.name).alias("comparison"),
                                   label.alias("level"),
                                   pl.col(f"w_{comparison.name}").alias("weight")))
    if DECIDED in chosen.columns:
        parts.append(chosen.filter(pl.col(DECIDED)).select(
            *ids, pl.lit("reviewer").alias("comparison"), pl.lit(DECIDED).alias("level"),
            pl.lit(0.0, dtype=pl.Float64).alias("weight")))
    return (pl.concat(parts).cast(pl.Schema(EXPLANATIONS_SCHEMA))
            .sort("record_id", maintain_order=True))
