"""Splink 5 (DuckDB backend) on the Febrl data sets, set up as its own examples do.

Febrl4 is a link task (A ↔ B, `link_only`); Febrl1–3 are deduplication tasks
(`dedupe_only`). The set-up follows Splink's published Febrl3/Febrl4 demos:
trimmed strings, several OR-ed blocking rules, name / date / ID / address
comparisons from `splink.comparison_library`, λ estimated from deterministic
rules, u by random sampling, m by EM on two blocking rules, then `predict`.

Every scored pair with match_probability ≥ `threshold` (default 0.9: a link
must be far more likely than not; Splink's demos keep candidates from 0.2 and
cluster at 0.99; bench/README.md has the measured sweep) is a predicted link.
No clustering: the benchmark scores pairs.
"""

import logging
from typing import Any, Literal

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

THRESHOLD = 0.9
"""Default match_probability threshold for a predicted link."""

U_MAX_PAIRS = 2e6
"""Pairs sampled to estimate u (Splink's Febrl4 demo uses 1e6; 1e7 costs ~16 s here)."""

COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
           "postcode", "state", "date_of_birth", "soc_sec_id")

BLOCKING_RULES: list[BlockingRuleCreator | dict[str, Any]] = [
    block_on("soc_sec_id"),
    block_on("given_name", "surname"),
    CustomRule("l.given_name = r.surname and l.surname = r.given_name"),
    block_on("date_of_birth"),
    block_on("street_number", "address_1"),
    block_on("postcode", "surname"),
    block_on("postcode", "given_name"),
]
"""Blocking rules for prediction (OR-ed): each true link needs to satisfy one."""


def _comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    return [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                 datetime_format="%Y%m%d", invalid_dates_as_null=True),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
            term_frequency_adjustments=True),
    ]


def _prepare(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> duckdb.DuckDBPyRelation:
    """A Febrl frame (rec_id and the Febrl columns) as trimmed strings, '' → NULL."""
    data = frame.select(pl.col("rec_id", *COLUMNS).cast(pl.String))
    cleaned = ", ".join(f"nullif(trim({c}), '') as {c}" for c in COLUMNS)
    return con.from_arrow(data.to_arrow()).project(f"rec_id, {cleaned}")


def predict_pairs(frames: list[pl.DataFrame], threshold: float = THRESHOLD
                  ) -> list[tuple[str, str]]:
    """Train a Splink model on the frames and return the predicted links.

    Frames as `pl.from_pandas(load_febrlN().reset_index())`. One frame:
    deduplication, pairs of rec_ids within it. Two frames: link
    only, pairs (rec_id in frames[0], rec_id in frames[1]).
    """
    link_type: Literal["dedupe_only", "link_only"] = (
        "dedupe_only" if len(frames) == 1 else "link_only")
    con = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection=con)
        tables = [db_api.register(_prepare(con, f), dataset_display_name=f"df_{i}")
                  for i, f in enumerate(frames)]
        settings = SettingsCreator(
            link_type=link_type,
            unique_id_column_name="rec_id",
            blocking_rules_to_generate_predictions=BLOCKING_RULES,
            comparisons=_comparisons(),
        )
        linker = Linker(tables if len(tables) > 1 else tables[0], settings,
                        log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
            recall=0.8,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1)
        for rule in (block_on("date_of_birth"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        predictions = linker.inference.predict(threshold_match_probability=threshold,
                                               warning_mode="never")
        relation = predictions.as_duckdbpyrelation()
        if link_type == "dedupe_only":
            pairs = relation.project("rec_id_l, rec_id_r").fetchall()
            return [(left, right) for left, right in pairs]
        rows = relation.project("source_dataset_l, rec_id_l, rec_id_r").fetchall()
    finally:
        con.close()
    # link_only: either dataset may be on the left of a pair.
    return [(left, right) if src == "df_0" else (right, left) for src, left, right in rows]
