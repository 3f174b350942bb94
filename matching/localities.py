"""Province and commune codes against a versioned table of administrative divisions.

The divisions are a versioned code table (`popdq.divisions`): the newest
version is the default.

`normalise_provinces(df, column)` keeps `column` and adds (prefix `<column>_`):

- code (str): the trimmed value, a single digit padded to two ("1" → "01").
- padded (bool): a lost leading zero was put back.
- status (str): `current` (one of the current provinces), `outdated` (a
  pre-2025 code that is no code now, e.g. 74), `unknown`; null when empty.
- current (str): the current province: the code itself, or the new code an
  outdated one merged into; null when unknown or empty.
- ambiguous (bool): the code is both a pre-2025 and a current code (01, 40,
  79, ...): current, but it may have been written before the merger, when it
  stood for a smaller territory (domain §3: ambiguous on its own).

`normalise_communes(df, column)` keeps `column` and adds (prefix `<column>_`):

- code (str): the trimmed value, 1 to 4 digits padded to five ("4" → "00004").
- padded (bool): lost leading zeros were put back.
- status (str): `current` (in the current list), `not_current` (five digits,
  not in the list: pre-2025 or wrong, which cannot be told apart (?): there
  is no old commune list), `invalid` (not a 1 to 5 digit code); null when empty.
- current (str): the code when current.
- province (str): the current province of a current commune.

`normalise_localities(df, province_column, commune_column)` does both (the
commune is optional: tax records have none) and adds the record's place:
`locality_province` (the commune's province when the commune is current,
else the province's current code), `locality_commune` and
`locality_conflict` (the current commune lies in another province than the
one the province code now means).
"""

import polars as pl

from popdq.divisions import Divisions, load_divisions

PROVINCE_COLUMNS: tuple[str, ...] = ("code", "padded", "status", "current", "ambiguous")
COMMUNE_COLUMNS: tuple[str, ...] = ("code", "padded", "status", "current", "province")
LOCALITY_COLUMNS: tuple[str, ...] = ("province", "commune", "conflict")
"""The columns each function adds (after its prefix), in order."""


def _padded_code(column: str, width: int) -> tuple[pl.Expr, pl.Expr]:
    """The trimmed code, zero-padded to `width` when it is shorter and all digits."""
    text = pl.col(column).str.strip_chars()
    short = text.str.contains(rf"^\d{{1,{width - 1}}}$").fill_null(False)
    return pl.when(short).then(text.str.zfill(width)).otherwise(text), short


def normalise_provinces(
    df: pl.DataFrame, column: str, prefix: str | None = None,
    divisions: Divisions | None = None,
) -> pl.DataFrame:
    """Add the current province and flags of `column` (see the module docstring)."""
    p = f"{column}_" if prefix is None else prefix
    divisions = divisions or load_divisions()
    new = divisions.province_codes
    old_to_new = divisions.old_province_codes
    code, padded = _padded_code(column, 2)
    out = df.with_columns(code.alias(f"{p}code"), padded.alias(f"{p}padded"))
    code = pl.col(f"{p}code")
    out = out.with_columns(
        pl.when(code.is_null() | (code == "")).then(None)
        .when(code.is_in(new)).then(pl.lit("current"))
        .when(code.is_in(list(old_to_new))).then(pl.lit("outdated"))
        .otherwise(pl.lit("unknown"))
        .alias(f"{p}status"),
        pl.when(code.is_in(new)).then(code)
        .otherwise(code.replace_strict(old_to_new, default=None))
        .alias(f"{p}current"),
        (code.is_in(new) & code.is_in(list(old_to_new))).fill_null(False).alias(f"{p}ambiguous"),
    )
    return out.select(*df.columns, *[f"{p}{c}" for c in PROVINCE_COLUMNS])


def normalise_communes(
    df: pl.DataFrame, column: str, prefix: str | None = None,
    divisions: Divisions | None = None,
) -> pl.DataFrame:
    """Add the current commune, its province and flags of `column` (see the module docstring)."""
    p = f"{column}_" if prefix is None else prefix
    divisions = divisions or load_divisions()
    province_of = dict(divisions.communes.select("commune_code", "province_code").iter_rows())
    code, padded = _padded_code(column, 5)
    out = df.with_columns(code.alias(f"{p}code"), padded.alias(f"{p}padded"))
    code = pl.col(f"{p}code")
    current = code.is_in(list(province_of))
    out = out.with_columns(
        pl.when(code.is_null() | (code == "")).then(None)
        .when(current).then(pl.lit("current"))
        .when(code.str.contains(r"^\d{5}$")).then(pl.lit("not_current"))
        .otherwise(pl.lit("invalid"))
        .alias(f"{p}status"),
        pl.when(current).then(code).alias(f"{p}current"),
        code.replace_strict(province_of, default=None).alias(f"{p}province"),
    )
    return out.select(*df.columns, *[f"{p}{c}" for c in COMMUNE_COLUMNS])


def normalise_localities(
    df: pl.DataFrame,
    province_column: str = "province_code",
    commune_column: str | None = "commune_code",
    prefix: str = "locality_",
    divisions: Divisions | None = None,
) -> pl.DataFrame:
    """Normalise the province and commune columns and add the record's current place."""
    divisions = divisions or load_divisions()
    out = normalise_provinces(df, province_column, divisions=divisions)
    province = pl.col(f"{province_column}_current")
    if commune_column is None:
        commune_province = pl.lit(None, dtype=pl.String)
        commune = pl.lit(None, dtype=pl.String)
    else:
        out = normalise_communes(out, commune_column, divisions=divisions)
        commune_province = pl.col(f"{commune_column}_province")
        commune = pl.col(f"{commune_column}_current")
    return out.with_columns(
        pl.coalesce(commune_province, province).alias(f"{prefix}province"),
        commune.alias(f"{prefix}commune"),
        (commune_province != province).fill_null(False).alias(f"{prefix}conflict"),
    )
