"""Discrepancy kinds that follow from the final values of a record.

Flags set where noise was injected are not enough for two kinds: whether a
12-digit ID contradicts the record's own birth year or sex (`id_inconsistent`)
and whether birth dates differ at the precision both sides have
(`dob_mismatch`) depend on everything else that happened to the record, so
they are computed here from what was written, as a checker would.
"""

import numpy as np
import numpy.typing as npt
import polars as pl

from synth.noise import PRECISION_DAY, PRECISION_MONTH, PRECISION_YEAR, WrittenDates

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def id_inconsistent(id_text: pl.Series, dates: WrittenDates, sex: Index,
                    old_codes: Index) -> Mask:
    """A 12-digit id_number (after removing spaces and dashes and restoring a lost
    leading zero) whose prefix is not a known old province code, or whose
    century/sex and year digits contradict the record's own year of birth (where
    it has one) or its own sex (where it has one; -1 = none)."""
    known = pl.Series([f"0{c:02d}" for c in old_codes])
    digits = id_text.str.replace_all(r"[\s\-]", "")
    frame = pl.DataFrame({
        "id": pl.select(pl.when(digits.str.contains(r"^\d{11}$")).then(pl.lit("0") + digits)
                        .otherwise(digits)).to_series(),
        "year": dates.year, "has_year": dates.has_year, "sex": sex,
    })
    d4 = pl.col("id").str.slice(3, 1).cast(pl.Int64, strict=False)
    id_year = 1900 + 100 * (d4 // 2) + pl.col("id").str.slice(4, 2).cast(pl.Int64, strict=False)
    id_male = (d4 % 2 == 0).cast(pl.Int64)
    twelve = pl.col("id").str.contains(r"^\d{12}$")
    contradicts = (
        ~pl.col("id").str.slice(0, 3).is_in(known.implode())
        | (d4 > 5)
        | (pl.col("has_year") & (id_year != pl.col("year")))
        | ((pl.col("sex") >= 0) & (id_male != pl.col("sex")))
    )
    result = frame.select((twelve & contradicts).fill_null(False)).to_series()
    return result.to_numpy().astype(bool)


def dob_mismatch(dates: WrittenDates, year: Index, month: Index, day: Index,
                 precision: Index, linked: Mask) -> Mask:
    """Written birth date differs from the registry's at the precision both have.
    01/01 on either side counts as a year only (domain §4)."""
    registry_precision = np.where((precision == PRECISION_DAY) & (month == 1) & (day == 1),
                                  PRECISION_YEAR, precision)
    common = np.minimum(dates.precision, registry_precision)
    differs = (dates.year != year) | ((common >= PRECISION_MONTH) & (dates.month != month)) | (
        (common >= PRECISION_DAY) & (dates.day != day))
    return linked & (dates.precision >= PRECISION_YEAR) & differs


def kinds_column(flags: dict[str, Mask]) -> pl.Series:
    """The `;`-joined kinds of each record, alphabetically, '' for a clean one."""
    parts = [pl.when(pl.lit(pl.Series(flags[kind]))).then(pl.lit(kind)) for kind in sorted(flags)]
    return pl.select(pl.concat_str(parts, separator=";", ignore_nulls=True)).to_series()
