"""Sex as entered (Nam/Nữ, M/F, male/female, any case, NFC or NFD) → `M`/`F`.

`normalise_sex(df, column)` keeps `column` and adds (prefix `<column>_`):

- code (str): `M`, `F`, or null (empty or not understood).
- invalid (bool): a value was given but is not in `data/sex_values.csv`.

The accepted spellings are data: `data/sex_values.csv`, compared after NFC,
trimming and lowercasing.
"""

import csv
from functools import cache
from pathlib import Path

import polars as pl

_VALUES = Path(__file__).parent / "data" / "sex_values.csv"

COLUMNS: tuple[str, ...] = ("code", "invalid")
"""The columns `normalise_sex` adds (after the prefix), in order."""


@cache
def sex_values() -> dict[str, str]:
    """Accepted lowercase NFC spellings → `M`/`F`."""
    with _VALUES.open(encoding="utf-8") as f:
        return {row["value"]: row["sex"] for row in csv.DictReader(f)}


def normalise_sex(df: pl.DataFrame, column: str, prefix: str | None = None) -> pl.DataFrame:
    """Add the `M`/`F` code and the invalid flag of `column`."""
    p = f"{column}_" if prefix is None else prefix
    text = pl.col(column).str.normalize("NFC").str.strip_chars().str.to_lowercase()
    code = text.replace_strict(sex_values(), default=None, return_dtype=pl.String)
    return df.with_columns(
        code.alias(f"{p}code"),
        ((text != "") & code.is_null()).fill_null(False).alias(f"{p}invalid"),
    )
