"""The Vietnamese profile's data: prepared columns and blocking keys (the comparisons and
vetoes are in `matching.vietnamese_comparisons`).

`prepare_registry` and `prepare_source` turn the contract's text columns into
one schema, so that a registry person and a source record (or two registry
persons, when u is sampled) compare column by column:

- names: `name` (canonical), `name_key` (folded), `plain` (written without
  diacritics), the parts `fam`, `mid`, `given` and their folded `*_key`; on
  the source side also the Western-order reading `wfam`, `wmid`, `wgiven`
  (+ `_key`): family name last, as in *Thị Thanh Thảo Nguyễn*; and
  `name_repair`: the stored garbage repaired so that the name links
  (`telex`, `vni` or `mojibake`, see `matching.names.REPAIRS`; null for none),
  which the findings report;
- birth date: `dob_year`, `dob_month`, `dob_day` (null below their
  precision), `dob_date` (day precision only);
- `sex` (`M`/`F`), `province` and `commune` (2025 codes; an old province code
  is mapped to the province it merged into, a pre-2025 commune code to the commune it
  lies in now, or when it was split to no commune and the province of its parts);
- identifiers: `id_personal` (a 12-digit personal ID: the registry's
  person_id, a record's id_number), `id_old` (9-digit CMND), `id_code` (a
  personal ID found in a record's key column: bhxh_code, tax_code,
  card_number, when it is not the id_number already), `id_bhxh` (the 10-digit BHXH
  number of a record's key column, alone or inside a BHYT card), `household` (registry)
  and `id_household` (the registry household of the record's personal ID,
  added at link time by `vietnamese_comparisons.add_context`, since it needs the
  registry);
- `block_*`: the blocking keys (see `BLOCKING_RULES`).

Normalising is done once per distinct name and date (they repeat heavily),
then joined back.
"""

import polars as pl

from matching.blocking import BlockingRule
from matching.dates import normalise_dates
from matching.evidence import SHARED_PERSON
from matching.identifiers import normalise_identifiers
from matching.localities import normalise_localities
from matching.names import REPAIRS, compound_family_names, normalise_names
from matching.sex import normalise_sex
from popdq.contract import dataset

_ID_SOURCES = {"id": "id_personal", "code": "id_code"}
"""Where a row's personal IDs are: its id_number, its key column (sources only)."""

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("personal_id", ("id_personal", "id_code", SHARED_PERSON)),
    BlockingRule("old_id", ("id_old",)),
    BlockingRule("name_dob", ("block_name_dob",)),
    BlockingRule("id_tail_year", tuple(f"block_{s}_tail_year" for s in _ID_SOURCES), stage=1),
    BlockingRule("id_digits", tuple(f"block_{s}_{half}_digits" for s in _ID_SOURCES
                                    for half in ("head", "tail")), stage=1),
    BlockingRule("given_dob", ("block_given_dob",), stage=1),
    BlockingRule("family_middle_dob", ("block_family_middle_dob",), stage=1),
    BlockingRule("name_day_month", ("block_name_day_month",), stage=1),
    BlockingRule("name_year", ("block_name_year",), stage=1),
    BlockingRule("family_given_year", ("block_family_given_year",), stage=1),
    BlockingRule("name_commune", ("block_name_commune",), stage=1),
    BlockingRule("name_province", ("block_name_province",), stage=1),
)
"""The OR-ed blocking keys and the error each one survives.

Stage 0, for every record:

- personal_id: any ID in id_number or the key column, cleaned (spaces, lost zero), and the
  person a record without an ID shares its BHXH number with (`matching.evidence`);
- old_id: a stale 9-digit CMND;
- name_dob: folded name, tokens sorted, + year + {day, month} unordered (no diacritics,
  wrong tone, Western order, day and month swapped; the key for records without an ID).

Stage 1, only for records that stage 0 did not link (about 1 in 100):

- id_tail_year: ID digits 7–12 + birth year (a typo in the prefix, century or year digits);
- id_digits: the ID with the digits of one half (1–6 or 7–12) as a multiset (digits
  swapped within a half);
- given_dob: folded given name + full date (a typo in the family or middle name, a dropped
  or added part);
- family_middle_dob: folded family and middle names + full date (a typo in the given name);
- name_day_month: sorted folded name + day and month (a year off by one);
- name_year: sorted folded name + year (year-only dates, a lunar shift);
- family_given_year: folded family and given names + year (a dropped or added middle name
  with a year-only date);
- name_commune, name_province: sorted folded name + commune or province (no usable date).

Every block is capped at 100 registry persons (`BlockingRule.max_block`): a
very common name in a large province is left to the narrower keys. Not
covered: errors that break every key at once (say, no ID, no date and a
typo in the name).
"""

def _names(values: pl.Series, western: bool) -> pl.DataFrame:
    """Name columns (see the module docstring) of each distinct value of `values`."""
    distinct = pl.DataFrame({"full_name": values.unique()})
    n = normalise_names(distinct, "full_name", "n_")
    tokens, keys = pl.col("n_tokens"), pl.col("n_key").str.split(" ")
    count = tokens.list.len()
    fam_len = pl.col("n_family").str.count_matches(" ") + 1
    out = n.select(
        "full_name",
        pl.col("n_canonical").alias("name"),
        pl.col("n_key").alias("name_key"),
        pl.col("n_no_diacritics").alias("plain"),
        pl.col("n_family").alias("fam"),
        pl.col("n_middle").alias("mid"),
        pl.col("n_given").alias("given"),
        pl.when(count > 1).then(keys.list.slice(0, fam_len).list.join(" ")).alias("fam_key"),
        pl.when(count > fam_len + 1)
        .then(keys.list.slice(fam_len, count - fam_len - 1).list.join(" ")).alias("mid_key"),
        keys.list.last().alias("given_key"),
        keys.list.sort().list.join(" ").alias("name_sorted"),
        pl.coalesce(pl.when(pl.col(f"n_{flag}")).then(pl.lit(repair))
                    for flag, repair in REPAIRS.items()).alias("name_repair"),
    )
    if not western:
        return out
    compounds = list(compound_family_names())
    last_two = keys.list.slice(-2, 2).list.join(" ")
    rotate = pl.when((count >= 3) & last_two.is_in(compounds)).then(2).otherwise(1)
    rest = count - rotate

    def reading(parts: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        return (
            pl.when(count > 1).then(parts.list.slice(rest, rotate).list.join(" ")),
            pl.when(rest > 1).then(parts.list.slice(0, rest - 1).list.join(" ")),
            pl.when(count > 1).then(parts.list.get(rest - 1, null_on_oob=True)),
        )

    canonical, folded = reading(tokens), reading(keys)
    western_columns = n.select(
        "full_name",
        *[e.alias(f"w{part}") for e, part in zip(canonical, ("fam", "mid", "given"), strict=True)],
        *[e.alias(f"w{part}_key")
          for e, part in zip(folded, ("fam", "mid", "given"), strict=True)],
    )
    return out.join(western_columns, on="full_name")


def _dates(values: pl.Series, registry: bool) -> pl.DataFrame:
    """Date columns of each distinct value; the registry's 1 January is a real date."""
    distinct = pl.DataFrame({"date_of_birth": values.unique()})
    d = normalise_dates(distinct, "date_of_birth", "d_", jan_first_is_placeholder=not registry)
    return d.select(
        "date_of_birth",
        pl.col("d_year").alias("dob_year"),
        pl.col("d_month").alias("dob_month"),
        pl.col("d_day").alias("dob_day"),
        pl.col("d_date").alias("dob_date"),
    )


def _with_names_and_dates(frame: pl.DataFrame, registry: bool) -> pl.DataFrame:
    names = _names(frame.get_column("full_name"), western=not registry)
    dates = _dates(frame.get_column("date_of_birth"), registry)
    return (frame.join(names, on="full_name", how="left", maintain_order="left", nulls_equal=True)
            .join(dates, on="date_of_birth", how="left", maintain_order="left", nulls_equal=True))


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column as trimmed text, null when empty or absent (optional contract columns)."""
    if column not in frame.columns:
        return pl.lit(None, dtype=pl.String).alias(column)
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value != "").then(value).alias(column)


def _key(*parts: pl.Expr) -> pl.Expr:
    """A blocking key: a 64-bit hash of the parts, null when a part is missing."""
    present = pl.all_horizontal(part.is_not_null() for part in parts)
    return pl.when(present).then(
        pl.struct(*[part.alias(f"k{i}") for i, part in enumerate(parts)]).hash())


def _digit_multiset(digits: pl.Expr) -> pl.Expr:
    """Which digits a 6-digit text holds, in any order: Σ 8^digit (a count fits in 3 bits)."""
    return pl.sum_horizontal(
        pl.lit(8, dtype=pl.Int64).pow(digits.str.slice(i, 1).cast(pl.Int64, strict=False))
        for i in range(6))


def _blocking_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the `block_*` key columns (hashed, see `_key`)."""
    name, year, date = pl.col("name_sorted"), pl.col("dob_year"), pl.col("dob_date")
    day, month = pl.col("dob_day"), pl.col("dob_month")
    low, high = pl.min_horizontal(day, month), pl.max_horizontal(day, month)
    id_keys = []
    for short, column in _ID_SOURCES.items():
        if column not in frame.columns:
            continue
        personal = pl.col(column)
        head, tail = personal.str.slice(0, 6), personal.str.slice(6)
        id_keys += [
            _key(tail, year).alias(f"block_{short}_tail_year"),
            _key(head, _digit_multiset(tail)).alias(f"block_{short}_head_digits"),
            _key(_digit_multiset(head), tail).alias(f"block_{short}_tail_digits"),
        ]
    return frame.with_columns(
        *id_keys,
        pl.when(date.is_not_null()).then(_key(name, year, low, high)).alias("block_name_dob"),
        _key(pl.col("given_key"), date).alias("block_given_dob"),
        _key(pl.col("fam_key"), pl.col("mid_key").fill_null(""), date)
        .alias("block_family_middle_dob"),
        _key(name, month, day).alias("block_name_day_month"),
        _key(name, year).alias("block_name_year"),
        _key(pl.col("fam_key"), pl.col("given_key"), year).alias("block_family_given_year"),
        _key(name, pl.col("commune")).alias("block_name_commune"),
        _key(name, pl.col("province")).alias("block_name_province"),
    )


_NAME_COLUMNS = ("name", "name_key", "plain", "fam", "mid", "given", "fam_key", "mid_key",
                 "given_key")
_SOURCE_NAME_COLUMNS = ("wfam", "wmid", "wgiven", "wfam_key", "wmid_key", "wgiven_key",
                        "name_repair")
_OTHER_COLUMNS = ("dob_year", "dob_month", "dob_day", "dob_date", "sex", "province", "commune",
                  "id_personal", "id_old")
BLOCK_COLUMNS = tuple(column for rule in BLOCKING_RULES for column in rule.columns
                      if column.startswith("block_"))


def prepare_registry(registry: pl.DataFrame) -> pl.DataFrame:
    """Registry (contract columns, text) → one row per person_id with the comparison columns."""
    frame = registry.select(
        _text(registry, c) for c in ("person_id", "full_name", "date_of_birth", "sex",
                                     "province_code", "commune_code", "household_id",
                                     "old_id_number")
    )
    frame = _with_names_and_dates(frame, registry=True)
    frame = normalise_sex(frame, "sex", "sex_")
    frame = normalise_localities(frame, "province_code", "commune_code")
    frame = normalise_identifiers(frame, "old_id_number", prefix="old_")
    frame = frame.with_columns(
        pl.col("sex_code").alias("sex"),
        pl.col("locality_province").alias("province"),
        pl.col("locality_commune").alias("commune"),
        pl.col("person_id").alias("id_personal"),
        pl.when(pl.col("old_kind") == "old_id").then(pl.col("old_value")).alias("id_old"),
        pl.col("household_id").alias("household"),
    )
    frame = _blocking_keys(frame)
    return frame.select("person_id", *_NAME_COLUMNS, *_OTHER_COLUMNS, "household",
                        *[c for c in BLOCK_COLUMNS if not c.startswith("block_code_")])


def prepare_source(kind: str, records: pl.DataFrame) -> pl.DataFrame:
    """A source extract (contract columns, text) → one row per record_id, comparison columns."""
    code = dataset(kind).code  # the source's key code: it may hold the person's 12-digit ID
    if code is None:
        raise ValueError(f"{kind} is not a source extract")
    frame = records.select(
        _text(records, c) for c in ("record_id", code, "full_name", "date_of_birth", "sex",
                                    "id_number", "province_code", "commune_code")
    )
    frame = _with_names_and_dates(frame, registry=False)
    frame = normalise_sex(frame, "sex", "sex_")
    frame = normalise_localities(frame, "province_code", "commune_code")
    frame = normalise_identifiers(frame, "id_number", prefix="idn_")
    frame = normalise_identifiers(frame, code, prefix="code_")
    personal = pl.when(pl.col("idn_kind") == "personal_id").then(pl.col("idn_value"))
    in_code = pl.when(pl.col("code_kind") == "personal_id").then(pl.col("code_value"))
    frame = frame.with_columns(
        pl.col("sex_code").alias("sex"),
        pl.col("locality_province").alias("province"),
        pl.col("locality_commune").alias("commune"),
        personal.alias("id_personal"),
        pl.when(pl.col("idn_kind") == "old_id").then(pl.col("idn_value")).alias("id_old"),
        pl.when(in_code != personal.fill_null("")).then(in_code).alias("id_code"),
        pl.col("code_bhxh").alias("id_bhxh"),
    )
    frame = _blocking_keys(frame)
    return frame.select("record_id", *_NAME_COLUMNS, *_SOURCE_NAME_COLUMNS, *_OTHER_COLUMNS,
                        "id_code", "id_bhxh", *BLOCK_COLUMNS)
