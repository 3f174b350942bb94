"""What makes linking hard: missing ID numbers and year-only dates by age, popular
given names by cohort, and namesakes at the density of a real province."""

from typing import cast

import polars as pl
import pytest

from popdq.contract import SOURCE_KINDS
from synth import REFERENCE_DATE, World

KEY_COLUMN = {"social_insurance": "bhxh_code", "tax": "tax_code",
              "health_insurance": "card_number"}
YEAR_ONLY = r"^(?:\d{4}|0?1[/-]0?1[/-]\d{4}|00/00/\d{4}|\d{4}-01-01)$"
"""Written dates a checker reads as a year only (domain §4)."""


@pytest.fixture(scope="module")
def records(big_world: World) -> pl.DataFrame:
    """Every source record of a registry person, with that person's birth year and age."""
    frames = [getattr(big_world, kind).select(
        "record_id", "id_number", "date_of_birth", key=pl.col(KEY_COLUMN[kind]),
        source=pl.lit(kind)) for kind in SOURCE_KINDS]
    registry = big_world.registry.select(
        "person_id", year=pl.col("date_of_birth").str.slice(0, 4).cast(pl.Int64))
    return (pl.concat(frames).join(big_world.truth, on=["source", "record_id"])
            .join(registry, on="person_id")
            .with_columns(age=REFERENCE_DATE.year - pl.col("year"),
                          no_id=pl.col("id_number") == "",
                          year_only=pl.col("date_of_birth").str.contains(YEAR_ONLY)))


def _share(frame: pl.DataFrame, column: str) -> float:
    return cast(float, frame[column].mean())


def test_missing_ids_are_commoner_among_children_and_the_old(records: pl.DataFrame) -> None:
    adults = _share(records.filter(pl.col("age").is_between(25, 54)), "no_id")
    young = _share(records.filter(pl.col("age") < 6), "no_id")
    old = _share(records.filter(pl.col("age") >= 70), "no_id")
    assert young > 5 * adults and old > 3 * adults, (young, old, adults)
    assert 0.06 < _share(records, "no_id") < 0.13  # table rates × missing_id_scale (3)


def test_a_record_without_an_id_number_carries_no_id_at_all(records: pl.DataFrame) -> None:
    empty = records.filter("no_id")
    assert empty.height > 100
    assert not empty["key"].str.contains(r"^\d{12}$").any()
    assert empty["kinds"].str.contains("missing_field").all()


def test_year_only_dates_are_commoner_for_older_cohorts(big_world: World,
                                                       records: pl.DataFrame) -> None:
    oldest = _share(records.filter(pl.col("year") < 1945), "year_only")
    old = _share(records.filter(pl.col("year") < 1960), "year_only")
    mid = _share(records.filter(pl.col("year").is_between(1960, 1975)), "year_only")
    young = _share(records.filter(pl.col("year") >= 1990), "year_only")
    assert oldest > 0.3 and old > 2 * mid and mid > 3 * young, (oldest, old, mid, young)
    written = records.filter("year_only")["date_of_birth"]
    assert written.str.starts_with("01/01/").sum() > written.str.starts_with("00/00/").sum()
    registry = big_world.registry.with_columns(
        year=pl.col("date_of_birth").str.slice(0, 4).cast(pl.Int64),
        year_only=pl.col("date_of_birth").str.len_chars() == 4)
    assert _share(registry.filter(pl.col("year") < 1960), "year_only") > 0.08
    assert not registry.filter(pl.col("year") > 1975)["year_only"].any()


def test_popular_given_names_by_cohort(big_world: World) -> None:
    registry = big_world.registry.with_columns(
        given=pl.col("full_name").str.split(" ").list.last(),
        year=pl.col("date_of_birth").str.slice(0, 4).cast(pl.Int64))
    for sex, born, name, share in (("F", (1900, 1959), "Lan", 0.015),
                                   ("F", (1985, 2004), "Trang", 0.025),
                                   ("F", (2005, 2099), "Anh", 0.05),
                                   ("M", (1960, 1984), "Hùng", 0.015),
                                   ("M", (2005, 2099), "Huy", 0.025)):
        cohort = registry.filter((pl.col("sex") == sex) & pl.col("year").is_between(*born))
        counts = cohort["given"].value_counts(sort=True)["count"]
        assert cast(float, (cohort["given"] == name).mean()) > share, (sex, born, name)
        assert 0.18 < counts.head(10).sum() / cohort.height < 0.5, (sex, born)


def test_namesakes_at_the_density_of_a_real_province(big_world: World) -> None:
    registry = big_world.registry.with_columns(
        year=pl.col("date_of_birth").str.slice(0, 4),
        in_province=pl.len().over("full_name", "sex", pl.col("date_of_birth").str.slice(0, 4),
                                  "province_code"),
        in_commune=pl.len().over("full_name", "sex", pl.col("date_of_birth").str.slice(0, 4),
                                 "commune_code"))
    # 20,000 people: ~28 % with a namesake in their province, ~4 % in their commune
    # (without namesakes: 0.2 % and none; a 1M world: 60 % and 8 %)
    assert _share(registry.with_columns(pl.col("in_province") > 1), "in_province") > 0.2
    assert _share(registry.with_columns(pl.col("in_commune") > 1), "in_commune") > 0.02
    # real homonyms: different people, households and (mostly) birth days
    groups = registry.filter(pl.col("in_province") > 1).group_by(
        "full_name", "sex", "year", "province_code").agg(
        people=pl.len(), ids=pl.col("person_id").n_unique(),
        households=pl.col("household_id").n_unique(), days=pl.col("date_of_birth").n_unique())
    assert (groups["ids"] == groups["people"]).all()
    assert (groups["households"] == groups["people"]).all()
    assert cast(float, (groups["days"] == groups["people"]).mean()) > 0.9
