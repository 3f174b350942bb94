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
- status (str): `current` (in the current list), `outdated` (a pre-2025 code
  of the official conversion table that is no code now), `not_current` (five
  digits, neither current nor pre-2025: wrong), `invalid` (not a 1 to 5 digit
  code); null when empty. A code that is both pre-2025 and current is current
  (the commune that kept it covers the old one).
- current (str): the current commune: the code itself, or the one commune an
  outdated code now lies in; null when it was split between several.
- province (str): the current province of the current commune, or the one
  province all the candidates of a split commune lie in.
- candidates (str): the current communes a split commune now lies in, sorted
  and `;`-joined ("00004;00008"); null otherwise.

`normalise_localities(df, province_column, commune_column)` does both (the
commune is optional: tax records have none) and adds the record's place:
`locality_province` (the commune's province when it is known, else the
province's current code), `locality_commune` (the current commune, also of a
pre-2025 code that maps to one) and `locality_conflict` (the commune lies in
another province than the one the province code now means).
"""

import polars as pl

from popdq.divisions import Divisions, load_divisions

PROVINCE_COLUMNS: tuple[str, ...] = ("code", "padded", "status", "current", "ambiguous")
COMMUNE_COLUMNS: tuple[str, ...] = ("code", "padded", "status", "current", "province",
                                    "candidates")
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
    code, padded = _padded_code(column, 5)
    out = df.with_columns(code.alias(f"{p}code"), padded.alias(f"{p}padded"))
    known = f"{p}known"
    out = out.join(_commune_table(divisions or load_divisions(), p, known),
                   left_on=f"{p}code", right_on=known, how="left", maintain_order="left",
                   coalesce=False)
    code = pl.col(f"{p}code")
    out = out.with_columns(
        pl.when(code.is_null() | (code == "")).then(None)
        .when(pl.col(known).is_not_null()).then(pl.col(f"{p}status"))
        .when(code.str.contains(r"^\d{5}$")).then(pl.lit("not_current"))
        .otherwise(pl.lit("invalid"))
        .alias(f"{p}status"),
    )
    return out.select(*df.columns, *[f"{p}{c}" for c in COMMUNE_COLUMNS])


def _commune_table(divisions: Divisions, p: str, known: str) -> pl.DataFrame:
    """Every commune code that is or was valid, with its status, current commune, province
    and candidates (prefixed by `p`): one row per code, joined to the records."""
    current = divisions.communes.select(
        pl.col("commune_code").alias(known), pl.lit("current").alias(f"{p}status"),
        pl.col("commune_code").alias(f"{p}current"),
        pl.col("province_code").alias(f"{p}province"),
        pl.lit(None, dtype=pl.String).alias(f"{p}candidates"))
    old = divisions.old_communes.select(
        pl.col("old_code").alias(known), pl.lit("outdated").alias(f"{p}status"),
        pl.col("current").alias(f"{p}current"), pl.col("province").alias(f"{p}province"),
        pl.when(pl.col("new_codes").list.len() > 1)
        .then(pl.col("new_codes").list.join(";")).alias(f"{p}candidates"))
    return pl.concat([current, old])


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
