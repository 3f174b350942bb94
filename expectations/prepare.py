"""The frame a suite validates: the raw columns plus the checks matching/ derives.

Great Expectations sees plain columns; the Vietnamese rules (check digits,
ID decoding, date formats) live once, in matching/, and arrive here as
columns such as `tax_code_invalid_reason` or `date_of_birth_problem`.
"""

import polars as pl

from matching.dates import normalise_dates
from matching.identifiers import check_id_against_record, normalise_identifiers
from matching.localities import normalise_communes, normalise_provinces
from matching.sex import normalise_sex
from warehouse.contract import dataset

IDENTIFIER_FIELDS: dict[str, tuple[str, ...]] = {
    "registry": ("person_id", "old_id_number"),
    "social_insurance": ("bhxh_code", "id_number"),
    "tax": ("tax_code", "id_number"),
    "health_insurance": ("card_number", "id_number"),
}
"""Identifier columns checked per dataset; the last one is decoded against the record."""

DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "registry": ("date_of_birth", "date_of_death", "updated_at"),
    "social_insurance": ("date_of_birth", "updated_at"),
    "tax": ("date_of_birth", "updated_at"),
    "health_insurance": ("date_of_birth", "valid_from", "valid_to", "updated_at"),
}


def prepare_for_validation(kind: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Add the derived check columns the suite of `kind` refers to."""
    columns = dataset(kind).columns
    out = rows.select(*columns)
    for field in IDENTIFIER_FIELDS[kind]:
        out = normalise_identifiers(out, field)
    for field in DATE_FIELDS[kind]:
        out = normalise_dates(out, field).with_columns(_date_problem(field))
    out = normalise_sex(out, "sex") if "sex" in columns else out.with_columns(
        pl.lit(None, dtype=pl.String).alias("sex_code"), pl.lit(False).alias("sex_invalid")
    )
    out = normalise_provinces(out, "province_code")
    if "commune_code" in columns:
        out = normalise_communes(out, "commune_code")
    person = "person_id" if kind == "registry" else "id_number"
    return check_id_against_record(out, person, "date_of_birth_year", "sex_code")


def _date_problem(field: str) -> pl.Expr:
    """Why a date breaks its format rule, or null: the value a failing row reports."""
    return (
        pl.when(pl.col(f"{field}_unparseable")).then(pl.lit("unparseable"))
        .when(pl.col(f"{field}_impossible")).then(pl.lit("impossible date"))
        .when(pl.col(f"{field}_month_first")).then(pl.lit("month before day"))
        .otherwise(None)
        .alias(f"{field}_problem")
    )
