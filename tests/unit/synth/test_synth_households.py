"""Households: parents old enough, children named after their father, twins."""

from typing import cast

import polars as pl

from synth import World


def _people(world: World) -> pl.DataFrame:
    return world.registry.join(world.families, on=["person_id", "household_id"],
                               validate="1:1")


def _parents(world: World, link: str) -> pl.DataFrame:
    people = _people(world)
    parents = people.select(
        pl.col("person_id").alias(link), pl.col("full_name").alias("parent_name"),
        pl.col("date_of_birth").alias("parent_dob"), pl.col("household_id").alias("parent_hh"),
        pl.col("sex").alias("parent_sex"))
    return people.filter(pl.col(link) != "").join(parents, on=link, how="left", validate="m:1")


def test_parents_are_in_the_registry_same_household_and_16_years_older(world: World) -> None:
    for link, sex in (("father_id", "M"), ("mother_id", "F")):
        pairs = _parents(world, link)
        assert pairs.height > 500
        assert pairs["parent_name"].null_count() == 0
        assert (pairs["parent_hh"] == pairs["household_id"]).all()
        assert (pairs["parent_sex"] == sex).all()
        gap = (pairs["date_of_birth"].str.slice(0, 4).cast(pl.Int64)
               - pairs["parent_dob"].str.slice(0, 4).cast(pl.Int64))
        assert cast(int, gap.min()) >= 17


def test_children_carry_their_fathers_family_name(world: World) -> None:
    pairs = _parents(world, "father_id")
    first = pairs["full_name"].str.split(" ").list.first()
    assert (first == pairs["parent_name"].str.split(" ").list.first()).all()


def test_households_share_a_commune_and_have_plausible_sizes(world: World) -> None:
    people = _people(world)
    per_household = people.group_by("household_id").agg(
        pl.col("commune_code").n_unique().alias("communes"), pl.len().alias("size"))
    assert per_household["communes"].max() == 1
    assert 2.3 < cast(float, per_household["size"].mean()) < 4.0
    assert cast(int, per_household["size"].max()) <= 10
    assert set(people["role"].unique()) <= {"child", "head", "spouse", "elder", "alone"}


def test_some_twins_and_some_mothers_family_names_as_middle_names(big_world: World) -> None:
    kids = _people(big_world).filter(pl.col("role") == "child")
    twins = kids.group_by("household_id", "date_of_birth").len().filter(pl.col("len") >= 2)
    assert twins.height >= 5
    with_mother = _parents(big_world, "mother_id").filter(pl.col("father_id") != "")
    mothers_family = with_mother["parent_name"].str.split(" ").list.first()
    middle = with_mother["full_name"].str.split(" ").list.get(1)
    own_family = with_mother["full_name"].str.split(" ").list.first()
    assert ((middle == mothers_family) & (own_family != mothers_family)).sum() >= 10


def test_non_twin_siblings_are_born_at_least_300_days_apart(world: World) -> None:
    kids = (_people(world).filter((pl.col("role") == "child")
                                  & (pl.col("date_of_birth").str.len_chars() == 10))
            .with_columns(day=pl.col("date_of_birth").str.to_date())
            .sort("household_id", "day"))
    gaps = kids.with_columns(gap=(pl.col("day").diff().over("household_id")).dt.total_days())
    gap = gaps["gap"].drop_nulls()
    assert ((gap == 0) | (gap >= 300)).all()
