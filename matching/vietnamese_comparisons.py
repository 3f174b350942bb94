"""The Vietnamese profile's comparisons and vetoes, over the columns `matching.vietnamese`
prepares (see its docstring for what each column holds)."""

import polars as pl

from matching.comparisons import Comparison, Similarity, blank, exact_comparison, graded
from matching.decisions import Veto
from matching.evidence import SHARED_PERSON

VETOES: tuple[Veto, ...] = (
    *(Veto(f"birth_date_and_{part}_differ",
           (("birth_date", ("different",)), (part, ("different",))))
      for part in ("family_name", "middle_name", "given_name")),
    *(Veto(f"shared_number_but_{other}_differs",
           (("shared_number", ("agrees",)), (other, ("different",))))
      for other in ("birth_date", "family_name", "given_name")),
)
"""No automatic match when the birth date and a name part both differ outright, however well
the IDs agree: that is a relative's ID (a father's ID on his son's record, the son
sharing his given name), not a typo. Nor when a shared BHXH number is the only tie and the
birth date or the family or given name differs outright: a reused or mistyped number.
Such records go to review at most."""



def add_context(registry: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Add `id_household`: the registry household of each record's personal ID (or null);
    and `shared_person` (null) where the caller found no evidence across sources.

    The household is what tells a relative's ID (a parent's ID on a child's
    record) from a stranger's: the ID belongs to someone living with the candidate.
    """
    households = (registry.select(pl.col("id_personal"), pl.col("household").alias("id_household"))
                  .filter(pl.col("id_household").is_not_null()))
    if SHARED_PERSON not in records.columns:
        records = records.with_columns(pl.lit(None, dtype=pl.String).alias(SHARED_PERSON))
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


def shared_number_comparison() -> Comparison:
    """The person the record's BHXH number points to (`matching.evidence`): the candidate;
    someone else. Missing when the record has an ID of its own or its number points to no
    one."""
    levels, level = graded(pl.col(f"{SHARED_PERSON}_r").is_null(), [
        ("agrees", pl.col("id_personal_l") == pl.col(f"{SHARED_PERSON}_r")),
    ])
    return Comparison("shared_number", levels, level, ("id_personal",), (SHARED_PERSON,))


def place_comparison() -> Comparison:
    """Where the person lives (2025 codes, pre-2025 ones mapped by `matching.localities`):
    same commune; same province, other commune; same province, the record naming no
    commune (tax has none; a pre-2025 commune split between several names none);
    different."""
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
        shared_number_comparison(),
        place_comparison(),
    )
