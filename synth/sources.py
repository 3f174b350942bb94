"""The three source extracts: who is in each, and their own columns.

Coverage: BHXH for a share of people aged 18-62, tax for a share of adults,
BHYT for most of everyone (ages at the reference date, or at death for the
deceased). A few (person, source) pairs get two or three records. Each source
then has its own key (BHXH code, tax code, card number), its own status and,
for BHYT, validity dates that put active cards past 2027-12-31 and expired
ones before 2026-01-01, so `deceased_active` holds for any run date in
2026-2027.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from popdq.contract import SOURCE_KINDS
from synth.dates import REFERENCE_DAY, day_number, iso
from synth.identifiers import BHYT_GROUPS, BHYT_LEVELS, bhyt_groups
from synth.noise import pick, zfill
from synth.rates import Rates

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

SOURCES = SOURCE_KINDS
SOCIAL_INSURANCE = SOURCES.index("social_insurance")
TAX = SOURCES.index("tax")
RECORD_PREFIX = tuple({"social_insurance": "SI", "tax": "TX", "health_insurance": "HI"}[kind]
                      for kind in SOURCES)

ACTIVE_CARD_ENDS = tuple(day_number(d) for d in (dt.date(2027, 12, 31), dt.date(2028, 6, 30),
                                                  dt.date(2028, 12, 31)))
EXPIRED_FROM, EXPIRED_TO = day_number(dt.date(2021, 1, 1)), day_number(dt.date(2025, 12, 31))
ISSUED_FROM = day_number(dt.date(2025, 1, 1))
UPDATED_FROM = day_number(dt.date(2024, 1, 1))


@dataclass(frozen=True)
class Records:
    """One row per source record, in output order within each source."""

    source: Index
    person: Index
    copies: Index
    """How many records this person has in this source."""


def select_records(age: Index, in_registry: Mask, rng: np.random.Generator,
                   rates: Rates) -> Records:
    """Who appears in which source, how many times, in shuffled order."""
    n = len(age)
    coverage = (
        np.where((age >= 18) & (age <= 62), rates.social_insurance, 0.0),
        np.select([age >= 70, age >= 18], [rates.tax_elderly, rates.tax], 0.0),
        np.full(n, rates.health_insurance),
    )
    sources, persons, copies = [], [], []
    for k, p in enumerate(coverage):
        chosen = np.flatnonzero(rng.random(n) < p)
        extra = pick(rng, len(chosen), [rates.duplicate * (1 - rates.triplicate),
                                         rates.duplicate * rates.triplicate])
        extra[~in_registry[chosen]] = 0
        person = np.repeat(chosen, 1 + extra)
        order = rng.permutation(len(person))
        sources.append(np.full(len(person), k, dtype=np.int64))
        persons.append(person[order])
        copies.append(np.repeat(1 + extra, 1 + extra)[order])
    return Records(source=np.concatenate(sources), person=np.concatenate(persons),
                   copies=np.concatenate(copies))


def record_ids(source: Index) -> pl.Series:
    """SI00000001, TX00000001, HI00000001...: numbered within each source."""
    start = np.searchsorted(source, source, side="left")
    number = np.arange(len(source)) - start + 1
    prefix = pl.Series(RECORD_PREFIX).gather(source)
    return pl.select(pl.lit(prefix) + zfill(number, 8)).to_series()


@dataclass(frozen=True)
class Holders:
    """What a source knows of the person behind each of its records."""

    personal: Index
    bhxh: Index
    mst: Index
    death: Index
    """Day of death, -1 for the living or for people outside the registry."""
    age: Index
    """At the reference date, or at death."""
    employed: Mask
    """Has a social insurance record."""
    province_code: Index
    """2-digit code of the current province."""
    knows_id: Mask
    """Whether the source knows the 12-digit ID (its id_number is not empty): a key
    column only holds the ID where it does."""


@dataclass(frozen=True)
class SourceColumns:
    """A source's own columns for its records, and the kinds they raise."""

    columns: dict[str, pl.Series]
    invalid: Mask
    deceased_active: Mask


def _active(h: Holders, inactive: float, rng: np.random.Generator,
            rates: Rates) -> Mask:
    """Whether each record is active: living holders by the source's rate, the
    deceased at the deceased_active rate."""
    u = rng.random(len(h.death))
    return np.where(h.death >= 0, u < rates.deceased_active, u >= inactive)


def _updated(h: Holders, rng: np.random.Generator) -> pl.Series:
    """Last update of a record: 2024 onwards, after the death for the deceased."""
    start = np.maximum(UPDATED_FROM, h.death)
    return iso(start + (rng.random(len(start)) * (REFERENCE_DAY - start)).astype(np.int64))


def social_insurance(h: Holders, rng: np.random.Generator, rates: Rates) -> SourceColumns:
    """bhxh_code (10-digit number or 12-digit ID), status, updated_at."""
    n = len(h.personal)
    as_id = (rng.random(n) < rates.bhxh_code_is_id) & h.knows_id
    code = pl.select(pl.when(pl.lit(pl.Series(as_id))).then(zfill(h.personal, 12))
                     .otherwise(zfill(h.bhxh, 10))).to_series()
    active = _active(h, rates.si_suspended + rates.si_closed, rng, rates)
    living_status = np.where(rng.random(n) * (rates.si_suspended + rates.si_closed)
                             < rates.si_suspended, "suspended", "closed")
    status = np.where(active, "active", np.where(h.death >= 0, "closed", living_status))
    return SourceColumns(
        columns={"bhxh_code": code, "status": pl.Series(status), "updated_at": _updated(h, rng)},
        invalid=np.zeros(n, dtype=bool),
        deceased_active=active & (h.death >= 0),
    )


def tax(h: Holders, rng: np.random.Generator, rates: Rates) -> SourceColumns:
    """tax_code (MST, MST-NNN or 12-digit ID; some MSTs with a wrong check
    digit), status, updated_at."""
    n = len(h.personal)
    form = pick(rng, n, [rates.tax_code_is_id, rates.tax_code_suffix])
    form[(form == 1) & ~h.knows_id] = 0
    bad = (form != 1) & (rng.random(n) < rates.tax_code_bad_check)
    wrong = (h.mst % 10 + rng.integers(1, 10, size=n)) % 10
    mst = np.where(bad, h.mst - h.mst % 10 + wrong, h.mst)
    suffix = zfill(rng.integers(1, 6, size=n), 3)
    f = pl.lit(pl.Series(form))
    code = pl.select(
        pl.when(f == 1).then(zfill(h.personal, 12))
        .when(f == 2).then(pl.concat_str([zfill(mst, 10), suffix], separator="-"))
        .otherwise(zfill(mst, 10))
    ).to_series()
    active = _active(h, rates.tax_inactive, rng, rates)
    return SourceColumns(
        columns={"tax_code": code, "status": pl.Series(np.where(active, "active", "inactive")),
                 "updated_at": _updated(h, rng)},
        invalid=bad,
        deceased_active=active & (h.death >= 0),
    )


def health_insurance(h: Holders, rng: np.random.Generator, rates: Rates) -> SourceColumns:
    """card_number (15-character code, BHXH number or 12-digit ID; some codes
    malformed), valid_from, valid_to, updated_at."""
    n = len(h.personal)
    form = pick(rng, n, [rates.card_is_bhxh, rates.card_is_id])
    form[(form == 2) & ~h.knows_id] = 0
    group = bhyt_groups(h.age, h.employed, rng, rates)
    level = BHYT_LEVELS[group]
    malformed = (form == 0) & (rng.random(n) < rates.card_malformed)
    how = rng.integers(0, 3, size=n)
    level = np.where(malformed & (how == 0), rng.choice([0, 6, 7, 8, 9], size=n), level)
    card = pl.concat_str([pl.lit(pl.Series(BHYT_GROUPS).gather(group)), zfill(level, 1),
                          zfill(h.province_code, 2), zfill(h.bhxh, 10)])
    m = pl.lit(pl.Series(malformed))
    hw = pl.lit(pl.Series(how))
    card = (pl.when(m & (hw == 1)).then(card.str.slice(0, 14))
            .when(m & (hw == 2)).then(card + zfill(rng.integers(0, 10, size=n), 1))
            .otherwise(card))
    f = pl.lit(pl.Series(form))
    code = pl.select(pl.when(f == 1).then(zfill(h.bhxh, 10)).when(f == 2)
                     .then(zfill(h.personal, 12)).otherwise(card)).to_series()

    active = _active(h, rates.card_expired, rng, rates)
    ends = np.array(ACTIVE_CARD_ENDS)[rng.integers(0, len(ACTIVE_CARD_ENDS), size=n)]
    expired_end = EXPIRED_FROM + (rng.random(n) * (EXPIRED_TO - EXPIRED_FROM)).astype(np.int64)
    valid_to = np.where(active, ends, expired_end)
    issued = ISSUED_FROM + (rng.random(n) * (REFERENCE_DAY - ISSUED_FROM)).astype(np.int64)
    valid_from = np.where(active, issued, valid_to - 364)
    return SourceColumns(
        columns={"card_number": code, "valid_from": iso(valid_from), "valid_to": iso(valid_to),
                 "updated_at": _updated(h, rng)},
        invalid=malformed,
        deceased_active=active & (h.death >= 0),
    )
