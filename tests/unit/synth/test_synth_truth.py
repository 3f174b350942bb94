"""truth.csv: complete, and each kind re-derived independently from the files.

The checks below read the written text the way a checker would (day-first
dates, 01/01 and 00/00 as year only, IDs without separators and with a lost
leading zero restored) and compare with the registry, so a kind in truth.csv
is only accepted if the data really shows it.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import cast

import polars as pl
import pytest

from popdq.contract import KINDS, SOURCE_KINDS
from popdq.divisions import load_divisions
from synth import World, spelling
from synth.tables import divisions

LINK_KINDS = {"name_mismatch", "dob_mismatch", "sex_mismatch", "id_mismatch", "stale_id",
              "duplicate_in_source", "deceased_active"}
"""Kinds that need a registry person to be seen."""


def _records(world: World) -> pl.DataFrame:
    """Every source record with its truth row and its registry person (if any)."""
    frames = [getattr(world, kind).with_columns(source=pl.lit(kind)) for kind in SOURCE_KINDS]
    records = pl.concat(frames, how="diagonal")
    registry = world.registry.select(pl.all().name.prefix("reg_"))
    return (records.join(world.truth, on=["source", "record_id"], how="left", validate="1:1")
            .join(registry, left_on="person_id", right_on="reg_person_id", how="left")
            .with_columns(kind_list=pl.col("kinds").str.split(";")))


def _has(records: pl.DataFrame, kind: str) -> pl.Series:
    return records["kind_list"].list.contains(kind)


@pytest.fixture(scope="module")
def records(world: World) -> pl.DataFrame:
    return _records(world)


def test_every_source_record_has_exactly_one_truth_row(world: World) -> None:
    keys = pl.concat([getattr(world, k).select("record_id").with_columns(source=pl.lit(k))
                      for k in SOURCE_KINDS])
    assert world.truth.height == keys.height
    assert world.truth.select("source", "record_id").is_unique().all()
    assert keys.join(world.truth, on=["source", "record_id"], how="anti").height == 0
    for kind in SOURCE_KINDS:
        assert getattr(world, kind)["record_id"].is_unique().all()


def test_kinds_are_contract_kinds_sorted_and_all_injected(world: World) -> None:
    lists = world.truth["kinds"].str.split(";")
    seen = set(lists.explode().to_list()) - {""}
    assert seen <= set(KINDS)
    assert seen == set(KINDS) - {"ambiguous_match"}
    for kinds in lists.filter(world.truth["kinds"] != "").to_list():
        assert kinds == sorted(set(kinds))
    clean = cast(float, (world.truth["kinds"] == "").mean())
    assert 0.70 <= clean <= 0.85


def test_people_outside_the_registry(world: World, records: pl.DataFrame) -> None:
    outside = records.filter(_has(records, "not_in_registry"))
    assert outside.height > 0
    assert (outside["person_id"] == "").all()
    assert not outside["kind_list"].list.eval(pl.element().is_in(LINK_KINDS)).list.any().any()
    inside = records.filter(~_has(records, "not_in_registry"))
    assert inside["reg_full_name"].null_count() == 0  # person_id exists in the registry
    outsiders_ids = outside["id_number"].str.replace_all(r"[\s-]", "")
    assert not outsiders_ids.is_in(world.registry["person_id"].implode()).any()


def test_duplicates_are_exactly_the_repeated_people(records: pl.DataFrame) -> None:
    linked = records.filter(pl.col("person_id") != "")
    counted = linked.with_columns(n=pl.len().over("source", "person_id"))
    assert (_has(counted, "duplicate_in_source") == (counted["n"] > 1)).all()
    assert cast(int, counted["n"].max()) <= 3


def _mst_valid(code: str) -> bool:
    digits = [int(c) for c in code[:10]]
    remainder = sum(d * w for d, w in zip(digits, (31, 29, 23, 19, 17, 13, 7, 5, 3),
                                          strict=False)) % 11
    return remainder != 0 and digits[9] == 10 - remainder


def test_tax_codes_have_valid_check_digits_unless_marked_invalid(world: World) -> None:
    tax = world.tax.join(world.truth.filter(pl.col("source") == "tax"), on="record_id")
    msts = tax.filter(pl.col("tax_code").str.contains(r"^\d{10}(-\d{3})?$"))
    assert msts.height > 0
    assert tax.filter(~pl.col("tax_code").str.contains(r"^\d{10}(-\d{3})?$|^\d{12}$")).height == 0
    bad = 0
    for code, dob, kinds in msts.select("tax_code", "date_of_birth", "kinds").iter_rows():
        invalid = "invalid_format" in kinds.split(";")
        if not _mst_valid(code):
            bad += 1
            assert invalid, code
        elif invalid:  # then the date is what is invalid
            assert _read_date(dob)[3], (code, dob)
    assert bad > 0


# --- independent re-derivation of each kind ------------------------------------------

def _read_date(text: str) -> tuple[int | None, tuple[int, int, int] | None, int, bool]:
    """(year, full date or None, precision 0=year 2=day, invalid) of a written date."""
    if text == "":
        return None, None, -1, False
    if m := re.fullmatch(r"(?:00/00/)?(\d{4})", text):
        return int(m[1]), None, 0, False
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", text)
        assert m, text
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    invalid = False
    if mo > 12 and d <= 12:  # mm/dd/yyyy, proven by the day: read it, report it
        d, mo, invalid = mo, d, True
    try:
        dt.date(y, mo, d)
    except ValueError:
        return y, None, -1, True
    return y, (y, mo, d), 0 if (mo, d) == (1, 1) else 2, invalid


def _registry_date(text: str) -> tuple[int, int, int, int]:
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3 and parts[1:] == [1, 1]:
        return parts[0], 0, 0, 0
    month, day = [*parts[1:], 0, 0][:2]
    return parts[0], month, day, len(parts) - 1


def _sex(text: str) -> str | None:
    return {"nam": "M", "m": "M", "nữ": "F", "f": "F", "": None}[text.lower()]


def _id(text: str) -> str:
    digits = re.sub(r"[\s-]", "", text)
    return "0" + digits if len(digits) == 11 else digits


def _derived(row: dict[str, str | None], old_codes: set[str]) -> set[str]:
    """Kinds a checker finds in one record, given its registry person (or none)."""
    kinds: set[str] = set()
    year, full, precision, invalid_date = _read_date(row["date_of_birth"] or "")
    sex = _sex(row["sex"] or "")
    pid = _id(row["id_number"] or "")
    if invalid_date:
        kinds.add("invalid_format")
    if "" in (row["id_number"], row["date_of_birth"], row["full_name"]):
        kinds.add("missing_field")
    if len(pid) == 12:
        d4 = int(pid[3])
        if (pid[:3] not in old_codes or d4 > 5
                or (year is not None and 1900 + 100 * (d4 // 2) + int(pid[4:6]) != year)
                or (sex is not None and (d4 % 2 == 0) != (sex == "M"))):
            kinds.add("id_inconsistent")
    if row["province_code"] and row["province_code"] not in divisions().province_codes:
        kinds.add("outdated_locality")
    if row.get("commune_code") and row["commune_code"] not in divisions().commune_codes:
        kinds.add("outdated_locality")  # a pre-2025 commune code
    if row["person_id"] == "":
        kinds.add("not_in_registry")
        return kinds
    if sex is not None and sex != row["reg_sex"]:
        kinds.add("sex_mismatch")
    if len(pid) == 9:
        assert pid == row["reg_old_id_number"]
        kinds.add("stale_id")
    elif pid and pid != row["person_id"]:
        kinds.add("id_mismatch")
    if year is not None and precision >= 0:
        ry, rm, rd, rp = _registry_date(row["reg_date_of_birth"] or "")
        common = min(precision, rp)
        if year != ry or (common >= 1 and full and full[1] != rm) or (
                common >= 2 and full and full[2] != rd):
            kinds.add("dob_mismatch")
    return kinds


def test_kinds_follow_from_the_written_values(records: pl.DataFrame) -> None:
    """Every kind except the ones that need more than one field: name_mismatch,
    duplicate_in_source, deceased_active and the code checks are tested apart."""
    old_codes = {f"0{c:02d}" for c in divisions().old_codes}
    apart = {"name_mismatch", "duplicate_in_source", "deceased_active", "invalid_format"}
    for row in records.to_dicts():
        truth = set(row["kinds"].split(";")) - {""}
        derived = _derived(row, old_codes)
        assert derived - apart <= truth - apart <= derived, row
        if "invalid_format" in derived:
            assert "invalid_format" in truth, row


def test_invalid_formats_are_dates_tax_codes_or_card_numbers(records: pl.DataFrame) -> None:
    card = r"^[A-Z]{2}[1-5]\d{12}$|^\d{10}$|^\d{12}$"
    for row in records.filter(_has(records, "invalid_format")).to_dicts():
        bad_date = _read_date(row["date_of_birth"])[3]
        bad_tax = row["source"] == "tax" and not re.fullmatch(r"\d{12}", row["tax_code"]) and (
            not _mst_valid(row["tax_code"]))
        bad_card = row["source"] == "health_insurance" and not re.match(card, row["card_number"])
        assert bad_date or bad_tax or bad_card, row
    cards = records.filter(pl.col("source") == "health_insurance")
    malformed = ~cards["card_number"].str.contains(card)
    assert malformed.any()
    assert (_has(cards, "invalid_format") | ~malformed).all()


def test_deceased_active_is_an_active_record_of_a_deceased_person(records: pl.DataFrame) -> None:
    active = (pl.when(pl.col("source") == "health_insurance")
              .then(pl.col("valid_to") >= "2027-12-31")
              .otherwise(pl.col("status") == "active"))
    expected = records.select((active & (pl.col("reg_status") == "deceased")).fill_null(False))
    assert _has(records, "deceased_active").equals(expected.to_series(), check_names=False)
    cards = records.filter(pl.col("source") == "health_insurance")
    assert ((cards["valid_to"] >= "2027-12-31") | (cards["valid_to"] < "2026-01-01")).all()


def _canonical(name: str) -> str:
    """Formatting away: NFC, Ð, tone placement, ươ composition, spaces, case."""
    name = unicodedata.normalize("NFC", name).replace("\u00d0", "Đ").replace("\u00f0", "đ")
    syllables = [spelling.miscompose(spelling.tone_convention(s)) for s in name.split()]
    return " ".join(syllables).casefold()


def _spellings(name: str) -> set[str]:
    """The registry name as it may be typed without changing it (formatting only: Telex
    and VNI keystrokes left in and mojibake are stored garbage, a name_mismatch)."""
    syllables = name.split()
    return {_canonical(" ".join(f(s) for s in syllables))
            for f in (str, spelling.strip_diacritics)}


def test_names_differ_exactly_where_name_mismatch_says(records: pl.DataFrame) -> None:
    linked = records.filter((pl.col("person_id") != "") & (pl.col("full_name") != ""))
    flagged = 0
    for name, registry_name, kinds in linked.select("full_name", "reg_full_name",
                                                    "kind_list").iter_rows():
        same = _canonical(name) in _spellings(registry_name)
        assert same != ("name_mismatch" in kinds), (name, registry_name)
        flagged += not same
    assert flagged > 50


def test_formatting_noise_is_present_in_names(records: pl.DataFrame) -> None:
    names = records.filter(pl.col("kinds") == "")["full_name"]
    assert names.str.contains("\u00d0").any()
    assert (names.str.normalize("NFC") != names).any()
    assert cast(float, (names == names.str.to_uppercase()).mean()) > 0.05
    assert names.str.contains("  |^ | $").any()
    assert names.str.contains("hoà|thuỷ|thuý", literal=False).any()


def _typed(registry_name: str, mode: Callable[[str], str]) -> set[str]:
    """The registry name typed in one mode, in each case (mojibake garbles the case too)."""
    return {mode(case(registry_name)) if mode is spelling.mojibake
            else " ".join(case(mode(s)) for s in registry_name.split())
            for case in (str, str.upper, str.lower)}


@pytest.mark.parametrize("mode", [spelling.telex, spelling.vni, spelling.mojibake])
def test_keystrokes_and_mojibake_are_name_mismatches(records: pl.DataFrame,
                                                      mode: Callable[[str], str]) -> None:
    """A linked record whose name is the registry's typed in Telex or VNI or garbled into
    mojibake (and not the registry's as written) carries name_mismatch."""
    linked = records.filter((pl.col("person_id") != "") & (pl.col("full_name") != ""))
    garbled = [(name, kinds) for name, registry_name, kinds
               in linked.select("full_name", "reg_full_name", "kind_list").iter_rows()
               if name.strip() in _typed(registry_name, mode) - _typed(registry_name, str)]
    assert len(garbled) >= 3, mode
    assert all("name_mismatch" in kinds for _, kinds in garbled), garbled


def test_mojibake_is_never_written_with_a_control_character(records: pl.DataFrame) -> None:
    names = records["full_name"]
    assert names.str.contains("á»|Ã").any()
    assert not names.str.contains("[\u0080-\u009f]").any()


def test_an_outdated_commune_is_a_pre_2025_code_of_the_persons_commune(
    records: pl.DataFrame,
) -> None:
    """The official conversion maps it to the registry person's 2025 commune (or to it
    among others, when the old commune was split); none is also a current code."""
    mapping = load_divisions().commune_mapping.select(
        pl.col("old_code").alias("commune_code"), pl.col("new_code").alias("reg_commune_code"))
    old = records.filter(_has(records, "outdated_locality")
                         & ~pl.col("commune_code").is_in(list(divisions().commune_codes))
                         & (pl.col("commune_code").fill_null("") != "")
                         & pl.col("reg_commune_code").is_not_null())
    assert old.height > 20
    assert old.join(mapping, on=["commune_code", "reg_commune_code"]).height == old.height
