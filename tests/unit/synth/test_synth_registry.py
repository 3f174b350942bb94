"""The registry: names, IDs, dates, places and deaths look like Viet Nam's."""

import csv
import datetime as dt
from typing import cast

import polars as pl

from popdq.divisions import division_file
from synth import REFERENCE_DATE, World


def _rows(name: str) -> list[dict[str, str]]:
    with division_file(name, "2025-07-01").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


OLD_CODES = {r["old_code"] for r in _rows("province_mapping.csv")}
COMMUNES = {r["commune_code"]: r["province_code"] for r in _rows("communes.csv")}


def _family(names: pl.Series) -> pl.Series:
    return names.str.split(" ").list.first()


def test_family_name_shares_follow_the_domain_table(big_world: World) -> None:
    shares = _family(big_world.registry["full_name"]).value_counts(normalize=True)
    share = dict(zip(shares["full_name"], shares["proportion"], strict=True))
    assert abs(share["Nguyễn"] - 0.38) < 0.03
    assert abs(share["Trần"] - 0.11) < 0.02
    assert abs(share["Lê"] - 0.095) < 0.02
    assert abs(share["Phạm"] - 0.071) < 0.015
    top = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
           "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
    assert 0.86 < sum(share.get(name, 0) for name in top) < 0.93
    assert len(share) > 60  # a long tail


def test_names_are_nfc_family_first_with_middle_names_by_sex_and_cohort(big_world: World) -> None:
    reg = big_world.registry.with_columns(
        parts=pl.col("full_name").str.split(" "),
        year=pl.col("date_of_birth").str.slice(0, 4).cast(pl.Int64),
    )
    assert reg["full_name"].str.normalize("NFC").equals(reg["full_name"])
    assert cast(int, reg["parts"].list.len().min()) >= 2
    assert cast(int, reg["parts"].list.len().max()) <= 6
    middle = reg.with_columns(middle=pl.col("parts").list.get(1))
    older_men = middle.filter((pl.col("sex") == "M") & (pl.col("year") < 1970))
    young_men = middle.filter((pl.col("sex") == "M") & (pl.col("year") >= 2010))
    older_women = middle.filter((pl.col("sex") == "F") & (pl.col("year") < 1970))
    assert cast(float, (older_men["middle"] == "Văn").mean()) > 0.7
    assert cast(float, (young_men["middle"] == "Văn").mean()) < 0.25
    assert cast(float, (older_women["middle"] == "Thị").mean()) > 0.75
    assert (middle.filter(pl.col("sex") == "M")["middle"] == "Thị").sum() == 0
    assert cast(float, (reg["parts"].list.len() == 4).mean()) > 0.03  # two-syllable parts exist
    assert reg["full_name"].str.starts_with("Tôn Thất ").any() or reg["full_name"].str.starts_with(
        "Nguyễn Phúc ").any()


def test_personal_ids_are_unique_and_agree_with_birth_year_sex_and_province(world: World) -> None:
    reg = world.registry
    ids = reg["person_id"]
    assert ids.str.contains(r"^\d{12}$").all()
    assert ids.n_unique() == reg.height
    assert ids.str.slice(0, 1).eq("0").all()
    assert ids.str.slice(1, 2).is_in(sorted(OLD_CODES)).all()
    d4 = ids.str.slice(3, 1).cast(pl.Int64)
    year = 1900 + 100 * (d4 // 2) + ids.str.slice(4, 2).cast(pl.Int64)
    assert (year == reg["date_of_birth"].str.slice(0, 4).cast(pl.Int64)).all()
    assert ((d4 % 2 == 0) == (reg["sex"] == "M")).all()


def test_old_ids_only_for_people_old_enough_for_a_cmnd(world: World) -> None:
    reg = world.registry.with_columns(year=pl.col("date_of_birth").str.slice(0, 4).cast(pl.Int64))
    holders = reg.filter(pl.col("old_id_number") != "")
    assert holders["old_id_number"].str.contains(r"^\d{9}$").all()
    assert holders["old_id_number"].n_unique() == holders.height
    assert cast(int, holders["year"].max()) <= 2002
    assert holders.height / reg.filter(pl.col("year") <= 1998).height > 0.8


def test_dates_places_status(world: World) -> None:
    reg = world.registry
    dob = reg["date_of_birth"]
    assert dob.str.contains(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()
    assert (dob.str.len_chars() == 4).sum() > 10  # some year-only births
    assert (dob.str.len_chars() == 7).sum() > 0
    assert reg["sex"].is_in(["M", "F"]).all()
    assert reg["status"].is_in(["alive", "deceased"]).all()
    assert all(COMMUNES[c] == p for c, p in zip(reg["commune_code"], reg["province_code"],
                                                strict=True))
    dead = reg.filter(pl.col("status") == "deceased")
    assert 0.01 <= dead.height / reg.height <= 0.025
    assert (dead["date_of_death"] != "").all()
    assert (reg.filter(pl.col("status") == "alive")["date_of_death"] == "").all()
    assert (dead["date_of_death"] < REFERENCE_DATE.isoformat()).all()
    assert (dead["date_of_death"].str.slice(0, 10) >= dead["date_of_birth"]).all()


def test_age_pyramid_is_vietnam_like(big_world: World) -> None:
    year = big_world.registry["date_of_birth"].str.slice(0, 4).cast(pl.Int64)
    age = REFERENCE_DATE.year - year
    assert 0.20 < cast(float, (age < 15).mean()) < 0.27
    assert 0.07 < cast(float, (age >= 65).mean()) < 0.13
    assert 0.45 < cast(float, (big_world.registry["sex"] == "M").mean()) < 0.52
    latest_birth = cast(str, big_world.registry["date_of_birth"].max())
    assert dt.date.fromisoformat(latest_birth[:10]) < REFERENCE_DATE
