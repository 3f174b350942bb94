"""Identifiers stored as numbers, given back their leading zeros.

Excel and Parquet can store an identifier as a number, which drops its leading zeros:
they are restored where the digit count says how many were lost (`Dataset.id_digits`,
`ID_LEADING_ZEROS`), and the record is set aside (`numeric_id`) where it does not, or
where the number is negative, not whole, or a float too imprecise to hold every digit.
One cell at a time for Excel (`_identifier_cell`), a whole column for Parquet
(`_identifier_column`).
"""

import math
from typing import Any

import polars as pl

from popdq.contract import ID_LEADING_ZEROS
from warehouse.readers.cells import _cell_text
from warehouse.readers.extract import _Problem

_NOT_WHOLE = "{column} is stored as a number that is not a whole number: store the column as text"


def restored_length(column: str, digits: int, lengths: tuple[int, ...]) -> int | str:
    """The length a `digits`-digit number in an identifier column is zero-padded back to, or
    why that cannot be told (no length fits, or several do)."""
    fits = [n for n in lengths if n - ID_LEADING_ZEROS.get(n, 0) <= digits <= n]
    if len(fits) == 1:
        return fits[0]
    shown = " or ".join(str(n) for n in lengths)
    if not fits:
        return (f"{column} is stored as a {digits}-digit number, which fits none of its "
                f"lengths ({shown} digits): store the column as text")
    readings = " or ".join(
        f"{n} digits as shown" if n == digits
        else f"{n} digits that lost {n - digits} leading zero{'s' * (n - digits > 1)}"
        for n in fits)
    return (f"{column} is stored as a {digits}-digit number, which could be {readings}: "
            "store the column as text")


def _identifier_cell(column: str, value: Any, lengths: tuple[int, ...]
                     ) -> tuple[str | None, _Problem | None]:
    """An Excel cell of an identifier column as text: numbers get their leading zeros back."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _cell_text(value), None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return _cell_text(value), _Problem("numeric_id", _NOT_WHOLE.format(column=column))
    if value < 0:
        return _cell_text(value), _Problem(
            "numeric_id", f"{column} is stored as a negative number: store the column as text")
    digits = str(int(value))
    length = restored_length(column, len(digits), lengths)
    if isinstance(length, str):
        return digits, _Problem("numeric_id", length)
    return digits.zfill(length), None


def _identifier_column(column: str, values: pl.Series, lengths: tuple[int, ...]
                       ) -> tuple[pl.Series, pl.Series]:
    """A numeric Parquet identifier column as text with its leading zeros back, and why each
    value that cannot be restored was not (null where it was, or where the cell is empty)."""
    number = pl.col("number").cast(pl.Float64) if not values.dtype.is_integer() else None
    exact_below = 2 ** (24 if values.dtype == pl.Float32 else 53)  # whole numbers held exactly
    checks = [pl.lit(True).alias("whole"), pl.lit(True).alias("exact"),
              pl.col("number").cast(pl.String).alias("digits")]
    if number is not None:
        whole = number.is_finite() & (number == number.floor())
        exact = number.abs() <= exact_below
        checks = [whole.alias("whole"), exact.alias("exact"),
                  pl.when(whole & exact).then(number.cast(pl.Int64, strict=False))
                  .cast(pl.String).alias("digits")]
    frame = values.rename("number").to_frame().with_columns(checks)
    counts = frame["digits"].str.len_chars()
    decided = {n: restored_length(column, n, lengths) for n in counts.drop_nulls().unique()}
    frame = frame.with_columns(
        counts.replace_strict({n: d for n, d in decided.items() if isinstance(d, int)},
                              default=None, return_dtype=pl.Int64).alias("length"),
        counts.replace_strict({n: d for n, d in decided.items() if isinstance(d, str)},
                              default=None, return_dtype=pl.String).alias("fits"),
    )
    problem = (
        pl.when(pl.col("number").is_null()).then(None)
        .when(~pl.col("whole")).then(pl.lit(_NOT_WHOLE.format(column=column)))
        .when(pl.col("digits").str.starts_with("-")).then(pl.lit(
            f"{column} is stored as a negative number: store the column as text"))
        .when(~pl.col("exact")).then(pl.lit(
            f"{column} is stored as a floating-point number too imprecise to hold all its "
            "digits: store the column as text"))
        .otherwise(pl.col("fits"))
    )
    out = frame.select(
        pl.when(problem.is_null()).then(pl.col("digits").str.zfill(pl.col("length")))
        .otherwise(pl.col("number").cast(pl.String)).alias("text"),
        problem.alias("reason"),
    )
    return out["text"], out["reason"]
