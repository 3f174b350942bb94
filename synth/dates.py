"""Calendar arithmetic on numpy arrays of day numbers (days since 1970-01-01).

The world has a fixed reference date: ages, statuses and card validity are
computed against it, so the same seed gives the same world on any day.
"""

import datetime as dt

import numpy as np
import numpy.typing as npt
import polars as pl

REFERENCE_DATE = dt.date(2026, 7, 1)
"""The day the world is observed: ages are computed against it."""

EPOCH = dt.date(1970, 1, 1)

Days = npt.NDArray[np.int64]
Ints = npt.NDArray[np.int64]


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


REFERENCE_DAY = day_number(REFERENCE_DATE)


def ymd(days: Days) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each day number."""
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def is_leap(year: Ints) -> npt.NDArray[np.bool_]:
    """Gregorian leap years."""
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def age_at(birth: Days, at: Days | int) -> Ints:
    """Completed years of age on day `at`."""
    by, bm, bd = ymd(birth)
    ay, am, ad = ymd(np.broadcast_to(np.asarray(at, dtype=np.int64), birth.shape))
    before_birthday = (am < bm) | ((am == bm) & (ad < bd))
    return ay - by - before_birthday.astype(np.int64)


def iso(days: Days, missing: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    """YYYY-MM-DD strings, '' where `missing` is set."""
    text = pl.Series(days, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date).dt.to_string("%Y-%m-%d")
    if missing is None:
        return text
    return pl.select(
        pl.when(pl.Series(missing)).then(pl.lit("")).otherwise(text)
    ).to_series()
