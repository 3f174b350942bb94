"""Comparisons: grade each candidate pair on one attribute, from most to least similar.

A comparison is a polars expression over a *pairs frame*: the prepared columns
of the left side (registry) suffixed `_l` and of the right side (source
record) suffixed `_r`, plus the similarity columns it asks for. It yields an
Int8 level code per pair: 0 is the most similar of `levels`, the last one is
"different"; null means a side lacks the value, so the comparison contributes
nothing (Fellegi–Sunter treats it as not observed).

Fuzzy similarities are computed by rapidfuzz (`process.cpdist`, C++, all
cores) on character strings, never by DuckDB's byte-based functions, which
Vietnamese diacritics distort. Names and dates repeat a lot, so each
similarity is computed once per distinct (left, right) value pair and joined
back.

The generic factories here (`exact_comparison`, `string_comparison`,
`edit_comparison`) serve any schema; `matching.vietnamese` builds the
Vietnamese ones from the same parts.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, Hamming, JaroWinkler, Levenshtein

SCORERS: dict[str, Callable[..., float]] = {
    "jaro_winkler": JaroWinkler.normalized_similarity,
    "levenshtein": Levenshtein.distance,
    "osa": OSA.distance,
    "hamming": Hamming.distance,
}
"""rapidfuzz scorers by name: Jaro–Winkler similarity in [0, 1]; edit distances in characters
(OSA counts an adjacent transposition as one edit; Hamming needs equal lengths)."""


@dataclass(frozen=True, eq=False)
class Similarity:
    """A rapidfuzz score of a left-side value against a right-side value, stored as `column`.

    `left` and `right` are expressions over the pairs frame (usually one `_l`
    and one `_r` column). Similarities are identified by `column`: two
    comparisons that ask for the same column share one computation. `where`,
    when given, is a cheap test outside which the score cannot matter (two IDs
    sharing no half cannot be one typo apart): other pairs get null.
    """

    column: str
    scorer: str
    left: pl.Expr
    right: pl.Expr
    where: pl.Expr | None = None


@dataclass(frozen=True, eq=False)
class Comparison:
    """One compared attribute: its levels and the expression that grades a pair.

    `term_frequency` lists (level, left column) pairs: at that level the weight
    is adjusted by how common the left side's value is (a shared rare value is
    stronger evidence than a shared common one).
    """

    name: str
    levels: tuple[str, ...]
    level: pl.Expr
    left_columns: tuple[str, ...]
    right_columns: tuple[str, ...]
    similarities: tuple[Similarity, ...] = ()
    term_frequency: tuple[tuple[str, str], ...] = ()


def graded(missing: pl.Expr, conditions: Sequence[tuple[str, pl.Expr]],
           otherwise: str = "different") -> tuple[tuple[str, ...], pl.Expr]:
    """Levels and the Int8 level expression: the first true condition wins, null when missing."""
    levels = (*(name for name, _ in conditions), otherwise)
    first_true = pl.coalesce(
        *[pl.when(condition.fill_null(False)).then(pl.lit(code, dtype=pl.Int8))
          for code, (_, condition) in enumerate(conditions)],
        pl.lit(len(conditions), dtype=pl.Int8),
    )
    return levels, pl.when(missing.fill_null(True)).then(None).otherwise(first_true)


def blank(column: str) -> pl.Expr:
    """A missing value: null or empty text."""
    return pl.col(column).is_null() | (pl.col(column).cast(pl.String) == "")


def _scores(scorer: str, left: pl.Series, right: pl.Series) -> pl.Series:
    scores = process.cpdist(left.to_list(), right.to_list(), scorer=SCORERS[scorer], workers=-1)
    dtype = pl.Float32 if np.issubdtype(scores.dtype, np.floating) else pl.Int32
    return pl.Series(scores, dtype=dtype)


def add_similarities(pairs: pl.DataFrame, similarities: Iterable[Similarity]) -> pl.DataFrame:
    """Add each similarity column: scored once per distinct (left, right) value pair, or,
    for a similarity with a `where` test, only on the pairs that pass it."""
    for sim in similarities:
        if sim.column in pairs.columns:
            continue
        if sim.where is not None:
            rows = pairs.select(sim.where.fill_null(False).arg_true()).to_series()
            subset = pairs.select(sim.left.alias("__a"), sim.right.alias("__b"))[rows]
            scores = _scores(sim.scorer, subset.get_column("__a"), subset.get_column("__b"))
            column = pl.Series(sim.column, [None] * pairs.height, dtype=scores.dtype)
            pairs = pairs.with_columns(column.scatter(rows, scores))
            continue
        distinct = pairs.select(sim.left.alias("__a"), sim.right.alias("__b")).drop_nulls().unique()
        distinct = distinct.with_columns(
            _scores(sim.scorer, distinct.get_column("__a"), distinct.get_column("__b"))
            .alias(sim.column))
        pairs = (pairs.with_columns(sim.left.alias("__a"), sim.right.alias("__b"))
                 .join(distinct, on=["__a", "__b"], how="left", maintain_order="left")
                 .drop("__a", "__b"))
    return pairs


def exact_comparison(name: str, column: str, *, term_frequency: bool = False) -> Comparison:
    """Same value or not."""
    levels, level = graded(blank(f"{column}_l") | blank(f"{column}_r"),
                           [("exact", pl.col(f"{column}_l") == pl.col(f"{column}_r"))])
    return Comparison(name, levels, level, (column,), (column,),
                      term_frequency=(("exact", column),) if term_frequency else ())


def string_comparison(name: str, column: str, *, thresholds: Sequence[float] = (0.92, 0.8),
                      swapped_with: str | None = None,
                      term_frequency: bool = True) -> Comparison:
    """Exact, optionally swapped with another column, then Jaro–Winkler bands, then different.

    `swapped_with` catches two fields entered the other way round (given name
    and surname): the left value equals the right side's other column.
    """
    sim = Similarity(f"jw_{column}", "jaro_winkler", pl.col(f"{column}_l"),
                     pl.col(f"{column}_r"))
    conditions = [("exact", pl.col(f"{column}_l") == pl.col(f"{column}_r"))]
    right_columns = [column]
    if swapped_with is not None:
        conditions.append(("swapped", pl.col(f"{column}_l") == pl.col(f"{swapped_with}_r")))
        right_columns.append(swapped_with)
    conditions += [(f"jaro_winkler_{t:g}", pl.col(sim.column) >= t) for t in thresholds]
    levels, level = graded(blank(f"{column}_l") | blank(f"{column}_r"), conditions)
    return Comparison(name, levels, level, (column,), tuple(right_columns), (sim,),
                      (("exact", column),) if term_frequency else ())


def edit_comparison(name: str, column: str, *, max_edits: int = 2,
                    term_frequency: bool = False) -> Comparison:
    """Exact, then 1 … `max_edits` edits (OSA: a swap of neighbours is one edit), then different."""
    sim = Similarity(f"osa_{column}", "osa", pl.col(f"{column}_l"), pl.col(f"{column}_r"))
    conditions = [("exact", pl.col(f"{column}_l") == pl.col(f"{column}_r"))]
    conditions += [(f"edits_{k}", pl.col(sim.column) == k) for k in range(1, max_edits + 1)]
    levels, level = graded(blank(f"{column}_l") | blank(f"{column}_r"), conditions)
    return Comparison(name, levels, level, (column,), (column,), (sim,),
                      (("exact", column),) if term_frequency else ())
