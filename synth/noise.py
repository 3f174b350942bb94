"""Noise in source records: how names, dates, IDs, sex and places get written.

Each function takes per-record arrays (one row per source record) and returns
the written column plus the flags of the discrepancies it injected. Noise that
needs a registry person to be noticed (a wrong tone, a swapped date, a
relative's ID, a flipped sex...) is only injected where `linked` is set, so
records of people outside the registry carry only kinds that need no link.
Every draw is vectorised; per-syllable work happens once over the vocabulary.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from synth.dates import is_leap, ymd
from synth.names import (
    ADDED,
    CASES,
    GARBLED,
    MIDDLE,
    MOJIBAKE,
    NO_DIACRITICS,
    WESTERN_ORDER,
    NameBook,
)
from synth.rates import Rates
from synth.tables import Divisions

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def pick(rng: np.random.Generator, n: int, probabilities: Sequence[float]) -> Index:
    """For each of n records, 1 + the index of the option it draws, or 0 for none."""
    choice = np.searchsorted(np.cumsum(probabilities), rng.random(n), side="right") + 1
    return np.where(choice > len(probabilities), 0, choice)


def zfill(values: Index, width: int) -> pl.Expr:
    """Zero-padded decimal text of non-negative integers."""
    return pl.lit(pl.Series(values, dtype=pl.Int64)).cast(pl.Utf8).str.zfill(width)


# --- names -------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenNames:
    """full_name as written, and what it raises."""

    text: pl.Series
    mismatch: Mask
    missing: Mask


_C1_CONTROL = "[\u0080-\u009f]"


def noisy_names(tokens: Index, male: Mask, linked: Mask, rng: np.random.Generator,
                rates: Rates, book: NameBook) -> WrittenNames:
    """Names with formatting noise (no kind), stored garbage and substantive changes
    (name_mismatch, where the record is linked and the garbage changed the text)."""
    n = len(tokens)
    tokens = tokens.copy()
    before = _compact(tokens)
    change = pick(rng, n, [rates.name_typo, rates.name_wrong_tone, rates.name_dropped_middle,
                           rates.name_western_order, rates.name_added_part])
    change[~linked] = 0
    toned = (tokens >= 0) & (book.retone_of[np.maximum(tokens, 0), 0] >= 0)
    has_middle = (tokens[:, MIDDLE] >= 0).any(axis=1)
    change[(change == 2) & ~toned.any(axis=1)] = 1
    change[(change == 3) & ~has_middle] = 1

    for code, candidates in ((1, tokens >= 0), (2, toned)):
        rows = np.flatnonzero(change == code)
        slot = np.argmax(rng.random((len(rows), tokens.shape[1])) * candidates[rows], axis=1)
        token = tokens[rows, slot]
        if code == 1:
            variant = rng.integers(0, book.typo_of.shape[1], size=len(rows))
            tokens[rows, slot] = book.typo_of[token, variant]
        else:  # hỏi/ngã usually swap with each other; any other tone otherwise
            hoi_nga = book.hoi_nga[token]
            partner = hoi_nga & (rng.random(len(rows)) < rates.name_tone_confusable)
            any_other = rng.integers(0, 4, size=len(rows))
            not_partner = rng.integers(1, 4, size=len(rows))
            variant = np.where(partner, 0, np.where(hoi_nga, not_partner, any_other))
            tokens[rows, slot] = book.retone_of[token, variant]
    tokens[change == 3, MIDDLE] = -1
    western = change == 4
    tokens[western] = tokens[western][:, WESTERN_ORDER]
    added = np.flatnonzero(change == 5)
    tokens[added, ADDED] = _extra_part(tokens[added], male[added], rng, book)
    mismatch = (change > 0) & (_compact(tokens) != before).any(axis=1)

    # the modes of names.MODES after the first (keep as typed)
    mode = pick(rng, n, [rates.name_no_diacritics, rates.name_nfd, rates.name_tone_convention,
                         rates.name_eth, rates.name_telex, rates.name_vni,
                         rates.name_miscomposed, rates.name_mojibake])
    mode[(change == 2) & (mode == NO_DIACRITICS)] = 0  # keep the wrong tone visible
    case = pick(rng, n, [rates.name_upper, rates.name_lower])
    text = book.render(tokens, mode * len(CASES) + case)
    # garbage is a finding where it shows (Telex leaves Lan as it is); mojibake with a
    # control character in it is not written (a loader would set the record aside)
    garbled = np.flatnonzero(np.isin(mode, GARBLED))
    as_typed = book.render(tokens[garbled], case[garbled])
    written = text.gather(garbled)
    unprintable = ((mode[garbled] == MOJIBAKE)
                   & written.str.contains(_C1_CONTROL).to_numpy())
    text = text.scatter(garbled[unprintable], as_typed.filter(pl.Series(unprintable)))
    shows = np.zeros(n, dtype=bool)
    shows[garbled] = (written != as_typed).to_numpy() & ~unprintable
    mismatch |= linked & shows
    spaces = pick(rng, n, [rates.name_extra_spaces / 3] * 3)
    missing = rng.random(n) < rates.name_empty
    text = pl.select(
        pl.when(pl.Series(missing)).then(pl.lit(""))
        .when(pl.Series(spaces == 1)).then(text.str.replace(" ", "  ", literal=True, n=1))
        .when(pl.Series(spaces == 2)).then(pl.lit(" ") + text)
        .when(pl.Series(spaces == 3)).then(text + pl.lit("  "))
        .otherwise(text)
    ).to_series()
    return WrittenNames(text=text, mismatch=mismatch & ~missing, missing=missing)



def _compact(tokens: Index) -> Index:
    """Tokens of each row with the empty slots moved to the end (order kept)."""
    order = np.argsort(tokens < 0, axis=1, kind="stable")
    return np.take_along_axis(tokens, order, axis=1)


def _extra_part(tokens: Index, male: Mask, rng: np.random.Generator, book: NameBook) -> Index:
    """A middle name each of these names does not already contain."""
    sex = np.where(male, "M", "F")
    extra = np.full(len(tokens), -1, dtype=np.int64)
    todo = np.ones(len(tokens), dtype=bool)
    for _ in range(20):
        if not todo.any():
            break
        for s in ("M", "F"):
            rows = np.flatnonzero(todo & (sex == s))
            draw = rng.choice(len(book.middle.weight), size=len(rows), p=book.middle.p(s))
            extra[rows] = book.middle.tokens[draw, 0]
        todo = (tokens == extra[:, None]).any(axis=1)
    extra[todo] = np.where(male[todo], book.van, book.thi)  # the rare leftovers
    return extra


# --- dates of birth --------------------------------------------------------------

DAY_FIRST, D_M, DASHES, ISO, YEAR, JAN_FIRST, ZEROS, MONTH_FIRST, EMPTY = range(9)
"""Formats: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd, yyyy, 01/01/yyyy,
00/00/yyyy, mm/dd/yyyy, empty."""
YEAR_ONLY = (YEAR, JAN_FIRST, ZEROS)
IMPOSSIBLE = np.array([(30, 2), (31, 2), (31, 4), (31, 6), (31, 9), (31, 11)])
"""Impossible (day, month) pairs; 29/02 is added in non-leap years."""

PRECISION_NONE, PRECISION_YEAR, PRECISION_MONTH, PRECISION_DAY = -1, 0, 1, 2


@dataclass(frozen=True)
class WrittenDates:
    """date_of_birth as written, the value it means, and what it raises."""

    text: pl.Series
    year: Index
    month: Index
    day: Index
    precision: Index
    """PRECISION_*: what a reader can compare; NONE for empty or impossible dates."""
    has_year: Mask
    """Whether a year can be read (impossible dates still have one)."""
    invalid: Mask
    missing: Mask


def noisy_dates(birth: Index, registry_precision: Index, year_only_p: npt.NDArray[np.float64],
                linked: Mask, rng: np.random.Generator, rates: Rates) -> WrittenDates:
    """Dates of birth in the formats people type, with swaps, slips and lunar dates;
    year_only_p: each record's chance of a year-only date where the registry has more."""
    n = len(birth)
    y, m, d = ymd(birth)
    fmt = rng.choice(4, size=n, p=np.array(rates.dob_formats) / sum(rates.dob_formats))
    year_only = rng.random(n) < np.where(registry_precision == PRECISION_YEAR,
                                         rates.dob_year_only_registry, year_only_p)
    year_only_formats = np.array(rates.dob_year_only_formats)
    fmt = np.where(year_only, rng.choice(YEAR_ONLY, size=n,
                                         p=year_only_formats / year_only_formats.sum()), fmt)
    full = fmt <= ISO

    change = pick(rng, n, [rates.dob_swap, rates.dob_year_off, rates.dob_lunar,
                           rates.dob_impossible, rates.dob_month_first, rates.dob_empty])
    change[~linked & (change <= 3)] = 0
    jan_first = (m == 1) & (d == 1)
    change[(change == 1) & ~(full & (d <= 12) & (m <= 12) & (d != m))] = 0
    change[(change == 2) & full & (m == 2) & (d == 29)] = 0
    change[(change == 3) & ~(full & ~jan_first)] = 0
    change[(change == 4) & ~full] = 0
    change[(change == 5) & ~(full & (d > 12))] = 0

    swap = change == 1
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    y = np.where(change == 2, y + rng.choice([-1, 1], size=n), y)
    shift = rng.integers(20, 51, size=n) * rng.choice([-1, 1], size=n)
    lunar = change == 3
    ly, lm, ld = ymd(birth + shift)
    bump = (lm == 1) & (ld == 1)  # do not land on 01/01, which reads as "year only"
    ly, lm, ld = ymd(birth + shift + bump)
    y, m, d = np.where(lunar, ly, y), np.where(lunar, lm, m), np.where(lunar, ld, d)
    impossible = change == 4
    bad = IMPOSSIBLE[rng.integers(0, len(IMPOSSIBLE), size=n)]
    feb29 = impossible & ~is_leap(y) & (rng.random(n) < rates.dob_impossible_feb29)
    d = np.where(impossible, np.where(feb29, 29, bad[:, 0]), d)
    m = np.where(impossible, np.where(feb29, 2, bad[:, 1]), m)
    fmt = np.where(change == 5, MONTH_FIRST, np.where(change == 6, EMPTY, fmt))

    text = _format_dates(fmt, y, m, d)
    precision = np.where(np.isin(fmt, YEAR_ONLY) | ((m == 1) & (d == 1)), PRECISION_YEAR,
                         PRECISION_DAY)
    precision = np.where(impossible | (fmt == EMPTY), PRECISION_NONE, precision)
    return WrittenDates(text=text, year=y, month=m, day=d, precision=precision,
                        has_year=fmt != EMPTY, invalid=impossible | (change == 5),
                        missing=fmt == EMPTY)


def _format_dates(fmt: Index, y: Index, m: Index, d: Index) -> pl.Series:
    """Render (possibly impossible) dates in the given formats."""
    yy, mm, dd = zfill(y, 4), zfill(m, 2), zfill(d, 2)
    m1, d1 = zfill(m, 1), zfill(d, 1)
    f = pl.lit(pl.Series(fmt))
    return pl.select(
        pl.when(f == DAY_FIRST).then(pl.concat_str([dd, mm, yy], separator="/"))
        .when(f == D_M).then(pl.concat_str([d1, m1, yy], separator="/"))
        .when(f == DASHES).then(pl.concat_str([dd, mm, yy], separator="-"))
        .when(f == ISO).then(pl.concat_str([yy, mm, dd], separator="-"))
        .when(f == YEAR).then(yy)
        .when(f == JAN_FIRST).then(pl.lit("01/01/") + yy)
        .when(f == ZEROS).then(pl.lit("00/00/") + yy)
        .when(f == MONTH_FIRST).then(pl.concat_str([mm, dd, yy], separator="/"))
        .otherwise(pl.lit(""))
    ).to_series()


# --- identifiers ---------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenIds:
    """id_number as written, and what it raises."""

    text: pl.Series
    stale: Mask
    mismatch: Mask
    missing: Mask


def noisy_ids(personal: Index, old_id: Index, relative: Index, empty_p: npt.NDArray[np.float64],
              linked: Mask, rng: np.random.Generator, rates: Rates) -> WrittenIds:
    """id_number: the 12-digit ID, or the old 9-digit one, a relative's, a
    transposed one or nothing (each record's chance in empty_p); sometimes
    without its leading zero or with spaces or dashes inside."""
    n = len(personal)
    change = pick(rng, n, [rates.id_stale, rates.id_relative, rates.id_transposed])
    change[rng.random(n) < empty_p] = 4
    change[~linked & (change <= 3)] = 0
    change[(change == 1) & (old_id < 0)] = 0
    change[(change == 2) & (relative < 0)] = 0
    digits = (personal[:, None] // 10 ** np.arange(5, -1, -1)) % 10  # digits 7-12
    differ = digits[:, :-1] != digits[:, 1:]
    change[(change == 3) & ~differ.any(axis=1)] = 0

    value = np.where(change == 2, relative, personal)
    at = np.argmax(rng.random((n, 5)) * differ, axis=1)
    left = digits[np.arange(n), at]
    right = digits[np.arange(n), at + 1]
    place = 10 ** (4 - at)
    value = np.where(change == 3, value + (right - left) * place * 10 + (left - right) * place,
                     value)
    stale = change == 1
    value = np.where(stale, old_id, value)

    fmt = pick(rng, n, [rates.id_lost_zero, rates.id_separators / 2, rates.id_separators / 2])
    twelve = zfill(value, 12)
    nine = zfill(value, 9)
    plain = pl.when(pl.lit(pl.Series(stale))).then(nine).otherwise(twelve)
    sep = pl.when(pl.lit(pl.Series(fmt == 2))).then(pl.lit(" ")).otherwise(pl.lit("-"))
    grouped_12 = pl.concat_str([twelve.str.slice(0, 3), sep, twelve.str.slice(3, 3), sep,
                                twelve.str.slice(6, 6)])
    grouped_9 = pl.concat_str([nine.str.slice(0, 3), sep, nine.str.slice(3, 3), sep,
                               nine.str.slice(6, 3)])
    f = pl.lit(pl.Series(fmt))
    s = pl.lit(pl.Series(stale))
    text = pl.select(
        pl.when(pl.lit(pl.Series(change == 4))).then(pl.lit(""))
        .when((f == 1) & ~s).then(twelve.str.slice(1))
        .when((f >= 2) & s).then(grouped_9)
        .when(f >= 2).then(grouped_12)
        .otherwise(plain)
    ).to_series()
    return WrittenIds(text=text, stale=stale, mismatch=(change == 2) | (change == 3),
                      missing=change == 4)


# --- sex ------------------------------------------------------------------------------

SEX_STYLES = (("Nam", "Nữ"), ("M", "F"), ("nam", "nữ"), ("NAM", "NỮ"), ("m", "f"))
"""Spellings of (male, female), in the order of Rates.sex_styles."""


@dataclass(frozen=True)
class WrittenSex:
    """sex as written (-1 empty, 0 female, 1 male) and its text."""

    text: pl.Series
    value: Index
    flipped: Mask


def noisy_sex(male: Mask, linked: Mask, rng: np.random.Generator, rates: Rates) -> WrittenSex:
    """Sex in one of the usual spellings, sometimes empty, rarely the other one."""
    n = len(male)
    flipped = linked & (rng.random(n) < rates.sex_flipped)
    empty = rng.random(n) < rates.sex_empty
    written_male = male ^ flipped
    style_p = np.array(rates.sex_styles)
    style = rng.choice(len(SEX_STYLES), size=n, p=style_p / style_p.sum())
    table = pl.Series([s[k] for s in SEX_STYLES for k in (0, 1)])  # male, female per style
    text = table.gather(style * 2 + (~written_male).astype(np.int64))
    text = pl.select(pl.when(pl.Series(empty)).then(pl.lit("")).otherwise(text)).to_series()
    value = np.where(empty, -1, written_male.astype(np.int64))
    return WrittenSex(text=text, value=value, flipped=flipped & ~empty)


# --- places ----------------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenPlaces:
    """province_code, commune_code and address as written, and what they raise."""

    province: pl.Series
    commune: pl.Series
    address: pl.Series
    outdated: Mask


def noisy_places(commune: Index, has_commune: Mask, rng: np.random.Generator, rates: Rates,
                 div: Divisions) -> WrittenPlaces:
    """Current codes, sometimes empty, sometimes pre-2025 codes (only where the province
    was formed by a merger): a pre-2025 commune code of the person's commune (the official
    conversion; one of several when it was split) with the old province it lay in, or,
    where the commune has no retired code or the record no commune column (`has_commune`
    false), a pre-2025 province code that no longer exists and no commune code."""
    n = len(commune)
    province = div.commune_province[commune]
    new_codes = np.array([int(c) for c in div.province_codes])
    retired = np.flatnonzero(~np.isin(div.old_codes, new_codes))
    order = retired[np.argsort(div.old_to_new[retired], kind="stable")]
    count = np.bincount(div.old_to_new[order], minlength=len(new_codes))
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    change = pick(rng, n, [rates.locality_outdated, rates.locality_empty])
    change[(change == 1) & (count[province] == 0)] = 0
    outdated = change == 1
    old = order[np.minimum(first[province] + (rng.random(n) * count[province]).astype(np.int64),
                           len(order) - 1)]

    province_text = pl.Series(div.province_codes).gather(province)
    old_code_text = pl.Series([f"{code:02d}" for code in div.old_codes])
    old_text = old_code_text.gather(old)
    commune_text = pl.Series(div.commune_codes).gather(commune)
    place = (pl.Series(div.commune_names).gather(commune) + ", "
             + pl.Series(div.province_names).gather(province))
    old_place = pl.Series(div.old_names).gather(old)
    c = pl.lit(pl.Series(change))
    no_address = pl.lit(pl.Series(rng.random(n) < rates.address_empty))
    # a pre-2025 commune of the person's commune, and the old province it lay in
    per_commune = np.bincount(div.old_commune_new, minlength=len(div.commune_codes))
    start = np.concatenate(([0], np.cumsum(per_commune)[:-1]))
    entry = np.minimum(start[commune] + (rng.random(n) * per_commune[commune]).astype(np.int64),
                       len(div.old_commune_codes) - 1)
    old_province = div.old_commune_province[entry]
    in_old_commune = pl.lit(pl.Series(outdated & has_commune & (per_commune[commune] > 0)))
    frame = pl.select(
        pl.when(in_old_commune)
        .then(pl.lit(old_code_text.gather(old_province)))
        .when(c == 1).then(pl.lit(old_text)).when(c == 2).then(pl.lit(""))
        .otherwise(pl.lit(province_text)).alias("province"),
        pl.when(in_old_commune).then(pl.lit(pl.Series(div.old_commune_codes).gather(entry)))
        .when(c == 0).then(pl.lit(commune_text)).otherwise(pl.lit("")).alias("commune"),
        pl.when(no_address).then(pl.lit(""))
        .when(in_old_commune).then(pl.lit(pl.Series(div.old_commune_names).gather(entry) + ", "
                                          + pl.Series(div.old_names).gather(old_province)))
        .when(c == 1).then(pl.lit(old_place))
        .otherwise(pl.lit(place)).alias("address"),
    )
    return WrittenPlaces(province=frame["province"], commune=frame["commune"],
                         address=frame["address"], outdated=outdated)
