"""The Vietnamese profile's data: prepared columns, blocking keys and comparisons.

`prepare_registry` and `prepare_source` turn the contract's text columns into
one schema, so that a registry person and a source record (or two registry
persons, when u is sampled) compare column by column:

- names: `name` (canonical), `name_key` (folded), `plain` (written without
  diacritics), the parts `fam`, `mid`, `given` and their folded `*_key`; on
  the source side also the Western-order reading `wfam`, `wmid`, `wgiven`
  (+ `_key`): family name last, as in *Thị Thanh Thảo Nguyễn*;
- birth date: `dob_year`, `dob_month`, `dob_day` (null below their
  precision), `dob_date` (day precision only);
- `sex` (`M`/`F`), `province` and `commune` (2025 codes; an old province code
  is mapped to the province it merged into);
- identifiers: `id_personal` (a 12-digit personal ID: the registry's
  person_id, a record's id_number), `id_old` (9-digit CMND), `id_code` (a
  personal ID found in a record's key column: bhxh_code, tax_code,
  card_number, when it is not the id_number already), `household` (registry)
  and `id_household` (the registry household of the record's personal ID,
  added at link time by `add_id_households`, since it needs the registry);
- `block_*`: the blocking keys (see `BLOCKING_RULES`).

Normalising is done once per distinct name and date (they repeat heavily),
then joined back.
"""

import polars as pl

from matching.blocking import BlockingRule
from matching.comparisons import Comparison, Similarity, blank, exact_comparison, graded
from matching.dates import normalise_dates
from matching.decisions import Veto
from matching.identifiers import normalise_identifiers
from matching.localities import normalise_localities
from matching.names import compound_family_names, normalise_names
from matching.sex import normalise_sex
from popdq.contract import dataset

_ID_SOURCES = {"id": "id_personal", "code": "id_code"}
"""Where a row's personal IDs are: its id_number, its key column (sources only)."""

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("personal_id", ("id_personal", "id_code")),
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

- personal_id: any ID in id_number or the key column, cleaned (spaces, lost zero);
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

VETOES: tuple[Veto, ...] = tuple(
    Veto(f"birth_date_and_{part}_differ", (("birth_date", ("different",)), (part, ("different",))))
    for part in ("family_name", "middle_name", "given_name")
)
"""No automatic match when the birth date and a name part both differ outright, however well
the IDs agree: that is a relative's ID (a father's ID on his son's record, the son
sharing his given name), not a typo. Such records go to review at most."""


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
_WESTERN_COLUMNS = ("wfam", "wmid", "wgiven", "wfam_key", "wmid_key", "wgiven_key")
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
    )
    frame = _blocking_keys(frame)
    return frame.select("record_id", *_NAME_COLUMNS, *_WESTERN_COLUMNS, *_OTHER_COLUMNS,
                        "id_code", *BLOCK_COLUMNS)


def add_id_households(registry: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Add `id_household`: the registry household of each record's personal ID (or null).

    It is what tells a relative's ID (a parent's ID on a child's record) from
    a stranger's: the ID belongs to someone living with the candidate.
    """
    households = (registry.select(pl.col("id_personal"), pl.col("household").alias("id_household"))
                  .filter(pl.col("id_household").is_not_null()))
    return records.join(households, on="id_personal", how="left", maintain_order="left")


def _aligned(part: str) -> tuple[pl.Expr, pl.Expr]:
    """The record's name part (canonical, folded) in the reading that fits the candidate.

    Western order is read when it makes more of the parts (family, middle,
    given; folded) agree with the candidate than the usual reading does:
    *Thị Thanh Thảo Nguyễn* against *Nguyễn Thị Thanh Thảo*, or *Thị Hà Hà*
    against *Hà Thị Hà*, then compares part by part like any other name.
    """
    def agreeing(prefix: str) -> pl.Expr:
        return pl.sum_horizontal(
            (pl.col(f"{prefix}{p}_key_r").eq_missing(pl.col(f"{p}_key_l"))).cast(pl.Int8)
            for p in ("fam", "mid", "given"))

    western = agreeing("w") > agreeing("")
    return (pl.when(western).then(pl.col(f"w{part}_r")).otherwise(pl.col(f"{part}_r")),
            pl.when(western).then(pl.col(f"w{part}_key_r")).otherwise(pl.col(f"{part}_key_r")))


_ALIGNED_LEFT = ("fam_key", "mid_key", "given_key")
_ALIGNED_RIGHT = ("fam_key", "mid_key", "given_key", "wfam_key", "wmid_key", "wgiven_key")


def name_part_comparison(part: str) -> Comparison:
    """Family or given name: exact; same letters written without diacritics; same letters,
    another tone (a substantive difference: Nguyển); one letter off; different.

    Term frequencies at the exact level (canonical value) and the unaccented level
    (folded value): Nguyễn agreeing is weak evidence, a rare name strong.
    """
    canonical, folded = _aligned(part)
    left, left_key = pl.col(f"{part}_l"), pl.col(f"{part}_key_l")
    typo = Similarity(f"lev_{part}_key", "levenshtein", left_key, folded)
    levels, level = graded(left.is_null() | canonical.is_null(), [
        ("exact", left == canonical),
        ("unaccented", (left_key == folded) & pl.col("plain_r")),
        ("other_tone", left_key == folded),
        ("one_letter", pl.col(typo.column) == 1),
    ])
    name = "family_name" if part == "fam" else "given_name"
    return Comparison(name, levels, level, (part, f"{part}_key", *_ALIGNED_LEFT),
                      (part, f"{part}_key", f"w{part}", f"w{part}_key", "plain",
                       *_ALIGNED_RIGHT), (typo,),
                      (("exact", part), ("unaccented", f"{part}_key")))


def middle_name_comparison() -> Comparison:
    """Middle names: as the other parts, plus both empty and one contained in the other
    (a dropped or added middle name, the mother's family name left out)."""
    canonical, folded = _aligned("mid")
    left, left_key = pl.col("mid_l"), pl.col("mid_key_l")
    typo = Similarity("lev_mid_key", "levenshtein", left_key, folded)
    padded_left, padded_right = " " + left_key + " ", " " + folded + " "
    levels, level = graded(pl.col("given_l").is_null() | pl.col("given_r").is_null(), [
        ("exact", left == canonical),
        ("both_empty", left.is_null() & canonical.is_null()),
        ("unaccented", (left_key == folded) & pl.col("plain_r")),
        ("other_tone", left_key == folded),
        ("part_dropped_or_added", left.is_null() | canonical.is_null()
         | padded_left.str.contains(padded_right, literal=True)
         | padded_right.str.contains(padded_left, literal=True)),
        ("one_letter", pl.col(typo.column) == 1),
    ])
    return Comparison("middle_name", levels, level, ("mid", "mid_key", "given", *_ALIGNED_LEFT),
                      ("mid", "mid_key", "wmid", "wmid_key", "given", "plain", *_ALIGNED_RIGHT),
                      (typo,), (("exact", "mid"),))


def birth_date_comparison() -> Comparison:
    """Dates at the precision both sides have (domain §4): exact; day and month swapped;
    a lunar/solar shift of 20–50 days; same month; year off by one; same year and year ±1
    where a side has no full date (year-only, month-only, impossible dates); different."""
    y_l, m_l, d_l, date_l = (pl.col(f"dob_{p}_l") for p in ("year", "month", "day", "date"))
    y_r, m_r, d_r, date_r = (pl.col(f"dob_{p}_r") for p in ("year", "month", "day", "date"))
    both_full = date_l.is_not_null() & date_r.is_not_null()
    days_apart = (date_l - date_r).dt.total_days().abs()
    years_apart = (y_l.cast(pl.Int32) - y_r.cast(pl.Int32)).abs()
    levels, level = graded(y_l.is_null() | y_r.is_null(), [
        ("exact", date_l == date_r),
        ("day_month_swapped", both_full & (y_l == y_r) & (d_l == m_r) & (m_l == d_r)),
        ("lunar_shift", both_full & days_apart.is_between(20, 50)),
        ("same_month", (y_l == y_r) & (m_l == m_r)),
        ("year_off_by_one", both_full & (m_l == m_r) & (d_l == d_r) & (years_apart == 1)),
        ("same_year", ~both_full & (y_l == y_r)),
        ("year_near", ~both_full & (years_apart == 1)),
    ])
    columns = ("dob_year", "dob_month", "dob_day", "dob_date")
    return Comparison("birth_date", levels, level, columns, columns)


def _one_typo_apart(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Whether two 12-digit IDs may be one substitution or adjacent transposition apart:
    such a pair agrees on digits 1–6, on 7–12, or on all but two neighbours in the middle."""
    return (a != b) & (
        (a.str.slice(0, 6) == b.str.slice(0, 6)) | (a.str.slice(6) == b.str.slice(6))
        | ((a.str.slice(0, 5) == b.str.slice(0, 5)) & (a.str.slice(7) == b.str.slice(7)))
    )


def id_number_comparison() -> Comparison:
    """The record's id_number against the candidate: the same ID; the same old CMND; one
    adjacent transposition; one digit different; the ID of someone in the candidate's
    household (a relative's ID); different. Missing when the record has no ID."""
    own, given = pl.col("id_personal_l"), pl.col("id_personal_r")
    transposition = Similarity("osa_id", "osa", own, given, _one_typo_apart(own, given))
    digits = Similarity("hamming_id", "hamming", own, given, _one_typo_apart(own, given))
    levels, level = graded(given.is_null() & pl.col("id_old_r").is_null(), [
        ("exact", own == given),
        ("old_id", pl.col("id_old_l") == pl.col("id_old_r")),
        ("transposed", (pl.col(transposition.column) == 1) & (pl.col(digits.column) == 2)),
        ("one_digit", pl.col(digits.column) == 1),
        ("relative", pl.col("household_l") == pl.col("id_household_r")),
    ])
    return Comparison("id_number", levels, level, ("id_personal", "id_old", "household"),
                      ("id_personal", "id_old", "id_household"), (transposition, digits))


def id_in_code_comparison() -> Comparison:
    """A personal ID in the record's key column (other than its id_number): the same;
    one edit or transposition away; different."""
    own, in_code = pl.col("id_personal_l"), pl.col("id_code_r")
    edits = Similarity("osa_code", "osa", own, in_code, _one_typo_apart(own, in_code))
    levels, level = graded(in_code.is_null(), [
        ("exact", own == in_code),
        ("one_edit", pl.col(edits.column) == 1),
    ])
    return Comparison("id_in_code", levels, level, ("id_personal",), ("id_code",), (edits,))


def place_comparison() -> Comparison:
    """Where the person lives (2025 codes): same commune; same province, other commune; same
    province, the record naming no commune (tax has none; an outdated province code comes
    without one); different."""
    levels, level = graded(blank("province_l") | blank("province_r"), [
        ("same_commune", pl.col("commune_l") == pl.col("commune_r")),
        ("same_province", (pl.col("province_l") == pl.col("province_r"))
         & pl.col("commune_r").is_not_null()),
        ("same_province_no_commune", pl.col("province_l") == pl.col("province_r")),
    ])
    return Comparison("place", levels, level, ("province", "commune"), ("province", "commune"))


def comparisons() -> tuple[Comparison, ...]:
    """The Vietnamese comparisons, in waterfall order."""
    return (
        name_part_comparison("fam"),
        middle_name_comparison(),
        name_part_comparison("given"),
        birth_date_comparison(),
        exact_comparison("sex", "sex"),
        id_number_comparison(),
        id_in_code_comparison(),
        place_comparison(),
    )
