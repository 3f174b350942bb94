"""Dates of birth as entered: parse every domain §4 format into parts and a precision.

One parser serves the registry (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`) and the
sources (day first: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy; also
yyyy-mm-dd with an optional time, yyyy-mm, mm/yyyy, yyyy). All of it is polars
string expressions: no Python per row.

`normalise_dates(df, column)` keeps `column` and adds, with the prefix
`<column>_` unless another is given:

- year, month, day (Int16, Int8, Int8): the parts known at the precision;
  month and day are null below month and day precision.
- date (Date): the calendar date, only at day precision.
- precision (str): `day`, `month` or `year`; null when empty or unparseable.
- placeholder (bool): 01/01 or 00/00 (or a 00 part) stands for an unknown
  day/month: 01/01/yyyy and 00/00/yyyy are year precision, 00/mm/yyyy month.
- impossible (bool): parts that make no calendar date (29/02 in a non-leap
  year, 30/02, 31/04, month 13): the year is kept at year precision, the raw
  value stays in `column`.
- month_first (bool): read as mm/dd because the day-first month was > 12 and
  the day-first day ≤ 12 (only that proves it).
- unparseable (bool): not empty, but no known format, or a year outside
  1800 to 2199.

01/01 is a placeholder in every format (domain §4), the cost being that a
real 1 January birth is compared on the year only. The registry is the
exception the caller can make with `jan_first_is_placeholder=False`: its
contract writes a year-only birth as `YYYY`, so its 1 January is a real date
(about 1 person in 365), and a source's 01/01 against it still compares on
the year because the source side has year precision.
"""

import polars as pl

_SEP = r"[/.\-]"
_DAY_FIRST = rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})$"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}}){_TIME}$"
_YEAR_MONTH = rf"^(\d{{4}}){_SEP}(\d{{1,2}})$"
_MONTH_YEAR = rf"^(\d{{1,2}}){_SEP}(\d{{4}})$"
_YEAR = r"^(\d{4})$"
_YEARS = (1800, 2199)

COLUMNS: tuple[str, ...] = ("year", "month", "day", "date", "precision", "placeholder",
                            "impossible", "month_first", "unparseable")
"""The columns `normalise_dates` adds (after the prefix), in order."""


def _part(text: pl.Expr, pattern: str, group: int) -> pl.Expr:
    return text.str.extract(pattern, group).cast(pl.Int32)


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def normalise_dates(
    df: pl.DataFrame, column: str, prefix: str | None = None, *,
    jan_first_is_placeholder: bool = True,
) -> pl.DataFrame:
    """Add year, month, day, date, precision and flags of `column` (see the module docstring)."""
    p = f"{column}_" if prefix is None else prefix
    y, m, d, day_first = (f"__{p}{n}" for n in ("y", "m", "d", "day_first"))
    text = pl.col(column).str.strip_chars()
    parsed = df.with_columns(
        pl.coalesce(
            _part(text, _DAY_FIRST, 3), _part(text, _ISO, 1), _part(text, _YEAR_MONTH, 1),
            _part(text, _MONTH_YEAR, 2), _part(text, _YEAR, 1),
        ).alias(y),
        pl.coalesce(
            _part(text, _DAY_FIRST, 2), _part(text, _ISO, 2), _part(text, _YEAR_MONTH, 2),
            _part(text, _MONTH_YEAR, 1),
        ).alias(m),
        pl.coalesce(_part(text, _DAY_FIRST, 1), _part(text, _ISO, 3)).alias(d),
        text.str.contains(_DAY_FIRST).fill_null(False).alias(day_first),
    )
    swap = pl.col(day_first) & (pl.col(m) > 12) & pl.col(d).is_between(1, 12)
    year, month, day = pl.col(y), pl.col(m), pl.col(d)
    parsed = parsed.with_columns(
        pl.when(swap).then(pl.col(d)).otherwise(pl.col(m)).alias(m),
        pl.when(swap).then(pl.col(m)).otherwise(pl.col(d)).alias(d),
        swap.alias(f"{p}month_first"),
    )

    known_year = year.is_between(*_YEARS).fill_null(False)
    year_only = (month == 0) | ((month == 1) & (day == 1) & jan_first_is_placeholder)
    bad_month = ~month.is_between(0, 12)
    month_only = day.is_null() | (day == 0)
    bad_day = day > _days_in_month(year, month)
    precision = (
        pl.when(~known_year).then(None)
        .when(month.is_null() | year_only | bad_month).then(pl.lit("year"))
        .when(month_only).then(pl.lit("month"))
        .when(bad_day).then(pl.lit("year"))
        .otherwise(pl.lit("day"))
    )
    out = parsed.with_columns(precision.alias(f"{p}precision")).with_columns(
        pl.when(known_year).then(year).cast(pl.Int16).alias(f"{p}year"),
        pl.when(pl.col(f"{p}precision").is_in(["month", "day"])).then(month).cast(pl.Int8)
        .alias(f"{p}month"),
        pl.when(pl.col(f"{p}precision") == "day").then(day).cast(pl.Int8).alias(f"{p}day"),
        pl.when(pl.col(f"{p}precision") == "day").then(pl.date(year, month, day))
        .alias(f"{p}date"),
        (known_year & (year_only | (day == 0))).fill_null(False).alias(f"{p}placeholder"),
        (known_year & ~year_only & (bad_month | (~month_only & bad_day)))
        .fill_null(False).alias(f"{p}impossible"),
        ((text != "") & ~known_year).fill_null(False).alias(f"{p}unparseable"),
    )
    return out.select(*df.columns, *[f"{p}{c}" for c in COLUMNS])
