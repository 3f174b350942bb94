"""Fellegi–Sunter scoring: compare candidate pairs, add up the evidence in bits.

Each comparison level has a weight log2(m / u): m the probability of that
level among true matches, u among non-matches. A pair's total weight is the
prior (log2 of the prior odds of a match) plus the weight of each
comparison's level; a missing value adds nothing. At levels a comparison
marks for term-frequency adjustment, u is replaced by the frequency of the
left-side value in the registry, p(v) (floored at `tf_minimum`): the weight
gains log2(Σ p² / p(v)), Σ p² being the chance that two random people share
a value, the average that u holds for that agreement. So two records agreeing
on Nguyễn (38 % of people) gain less than two agreeing on a rare family name.
The average is taken from the table, not from the level's u, because a level
may carry more than the agreement: "same letters, written without
diacritics" is also "this record was typed without diacritics". The match probability is
1 / (1 + 2^-weight).
"""

from collections.abc import Sequence

import polars as pl

from matching.blocking import LEFT_ROW, RIGHT_ROW
from matching.comparisons import Comparison, add_similarities
from matching.model import SourceParameters, TermFrequencies


def _columns(comparisons: Sequence[Comparison], side: str) -> list[str]:
    wanted: dict[str, None] = {}
    for comparison in comparisons:
        names = comparison.left_columns if side == "l" else comparison.right_columns
        wanted.update(dict.fromkeys(names))
        if side == "l":
            wanted.update(dict.fromkeys(column for _, column in comparison.term_frequency))
    return list(wanted)


def compare_pairs(comparisons: Sequence[Comparison], left: pl.DataFrame, right: pl.DataFrame,
                  pairs: pl.DataFrame) -> pl.DataFrame:
    """The pairs with one Int8 level column per comparison (named after it) and the left
    columns term frequencies need (suffixed `_l`)."""
    left_columns, right_columns = _columns(comparisons, "l"), _columns(comparisons, "r")
    frame = pl.concat([
        pairs.select(LEFT_ROW, RIGHT_ROW),
        left.select(left_columns)[pairs.get_column(LEFT_ROW)].rename(lambda c: f"{c}_l"),
        right.select(right_columns)[pairs.get_column(RIGHT_ROW)].rename(lambda c: f"{c}_r"),
    ], how="horizontal")
    similarities = {s.column: s for c in comparisons for s in c.similarities}
    frame = add_similarities(frame, similarities.values())
    tf_columns = {f"{column}_l" for c in comparisons for _, column in c.term_frequency}
    return frame.select(LEFT_ROW, RIGHT_ROW, *sorted(tf_columns),
                        *[c.level.alias(c.name) for c in comparisons])


def comparison_weights(comparisons: Sequence[Comparison], parameters: SourceParameters,
                       frequencies: Sequence[TermFrequencies],
                       tf_minimum: float) -> list[pl.Expr]:
    """One Float64 expression per comparison (named after it): its weight in bits, term
    frequency included, over a frame from `compare_pairs`."""
    tables = {t.column: t for t in frequencies}
    weights = []
    for comparison in comparisons:
        params = parameters.comparison(comparison.name)
        level = pl.col(comparison.name)
        weight = level.replace_strict(dict(enumerate(params.weights())),
                                      return_dtype=pl.Float64)
        for level_name, column in comparison.term_frequency:
            code = comparison.levels.index(level_name)
            table = tables[column]
            share = {value: n / table.total for value, n in table.counts}
            agreement = sum(p * p for p in share.values())
            frequency = (pl.col(f"{column}_l")
                         .replace_strict(share, default=tf_minimum, return_dtype=pl.Float64)
                         .clip(lower_bound=tf_minimum))
            adjustment = (agreement / frequency).log(2)
            weight = pl.when(level == code).then(weight + adjustment).otherwise(weight)
        weights.append(weight.fill_null(0.0).alias(comparison.name))
    return weights


def score_levels(levels: pl.DataFrame, comparisons: Sequence[Comparison],
                 parameters: SourceParameters, frequencies: Sequence[TermFrequencies],
                 tf_minimum: float) -> pl.DataFrame:
    """The pairs of `compare_pairs` with a `w_<comparison>` column each, `weight` (prior
    included) and `probability`."""
    weights = comparison_weights(comparisons, parameters, frequencies, tf_minimum)
    scored = levels.with_columns(w.name.prefix("w_") for w in weights)
    total = pl.sum_horizontal(f"w_{c.name}" for c in comparisons) + parameters.prior_weight
    return scored.with_columns(total.alias("weight")).with_columns(
        probability(pl.col("weight")).alias("probability"),
    )


def probability(weight: pl.Expr) -> pl.Expr:
    """Match probability from the total weight in bits."""
    return 1.0 / (1.0 + (2.0 ** (-weight)))
