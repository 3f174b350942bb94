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
from popdq.contract import dataset


def prepare_for_validation(kind: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Add the derived check columns the suite of `kind` refers to."""
    ds = dataset(kind)
    columns = ds.columns
    out = rows.select(*columns)
    for field in ds.identifiers:
        out = normalise_identifiers(out, field)
    for field in ds.dates:
        out = normalise_dates(out, field).with_columns(_date_problem(field))
    out = normalise_sex(out, "sex") if "sex" in columns else out.with_columns(
        pl.lit(None, dtype=pl.String).alias("sex_code"))  # no sex to check the ID against
    out = normalise_provinces(out, "province_code")
    if "commune_code" in columns:
        out = normalise_communes(out, "commune_code")
    return check_id_against_record(out, ds.personal_id, "date_of_birth_year", "sex_code")


def _date_problem(field: str) -> pl.Expr:
    """Why a date breaks its format rule, or null: the value a failing row reports."""
    return (
        pl.when(pl.col(f"{field}_unparseable")).then(pl.lit("unparseable"))
        .when(pl.col(f"{field}_impossible")).then(pl.lit("impossible date"))
        .when(pl.col(f"{field}_month_first")).then(pl.lit("month before day"))
        .otherwise(None)
        .alias(f"{field}_problem")
    )
