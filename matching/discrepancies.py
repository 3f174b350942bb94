"""Findings of the four criteria (contract §3) for one source, from links and fields.

Pure: the source rows as loaded, the prepared frames of the linkage engine,
the links and the validation failures in; one row per finding out, in a
stable order. Correctness kinds (name, birth date, sex, ID) are only judged
for records linked with decision `match`: a `review` candidate is not yet
the person.

Formatting is never a finding: names are compared on their canonical form
(case, spacing, NFC/NFD, Ð for Đ, tone placement normalised away), and on
the folded key where the source wrote no diacritics. Stored garbage is not
formatting (domain §1): a name that links only once the Telex or VNI
keystrokes left in it, or its mojibake, are repaired raises `name_mismatch`
with the registry spelling as the correction, even when the repaired name is
the registry's.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from matching.dates import normalise_dates
from matching.localities import normalise_localities
from popdq.contract import KINDS, dataset
from popdq.divisions import load_divisions

LUNAR_SHIFT_DAYS = (20, 50)
"""Domain §4: a shift of 20–50 days suggests lunar/solar confusion."""

FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(), "record_id": pl.String(), "person_id": pl.String(),
    "criterion": pl.String(), "kind": pl.String(), "field": pl.String(),
    "source_value": pl.String(), "registry_value": pl.String(), "province": pl.String(),
    "commune": pl.String(), "detail": pl.String(), "priority": pl.Int32(),
    "group_id": pl.String(),
}
"""One finding (contract §3 discrepancy plus priority and duplicate group), as returned."""

_VALIDATION_DETAIL = {
    "empty": "{field} is empty",
    "inconsistent": "the ID's digits contradict the record's own birth year or sex, "
                    "or its prefix is no known province",
    "check_digit": "tax code check digit is wrong",
    "length": "{field} has the wrong number of digits",
    "format": "{field} is not in a valid format",
    "impossible date": "{field} is not a calendar date",
    "month before day": "{field} is written month first (mm/dd/yyyy)",
    "unparseable": "{field} is not a date in any known format",
    "not an allowed value": "{field} is not an allowed value",
    "True": "{field} is not a known value",
    "invalid": "{field} is not a 5-digit code",
    "unknown": "{field} is no province code, old or new",
}


_CRITERION = {name: kind.criterion for name, kind in KINDS.items()}
_PRIORITY = {name: kind.priority for name, kind in KINDS.items()}


@dataclass(frozen=True)
class Inputs:
    """What every rule may read: one source's rows, links and validation failures."""

    source: str
    rows: pl.DataFrame
    """The contract columns as loaded (one locality's records, or all)."""
    matches: pl.DataFrame
    linked: pl.DataFrame
    """Records linked with decision `match`, beside their registry person (`reg_*`)."""
    place: pl.DataFrame
    """The records' normalised province and commune codes."""
    failures: pl.DataFrame
    """Validation failures of these records (record_key, kind, field, reason)."""
    as_of: dt.date


def find_discrepancies(
    source: str,
    *,
    rows: pl.DataFrame,
    records: pl.DataFrame,
    registry_rows: pl.DataFrame,
    registry: pl.DataFrame,
    matches: pl.DataFrame,
    failures: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """Every finding for the records in `matches` (all of a source, or one locality's).

    rows / registry_rows: the contract columns as loaded; records / registry: the
    prepared frames of `matching.linker`; failures: validation failures of this
    source (record_key, kind, field, reason).
    """
    scope = matches.select("record_id")
    place = (
        normalise_localities(rows.select("record_id", "province_code", *(
            ["commune_code"] if "commune_code" in rows.columns else [])),
            "province_code", "commune_code" if "commune_code" in rows.columns else None)
        .join(scope, on="record_id")
    )
    linked = (
        matches.filter(pl.col("decision") == "match")
        .select("record_id", "person_id")
        .join(records, on="record_id")
        .join(rows.select("record_id", *_raw(rows)), on="record_id")
        .join(_registry_side(registry, registry_rows), on="person_id")
    )
    given = Inputs(source, rows, matches, linked, place,
                   failures.join(scope, left_on="record_key", right_on="record_id"), as_of)
    found = pl.concat([rule.find(given).select(_PART_COLUMNS) for rule in RULES],
                      how="vertical")
    person = matches.select("record_id", pl.col("person_id").alias("_linked"),
                            pl.col("decision"))
    where = place.select("record_id", pl.col("locality_province").alias("province"),
                         pl.col("locality_commune").alias("commune"))
    return (
        found.join(person, on="record_id", how="left")
        .join(where, on="record_id", how="left")
        .with_columns(
            pl.lit(source).alias("source"),
            pl.coalesce("person_id", pl.when(pl.col("decision") == "match")
                        .then(pl.col("_linked"))).alias("person_id"),
            pl.col("kind").replace_strict(_CRITERION).alias("criterion"),
            pl.col("kind").replace_strict(_PRIORITY, return_dtype=pl.Int32).alias("priority"),
        )
        .select(list(FINDINGS_SCHEMA))
        .unique(subset=["record_id", "kind", "field"], keep="first", maintain_order=True)
        .sort("record_id", "kind", "field")
    )


_PART_COLUMNS = ("record_id", "person_id", "kind", "field", "source_value", "registry_value",
                 "detail", "group_id")


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(_PART_COLUMNS, pl.String))


def _part(frame: pl.DataFrame, kind: str, source_value: pl.Expr, registry_value: pl.Expr,
          detail: pl.Expr, *, field: str | None = None, person: pl.Expr | None = None,
          group: pl.Expr | None = None) -> pl.DataFrame:
    """Findings of one kind, reported on `field` (default: the kind's field in the contract)."""
    return frame.select(
        pl.col("record_id"),
        (person if person is not None else pl.lit(None, dtype=pl.String)).alias("person_id"),
        pl.lit(kind).alias("kind"),
        pl.lit(field or KINDS[kind].field).alias("field"),
        source_value.cast(pl.String).alias("source_value"),
        registry_value.cast(pl.String).alias("registry_value"),
        detail.alias("detail"),
        (group if group is not None else pl.lit(None, dtype=pl.String)).alias("group_id"),
    )


def _raw(rows: pl.DataFrame) -> list[pl.Expr]:
    """The source's own values, kept for the report as `src_<column>`."""
    return [pl.col(c).alias(f"src_{c}") for c in rows.columns if c != "record_id"]


def _registry_side(registry: pl.DataFrame, registry_rows: pl.DataFrame) -> pl.DataFrame:
    prepared = registry.select(
        "person_id", *[pl.col(c).alias(f"reg_{c}") for c in
                       ("name", "name_key", "dob_year", "dob_month", "dob_day", "dob_date",
                        "sex", "id_old", "province", "commune")])
    raw = registry_rows.select(
        "person_id", *[pl.col(c).alias(f"regraw_{c}") for c in
                       ("full_name", "date_of_birth", "sex", "status", "date_of_death",
                        "old_id_number")])
    return prepared.join(raw, on="person_id", how="left")


def _from_validation(given: Inputs) -> pl.DataFrame:
    """invalid_format, missing_field and id_inconsistent: the suites found them row by row."""
    failures, rows = given.failures, given.rows
    if failures.is_empty():
        return _empty()
    values = rows.unpivot(index="record_id", variable_name="field", value_name="source_value")
    template = pl.col("reason").replace_strict(
        _VALIDATION_DETAIL, default=pl.col("reason"), return_dtype=pl.String)
    return (
        failures.rename({"record_key": "record_id"})
        .join(values, on=["record_id", "field"], how="left")
        .select(
            "record_id", pl.lit(None, dtype=pl.String).alias("person_id"), "kind", "field",
            "source_value", pl.lit(None, dtype=pl.String).alias("registry_value"),
            template.str.replace("{field}", pl.col("field"), literal=True).alias("detail"),
            pl.lit(None, dtype=pl.String).alias("group_id"),
        )
    )


def _not_in_registry(given: Inputs) -> pl.DataFrame:
    nobody = given.matches.filter(pl.col("decision") == "none").join(
        given.rows.select("record_id", "full_name"), on="record_id", how="left")
    return _part(nobody, "not_in_registry", pl.col("full_name"),
                 pl.lit(None), pl.lit("no registry person matches this record"))


def _ambiguous(given: Inputs) -> pl.DataFrame:
    close = given.matches.filter(pl.col("ambiguous"))
    return _part(close, "ambiguous_match", pl.col("person_id"),
                 pl.col("second_person_id"),
                 pl.format("two registry persons fit about equally well (scores {} and {})",
                           pl.col("score").round(3), pl.col("second_score").round(3)),
                 person=pl.col("person_id"))


_NAME_REPAIRS = {
    "telex": "Telex keystrokes left in the name",
    "vni": "VNI digits left in the name",
    "mojibake": "mojibake: UTF-8 text read as Windows-1252",
}
"""What each repair of stored garbage (prepared column `name_repair`) says happened."""


def _names(given: Inputs) -> pl.DataFrame:
    """Substantive name differences: canonical forms differ, or folded keys where the
    source has no diacritics at all (then accents cannot be judged, letters can); and
    names that needed a repair of stored garbage to link. One finding per record: the
    repair, then what still differs once repaired."""
    plain = pl.col("plain").fill_null(False)
    differs = (
        pl.when(plain).then(pl.col("name_key") != pl.col("reg_name_key"))
        .otherwise(pl.col("name") != pl.col("reg_name"))
    ).fill_null(False)
    repair = pl.col("name_repair").replace_strict(_NAME_REPAIRS, default=None,
                                                  return_dtype=pl.String)
    found = given.linked.filter((differs | repair.is_not_null()) & pl.col("name").is_not_null())
    difference = (
        pl.when(pl.col("name_key") == pl.col("reg_name_key"))
        .then(pl.lit("same letters, different accents or tone marks"))
        .when(pl.col("name_key").str.split(" ").list.sort()
              == pl.col("reg_name_key").str.split(" ").list.sort())
        .then(pl.lit("same name parts in another order"))
        .otherwise(pl.lit("name differs from the registry"))
    )
    detail = (
        pl.when(repair.is_null()).then(difference)
        .when(differs).then(pl.format("{}; once repaired: {}", repair, difference))
        .otherwise(pl.format("{}: use the registry spelling", repair))
    )
    return _part(found, "name_mismatch", pl.col("src_full_name"),
                 pl.col("regraw_full_name"), detail)


def _birth_dates(given: Inputs) -> pl.DataFrame:
    """Compare at the precision both sides have (domain §4); explain the likely cause."""
    year, month, day = (pl.col(f"dob_{p}") for p in ("year", "month", "day"))
    r_year, r_month, r_day = (pl.col(f"reg_dob_{p}") for p in ("year", "month", "day"))
    differs = (
        (year != r_year).fill_null(False)
        | (month != r_month).fill_null(False)
        | (day != r_day).fill_null(False)
    )
    days_apart = (pl.col("dob_date") - pl.col("reg_dob_date")).dt.total_days().abs()
    low, high = LUNAR_SHIFT_DAYS
    detail = (
        pl.when((day == r_month) & (month == r_day) & (year == r_year))
        .then(pl.lit("day and month swapped"))
        .when(((year - r_year).abs() == 1) & (month == r_month).fill_null(True)
              & (day == r_day).fill_null(True))
        .then(pl.lit("year off by one"))
        .when(days_apart.is_between(low, high))
        .then(pl.format("{} days apart: possible lunar/solar calendar confusion, review",
                        days_apart))
        .otherwise(pl.lit("birth date differs from the registry"))
    )
    return _part(given.linked.filter(differs), "dob_mismatch", pl.col("src_date_of_birth"),
                 pl.col("regraw_date_of_birth"), detail)


def _sexes(given: Inputs) -> pl.DataFrame:
    if "src_sex" not in given.linked.columns:  # tax records carry no sex
        return _empty()
    found = given.linked.filter((pl.col("sex") != pl.col("reg_sex")).fill_null(False))
    return _part(found, "sex_mismatch", pl.col("src_sex"), pl.col("regraw_sex"),
                 pl.format("sex {} in the source, {} in the registry", "sex", "reg_sex"))


def _identifiers(given: Inputs) -> pl.DataFrame:
    """A 12-digit ID that is not the person's; a 9-digit one: stale, and wrong if not theirs."""
    linked = given.linked
    other = linked.filter((pl.col("id_personal") != pl.col("person_id")).fill_null(False))
    wrong_old = linked.filter(
        (pl.col("id_old") != pl.col("reg_id_old")).fill_null(False))
    stale = linked.filter(pl.col("id_old").is_not_null())
    return pl.concat([
        _part(other, "id_mismatch", pl.col("src_id_number"), pl.col("person_id"),
              pl.lit("the ID number is another person's or mistyped")),
        _part(wrong_old, "id_mismatch", pl.col("src_id_number"),
              pl.col("regraw_old_id_number"),
              pl.lit("the old ID number is not the one the registry holds")),
        _part(stale, "stale_id", pl.col("src_id_number"), pl.col("person_id"),
              pl.lit("an old 9-digit ID: use the 12-digit personal ID")),
    ])


def _deceased_active(given: Inputs) -> pl.DataFrame:
    """The dataset's own notion of active (contract): a status value, or a date not passed."""
    deceased = given.linked.filter(pl.col("regraw_status") == "deceased")
    active = dataset(given.source).active
    value = pl.col(f"src_{active.column}")
    if active.value is not None:
        still = deceased.filter(value == active.value)
    else:
        until = normalise_dates(deceased.select("record_id", value), f"src_{active.column}",
                                "until_", jan_first_is_placeholder=False)
        still = deceased.join(until, on="record_id").filter(
            (pl.col("until_date") >= given.as_of).fill_null(False))
    return _part(still, "deceased_active", value, pl.col("regraw_date_of_death"),
                 pl.format("the person died on {} and the record is still active",
                           pl.col("regraw_date_of_death").fill_null("an unknown date")),
                 field=active.column)


def _outdated_localities(given: Inputs) -> pl.DataFrame:
    """Pre-2025 codes, with the current value to use: the province's; the commune it now
    lies in, or the communes it was split between (and the linked person's); and commune
    codes that are no code at all, old or new (the linked person's commune to use)."""
    place = given.place
    old_province = place.filter(pl.col("province_code_status") == "outdated")
    parts = [_part(old_province, "outdated_locality",
                   pl.col("province_code"), pl.col("province_code_current"),
                   pl.format("pre-2025 province code: use {}", "province_code_current"),
                   field="province_code")]
    if "commune_code_status" in place.columns:
        old_commune = place.filter(
            pl.col("commune_code_status").is_in(["outdated", "not_current"])
        ).join(given.linked.select("record_id", "reg_commune"), on="record_id", how="left")
        communes = load_divisions().communes
        name = pl.col("commune_code_current").replace_strict(
            communes.get_column("commune_code"), communes.get_column("name"), default=None)
        registry = pl.when(pl.col("reg_commune").is_not_null()).then(
            pl.format(": the registry has {}", "reg_commune")).otherwise(pl.lit(""))
        mapped = pl.col("commune_code_current").is_not_null()
        parts.append(_part(
            old_commune, "outdated_locality", pl.col("commune_code"),
            pl.coalesce("commune_code_current", "reg_commune"),
            pl.when(mapped)
            .then(pl.format("pre-2025 commune code: now {} ({})", "commune_code_current", name))
            .when(pl.col("commune_code_status") == "outdated")
            .then(pl.format("pre-2025 commune code, now split between {}{}",
                            pl.col("commune_code_candidates").str.replace_all(";", ", "),
                            registry))
            .otherwise(pl.format("not a 2025 commune code{}", registry)),
            field="commune_code"))
    return pl.concat(parts)


def _duplicates(given: Inputs) -> pl.DataFrame:
    """Several records of one source linked to one person: every record, one group id."""
    linked = given.matches.filter(pl.col("decision") == "match")
    groups = linked.with_columns(
        pl.len().over("person_id").alias("size"),
        pl.col("record_id").min().over("person_id").alias("group"),
    ).filter(pl.col("size") > 1)
    return _part(groups, "duplicate_in_source", pl.col("record_id"),
                 pl.lit(None), pl.format("{} records of this source belong to one person",
                                         "size"),
                 person=pl.col("person_id"), group=pl.col("group"))


@dataclass(frozen=True)
class Rule:
    """A discrepancy rule and the kinds it can raise."""

    kinds: tuple[str, ...]
    find: Callable[[Inputs], pl.DataFrame]


RULES: tuple[Rule, ...] = (
    Rule(("invalid_format", "missing_field", "id_inconsistent"), _from_validation),
    Rule(("not_in_registry",), _not_in_registry),
    Rule(("ambiguous_match",), _ambiguous),
    Rule(("name_mismatch",), _names),
    Rule(("dob_mismatch",), _birth_dates),
    Rule(("sex_mismatch",), _sexes),
    Rule(("id_mismatch", "stale_id"), _identifiers),
    Rule(("deceased_active",), _deceased_active),
    Rule(("outdated_locality",), _outdated_localities),
    Rule(("duplicate_in_source",), _duplicates),
)
"""Every rule, in the order its findings are gathered; together they raise every kind."""
