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
    if "date_of_death" in columns:
        out = out.with_columns(_death_conflict())
    return check_id_against_record(out, ds.personal_id, "date_of_birth_year", "sex_code")


def _death_conflict() -> pl.Expr:
    """Why a date of death contradicts the record, or null: it falls before the date of
    birth (compared at the precision both dates have), or the person is alive."""
    birth = [pl.col(f"date_of_birth_{part}") for part in ("year", "month", "day")]
    death = [pl.col(f"date_of_death_{part}") for part in ("year", "month", "day")]
    before = (
        (death[0] < birth[0])
        | ((death[0] == birth[0]) & (death[1] < birth[1]))
        | ((death[0] == birth[0]) & (death[1] == birth[1]) & (death[2] < birth[2]))
    ).fill_null(False)
    alive = (pl.col("status") == "alive").fill_null(False) & pl.col("date_of_death").is_not_null()
    return (
        pl.when(before).then(pl.lit("before the date of birth"))
        .when(alive).then(pl.lit("a date of death for a person whose status is alive"))
        .otherwise(None)
        .alias("date_of_death_conflict")
    )


def _date_problem(field: str) -> pl.Expr:
    """Why a date breaks its format rule, or null: the value a failing row reports."""
    return (
        pl.when(pl.col(f"{field}_unparseable")).then(pl.lit("unparseable"))
        .when(pl.col(f"{field}_impossible")).then(pl.lit("impossible date"))
        .when(pl.col(f"{field}_month_first")).then(pl.lit("month before day"))
        .otherwise(None)
        .alias(f"{field}_problem")
    )
