"""Identifier numbers: clean, classify, check and decode (domain §2), as polars expressions.

One cleaner serves every identifier column; what a column may hold is its
*field* (`FIELD_KINDS`): `id_number` takes a personal ID or an old 9-digit ID,
`bhxh_code` a BHXH number or a personal ID, `tax_code` an MST or a personal
ID, `card_number` a BHYT card, a BHXH number or a personal ID.

Cleaning: upper case; spaces, dashes and dots removed; an 11-digit number is a
personal ID that lost its leading zero (spreadsheets) and gets it back.

`normalise_identifiers(df, column, field=column)` keeps `column` and adds,
with the prefix `<column>_` unless another is given:

- value (str): the cleaned value; an MST with a branch as `NNNNNNNNNN-NNN`.
- kind (str): `personal_id` (12 digits), `old_id` (9, CMND), `bhxh` (10),
  `mst` (10 with a valid check digit, or 13 = MST + branch), `bhyt_card`
  (15, `^[A-Z]{2}[1-5]\\d{12}$`) or `invalid`; null when empty.
- invalid_reason (str): `format` (characters or card pattern), `length` (a
  digit count the field does not take), `check_digit` (MST); null when valid.
- restored_zero (bool): a leading zero was put back.
- bhxh (str): the 10-digit BHXH number: the value itself, or the one
  embedded in a BHYT card.
- card_group (str), card_level (Int8), card_province (str): the parts of a
  BHYT card (beneficiary group, benefit level 1 to 5, 2-digit province code).
- mst_branch (str): the 3-digit branch of an MST, when given.
- id_prefix (str): the 3 first digits of a personal ID;
  id_prefix_known (bool): the prefix is a registration province (see
  `known_prefixes` for the births-abroad assumption);
  id_old_province / id_province (str): that pre-2025 province code and the
  2025 province it is now part of.
- id_century_known (bool), id_sex (`M`/`F`), id_birth_year (Int16): decoded
  from digits 4 to 6: birth year = 1900 + 100·(d4 div 2) + d5d6, male when d4 is
  even; a 4th digit above 5 is no known century (sex and year stay null).

`check_id_against_record` then compares the decoded sex and year with the
record's own (`id_inconsistent` in contract §3).
"""

import polars as pl

from popdq.divisions import Divisions, load_divisions

FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "person_id": ("personal_id",),
    "old_id_number": ("old_id",),
    "id_number": ("personal_id", "old_id"),
    "bhxh_code": ("bhxh", "personal_id"),
    "tax_code": ("mst", "personal_id"),
    "card_number": ("bhyt_card", "bhxh", "personal_id"),
}
"""What each contract identifier column may hold."""

COLUMNS: tuple[str, ...] = (
    "value", "kind", "invalid_reason", "restored_zero", "bhxh", "card_group", "card_level",
    "card_province", "mst_branch", "id_prefix", "id_prefix_known", "id_old_province",
    "id_province", "id_century_known", "id_sex", "id_birth_year",
)
"""The columns `normalise_identifiers` adds (after the prefix), in order."""

_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
# (?) N10 = 10 - (Σ Nᵢ·Wᵢ mod 11): a remainder of 0 would need the check digit 10
# and is taken as never issued; domain §2 says some implementations map it to 0.
_MST_REMAINDER_ZERO_CHECK_DIGIT: int | None = None
_CARD = r"^[A-Z]{2}[1-5]\d{12}$"


def known_prefixes(divisions: Divisions | None = None) -> dict[str, str]:
    """Known 3-digit personal-ID prefixes and the pre-2025 province code of each.

    A prefix is "0" + one of the 63 pre-2025 province codes (domain §2, §3).
    (?) Births abroad have a code of their own that this project does not
    know: such IDs show as an unknown prefix (id_inconsistent) until the code
    is added here.
    """
    return {f"0{code}": code for code in (divisions or load_divisions()).old_province_codes}


def _mst_valid(digits: pl.Expr) -> pl.Expr:
    """Whether the first 10 digits carry a valid MST check digit."""
    total = pl.sum_horizontal(
        digits.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(_MST_WEIGHTS)
    )
    remainder = total % 11
    expected = (
        pl.when(remainder == 0)
        .then(pl.lit(_MST_REMAINDER_ZERO_CHECK_DIGIT, dtype=pl.Int32))
        .otherwise(10 - remainder)
    )
    return (digits.str.slice(9, 1).cast(pl.Int32, strict=False) == expected).fill_null(False)


def normalise_identifiers(
    df: pl.DataFrame,
    column: str,
    field: str | None = None,
    prefix: str | None = None,
    divisions: Divisions | None = None,
) -> pl.DataFrame:
    """Add the cleaned value, kind and decoded parts of `column` (see the module docstring)."""
    accepted = FIELD_KINDS.get(field or column)
    if accepted is None:
        known = ", ".join(FIELD_KINDS)
        raise ValueError(f"unknown identifier field {field or column!r} (expected one of: {known})")
    p = f"{column}_" if prefix is None else prefix
    clean, shape = f"__{p}clean", f"__{p}shape"
    divisions = divisions or load_divisions()
    prefixes = known_prefixes(divisions)
    old_to_new = divisions.old_province_codes

    cleaned = pl.col(clean)
    digits = cleaned.str.contains(r"^\d+$")
    length = cleaned.str.len_chars()
    ten_digits = "mst" if "mst" in accepted else "bhxh"
    out = df.with_columns(
        pl.col(column).str.to_uppercase().str.replace_all(r"[\s.\-]", "").alias(clean)
    ).with_columns(
        (digits & (length == 11)).fill_null(False).alias(f"{p}restored_zero"),
        pl.when(digits & length.is_in([11, 12])).then(pl.lit("personal_id"))
        .when(digits & (length == 9)).then(pl.lit("old_id"))
        .when(digits & (length == 10)).then(pl.lit(ten_digits))
        .when(digits & (length == 13) & pl.lit("mst" in accepted)).then(pl.lit("mst"))
        .when(cleaned.str.contains(_CARD)).then(pl.lit("bhyt_card"))
        .alias(shape),
    )
    value = pl.col(f"{p}value")
    kind = pl.col(f"{p}kind")
    check_ok = pl.col(shape) != "mst"
    if "mst" in accepted:
        check_ok = check_ok | _mst_valid(cleaned)
    reason = (
        pl.when(cleaned.is_null() | (cleaned == "")).then(None)
        .when(pl.col(shape).is_in(accepted).not_().fill_null(True))
        .then(pl.when(digits).then(pl.lit("length")).otherwise(pl.lit("format")))
        .when(~check_ok).then(pl.lit("check_digit"))
    )
    out = out.with_columns(
        pl.when(pl.col(f"{p}restored_zero")).then("0" + cleaned)
        .when((pl.col(shape) == "mst") & (length == 13))
        .then(cleaned.str.slice(0, 10) + "-" + cleaned.str.slice(10))
        .otherwise(cleaned)
        .alias(f"{p}value"),
        reason.alias(f"{p}invalid_reason"),
    ).with_columns(
        pl.when(pl.col(clean).is_null() | (pl.col(clean) == "")).then(None)
        .when(pl.col(f"{p}invalid_reason").is_not_null()).then(pl.lit("invalid"))
        .otherwise(pl.col(shape))
        .alias(f"{p}kind"),
    )
    personal = kind == "personal_id"
    card = kind == "bhyt_card"
    id_prefix = value.str.slice(0, 3)
    century = value.str.slice(3, 1).cast(pl.Int16, strict=False)
    century_known = personal & (century <= 5)
    out = out.with_columns(
        pl.when(kind == "bhxh").then(value).when(card).then(value.str.slice(5)).alias(f"{p}bhxh"),
        pl.when(card).then(value.str.slice(0, 2)).alias(f"{p}card_group"),
        pl.when(card).then(value.str.slice(2, 1).cast(pl.Int8, strict=False))
        .alias(f"{p}card_level"),
        pl.when(card).then(value.str.slice(3, 2)).alias(f"{p}card_province"),
        pl.when((kind == "mst") & (value.str.len_chars() == 14)).then(value.str.slice(11))
        .alias(f"{p}mst_branch"),
        pl.when(personal).then(id_prefix).alias(f"{p}id_prefix"),
        pl.when(personal).then(id_prefix.is_in(list(prefixes))).alias(f"{p}id_prefix_known"),
        pl.when(personal).then(id_prefix.replace_strict(prefixes, default=None))
        .alias(f"{p}id_old_province"),
        pl.when(personal).then(century_known).alias(f"{p}id_century_known"),
        pl.when(century_known)
        .then(pl.when(century % 2 == 0).then(pl.lit("M")).otherwise(pl.lit("F")))
        .alias(f"{p}id_sex"),
        pl.when(century_known)
        .then(1900 + 100 * (century // 2) + value.str.slice(4, 2).cast(pl.Int16, strict=False))
        .cast(pl.Int16)
        .alias(f"{p}id_birth_year"),
    ).with_columns(
        pl.col(f"{p}id_old_province").replace_strict(old_to_new, default=None)
        .alias(f"{p}id_province"),
    )
    return out.select(*df.columns, *[f"{p}{c}" for c in COLUMNS])


def check_id_against_record(
    df: pl.DataFrame, id_column: str, birth_year: str, sex: str, prefix: str | None = None
) -> pl.DataFrame:
    """Compare a decoded personal ID with the record's own birth year and sex.

    `id_column` must have gone through `normalise_identifiers` (same prefix);
    `birth_year` names an integer year column and `sex` an `M`/`F` column
    (as `normalise_dates` and `normalise_sex` give). Adds, for personal IDs
    only (null otherwise):

    - id_year_agrees, id_sex_agrees (bool): null when the record lacks the
      value or the ID's century digit is unknown;
    - id_consistency (str): `inconsistent` when the prefix is unknown, the
      century digit is unknown, or year or sex disagree; `consistent` when
      the prefix is known and both agree; `unknown` otherwise (the record
      lacks year or sex and nothing contradicts).
    """
    p = f"{id_column}_" if prefix is None else prefix
    personal = (pl.col(f"{p}kind") == "personal_id").fill_null(False)
    year_agrees = pl.col(f"{p}id_birth_year") == pl.col(birth_year)
    sex_agrees = pl.col(f"{p}id_sex") == pl.col(sex)
    out = df.with_columns(
        pl.when(personal).then(year_agrees).alias(f"{p}id_year_agrees"),
        pl.when(personal).then(sex_agrees).alias(f"{p}id_sex_agrees"),
    )
    contradicts = (
        ~pl.col(f"{p}id_prefix_known")
        | ~pl.col(f"{p}id_century_known")
        | ~pl.col(f"{p}id_year_agrees")
        | ~pl.col(f"{p}id_sex_agrees")
    )
    agrees = pl.col(f"{p}id_year_agrees") & pl.col(f"{p}id_sex_agrees")
    return out.with_columns(
        pl.when(personal & contradicts.fill_null(False)).then(pl.lit("inconsistent"))
        .when(personal & agrees.fill_null(False)).then(pl.lit("consistent"))
        .when(personal).then(pl.lit("unknown"))
        .alias(f"{p}id_consistency"),
    )
