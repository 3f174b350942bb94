"""The people of the world: birth dates, sexes, households, parents, places, deaths.

People are drawn from the age pyramid first, then linked into families so the
pyramid holds by construction:

1. children living at home (everyone under 18, fewer at 18-29) get a mother's
   birth year 19-40 years before their own and are grouped into sibling sets
   that share it (some twins; non-twin siblings are born ≥ 300 days apart);
2. each set is matched to a woman of that birth year (±3 years) who is not
   herself a child at home, else to a man (a single father);
3. women get husbands 0-10 years older, mothers first;
4. some people of 55+ who live alone join the family of a son or daughter of
   a plausible age;
5. every household gets one commune; a birth province follows the commune,
   except for migrants.

Matching is by birth year: sort both sides by year, pair the k-th want of a
year with the k-th candidate of that year, retry the unmatched at nearby years.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from synth.dates import REFERENCE_DAY, age_at, day_number, ymd
from synth.rates import Rates
from synth.tables import Divisions, pyramid

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

CHILD, HEAD, SPOUSE, ELDER, ALONE = 0, 1, 2, 3, 4
ROLE_NAMES = ("child", "head", "spouse", "elder", "alone")
"""Role codes as written in World.families."""

DEATHS_FROM = day_number(dt.date(2016, 1, 1))
"""Earliest date of death: the registry keeps the recently deceased."""

MIN_PARENT_GAP, MAX_MOTHER_GAP, MAX_FATHER_GAP = 18, 42, 55
"""Birth-year gaps between a parent and a child that the matching accepts."""

DEATH_AGE_SLOPE = 0.09
"""The chance of having died grows by this factor (e^0.09 ≈ 9%) per year of age."""


@dataclass(frozen=True)
class People:
    """Everyone in the world, registry persons and the few outside it alike."""

    birth: Index
    """Day number of the birth."""
    male: Mask
    household: Index
    """Dense household number."""
    role: npt.NDArray[np.int8]
    father: Index
    """Index of the father living in the same household, or -1."""
    mother: Index
    lineage: Index
    """Index of the person whose family name one carries, or -1 (one's own)."""
    twin_of: Index
    """Index of the co-twin born first, or -1."""
    commune: Index
    """Index into Divisions.commune_codes."""
    birth_old: Index
    """Index into Divisions.old_codes: where the birth was registered."""
    death: Index
    """Day number of the death, or -1 for the living."""

    @property
    def size(self) -> int:
        """Number of people."""
        return len(self.birth)


def generate_people(n: int, rng: np.random.Generator, rates: Rates, div: Divisions) -> People:
    """n people in households, drawn from the age pyramid."""
    birth, male = _draw_births(n, rng)
    # 1. children at home in sibling sets (twins share the first twin's birth day)
    child_set, set_mother_year, birth, twin_of = _sibling_sets(
        birth, age_at(birth, REFERENCE_DAY), rng, rates)
    birth_year = ymd(birth)[0]
    age = age_at(birth, REFERENCE_DAY)
    father = np.full(n, -1, dtype=np.int64)
    mother = np.full(n, -1, dtype=np.int64)
    role = np.full(n, ALONE, dtype=np.int8)
    role[child_set >= 0] = CHILD

    n_sets = len(set_mother_year)
    members = np.flatnonzero(child_set >= 0)
    set_of = child_set[members]
    oldest = np.full(n_sets, 10_000, dtype=np.int64)
    youngest = np.full(n_sets, -10_000, dtype=np.int64)
    np.minimum.at(oldest, set_of, birth_year[members])
    np.maximum.at(youngest, set_of, birth_year[members])

    free = child_set < 0
    # 2. a mother for each sibling set, else a single father
    women = np.flatnonzero(free & ~male & (age >= 19))
    set_parent = _take(women, _match(set_mother_year, youngest - MAX_MOTHER_GAP,
                                     oldest - MIN_PARENT_GAP, birth_year[women], rng))
    lone = np.flatnonzero(set_parent < 0)
    men = np.flatnonzero(free & male & (age >= 19))
    set_parent[lone] = _take(men, _match(set_mother_year[lone] - 3,
                                         youngest[lone] - MAX_FATHER_GAP,
                                         oldest[lone] - MIN_PARENT_GAP, birth_year[men], rng))

    has_parent = set_parent >= 0
    parent_of_member = set_parent[set_of]
    is_mother = has_parent & ~male[np.maximum(set_parent, 0)]
    mother[members] = np.where(is_mother[set_of], parent_of_member, -1)
    father[members] = np.where(has_parent[set_of] & ~is_mother[set_of], parent_of_member, -1)

    # 3. husbands, mothers of children at home first
    household = np.full(n, -1, dtype=np.int64)
    household[members] = set_of
    household[set_parent[has_parent]] = np.flatnonzero(has_parent)
    role[set_parent[has_parent]] = HEAD
    mothers_set = np.full(n, -1, dtype=np.int64)
    mothers_set[set_parent[is_mother]] = np.flatnonzero(is_mother)
    wives = _wives(free, male, age, mothers_set, rng, rates)
    wife_year = birth_year[wives]
    wife_set = mothers_set[wives]
    kid_lo = np.where(wife_set >= 0, youngest[np.maximum(wife_set, 0)] - MAX_FATHER_GAP, -10_000)
    kid_hi = np.where(wife_set >= 0, oldest[np.maximum(wife_set, 0)] - MIN_PARENT_GAP, 10_000)
    husband_pool = np.flatnonzero(free & male & (age >= 20) & (role == ALONE))
    gap_weights = np.array(rates.husband_age_gap)
    gap = rng.choice(np.arange(-2, 11), size=len(wives), p=gap_weights / gap_weights.sum())
    found = _match(wife_year - gap, np.maximum(wife_year - 15, kid_lo),
                   np.minimum(wife_year + 5, kid_hi), birth_year[husband_pool], rng)
    married = found >= 0
    wives, husbands, wife_set = wives[married], husband_pool[found[married]], wife_set[married]
    new_households = np.arange(n_sets, n_sets + len(wives))
    household[wives] = np.where(wife_set >= 0, wife_set, new_households)
    household[husbands] = household[wives]
    role[husbands] = HEAD
    role[wives] = SPOUSE
    kids_of = np.flatnonzero((child_set >= 0) & np.isin(child_set, wife_set))
    husband_by_set = np.full(n_sets, -1, dtype=np.int64)
    husband_by_set[wife_set[wife_set >= 0]] = husbands[wife_set >= 0]
    father[kids_of] = husband_by_set[child_set[kids_of]]

    # 4. elders living alone join a son's or daughter's family
    heads = np.flatnonzero(role == HEAD)
    alone = np.flatnonzero((role == ALONE) & (age >= 55))
    alone = alone[rng.random(len(alone)) < rates.elder_joins_family]
    target = _match(birth_year[alone] + _mother_age_at_birth(len(alone), rng),
                    birth_year[alone] + MIN_PARENT_GAP, birth_year[alone] + MAX_MOTHER_GAP,
                    birth_year[heads], rng)
    elders, hosts = alone[target >= 0], heads[target[target >= 0]]
    household[elders] = household[hosts]
    role[elders] = ELDER
    father[hosts] = np.where(male[elders], elders, -1)
    mother[hosts] = np.where(male[elders], -1, elders)

    # children carry the father's family name, else the mother's; a head carries
    # the name of a father who moved in
    lineage = np.where(father >= 0, father, -1)
    lineage = np.where((role == CHILD) & (lineage < 0), mother, lineage)

    singles = household < 0
    household[singles] = household.max(initial=-1) + 1 + np.arange(int(singles.sum()))
    household = _dense(household, rng)
    commune = rng.integers(0, len(div.commune_codes), size=int(household.max(initial=-1)) + 1)
    commune_of = commune[household]
    birth_old = _birth_provinces(div.commune_province[commune_of], rng, rates, div)
    death = _deaths(birth, age, _last_child_birth(birth, father, mother), rng, rates)
    return People(birth=birth, male=male, household=household, role=role, father=father,
                  mother=mother, lineage=lineage, twin_of=twin_of, commune=commune_of,
                  birth_old=birth_old, death=death)


_BIRTH_AGES = np.arange(19, 41)
_BIRTH_AGE_P = np.exp(-0.5 * ((_BIRTH_AGES - 27.0) / 5.0) ** 2)
_BIRTH_AGE_P /= _BIRTH_AGE_P.sum()
"""A mother's age (in birth years) at a birth: 19-40, most often 24-30."""


def _mother_age_at_birth(k: int, rng: np.random.Generator) -> Index:
    """k draws of a mother's age at a birth."""
    return rng.choice(_BIRTH_AGES, size=k, p=_BIRTH_AGE_P).astype(np.int64)


def _draw_births(n: int, rng: np.random.Generator) -> tuple[Index, Mask]:
    """Birth day numbers and sexes following the age pyramid."""
    pyr = pyramid()
    group = rng.choice(len(pyr.share), size=n, p=pyr.share)
    width = pyr.age_to[group] - pyr.age_from[group] + 1
    age_years = pyr.age_from[group] + rng.integers(0, width)
    into_year = rng.random(n)
    birth = REFERENCE_DAY - 1 - np.floor((age_years + into_year) * 365.2425).astype(np.int64)
    male = rng.random(n) < pyr.male_share[group]
    return birth, male


def _sibling_sets(birth: Index, age: Index, rng: np.random.Generator,
                  rates: Rates) -> tuple[Index, Index, Index, Index]:
    """Group the children living at home into sibling sets.

    Returns the set of each person (-1 for adults on their own), the mother's
    birth year of each set, the birth days with twins aligned, and the co-twin
    of each second twin.
    """
    n = len(birth)
    ramp = rates.home_at_18 + (age - 18) * (rates.home_at_29 - rates.home_at_18) / 11
    at_home = (age < 18) | ((age <= 29) & (rng.random(n) < ramp))
    kids = np.flatnonzero(at_home)
    mother_year = ymd(birth[kids])[0] - _mother_age_at_birth(len(kids), rng)
    order = np.lexsort((rng.random(len(kids)), mother_year))
    kids, mother_year = kids[order], mother_year[order]
    set_p = np.array(rates.sibling_set_sizes)
    sizes = rng.choice(np.arange(1, len(set_p) + 1), size=len(kids) + 1, p=set_p / set_p.sum())
    ends = np.cumsum(sizes)
    start = np.zeros(len(kids), dtype=bool)
    start[ends[ends < len(kids)]] = True
    if len(kids):
        start[0] = True
        start[1:] |= mother_year[1:] != mother_year[:-1]
    set_id = np.cumsum(start) - 1

    # twins: the second child of some sets takes the first one's birth day
    birth = birth.copy()
    twin_of = np.full(n, -1, dtype=np.int64)
    starts = np.flatnonzero(start)
    pairs = starts[(starts + 1 < len(kids))]
    pairs = pairs[set_id[np.minimum(pairs + 1, len(kids) - 1)] == set_id[pairs]]
    pairs = pairs[rng.random(len(pairs)) < rates.twins]
    birth[kids[pairs + 1]] = birth[kids[pairs]]
    twin_of[kids[pairs + 1]] = kids[pairs]

    # siblings born under 300 days apart who are not twins start a new set
    by_birth = np.lexsort((birth[kids], set_id))
    kids, set_id, mother_year = kids[by_birth], set_id[by_birth], mother_year[by_birth]
    gap = np.diff(birth[kids])
    too_close = (set_id[1:] == set_id[:-1]) & (gap > 0) & (gap < 300)
    start = np.ones(len(kids), dtype=bool)
    start[1:] = (set_id[1:] != set_id[:-1]) | too_close
    final_set = np.cumsum(start) - 1
    child_set = np.full(n, -1, dtype=np.int64)
    child_set[kids] = final_set
    set_mother_year = np.zeros(int(final_set[-1]) + 1 if len(kids) else 0, dtype=np.int64)
    set_mother_year[final_set] = mother_year
    return child_set, set_mother_year, birth, twin_of


def _wives(free: Mask, male: Mask, age: Index, mothers_set: Index,
           rng: np.random.Generator, rates: Rates) -> Index:
    """Women who live with a husband, mothers of children at home first."""
    women = np.flatnonzero(free & ~male & (age >= 20))
    a = age[women]
    p = np.select([mothers_set[women] >= 0, a < 25, a >= 75],
                  [rates.mother_married, rates.woman_married_young, rates.woman_married_old],
                  rates.woman_married)
    chosen = women[rng.random(len(women)) < p]
    mothers_first = np.lexsort((rng.random(len(chosen)), mothers_set[chosen] < 0))
    return chosen[mothers_first]


def _match(want_year: Index, lo: Index, hi: Index, cand_year: Index,
           rng: np.random.Generator, offsets: Sequence[int] = (0, -1, 1, -2, 2, -3, 3)) -> Index:
    """Pair each want with a distinct candidate born in want_year (or a nearby year
    within [lo, hi]); earlier wants win. Returns candidate positions, -1 if none."""
    result = np.full(len(want_year), -1, dtype=np.int64)
    taken = np.zeros(len(cand_year), dtype=bool)
    shuffle = rng.random(len(cand_year))
    for offset in offsets:
        year = want_year + offset
        wants = np.flatnonzero((result < 0) & (year >= lo) & (year <= hi))
        cands = np.flatnonzero(~taken)
        if len(wants) == 0 or len(cands) == 0:
            continue
        c_order = cands[np.lexsort((shuffle[cands], cand_year[cands]))]
        c_year = cand_year[c_order]
        w_order = wants[np.argsort(year[wants], kind="stable")]
        w_year = year[w_order]
        rank = np.arange(len(w_order)) - np.searchsorted(w_year, w_year, side="left")
        first = np.searchsorted(c_year, w_year, side="left")
        last = np.searchsorted(c_year, w_year, side="right")
        ok = first + rank < last
        chosen = c_order[first[ok] + rank[ok]]
        result[w_order[ok]] = chosen
        taken[chosen] = True
    return result


def _take(pool: Index, positions: Index) -> Index:
    """pool[positions] where a position was found, -1 elsewhere."""
    found = positions >= 0
    out = np.full(len(positions), -1, dtype=np.int64)
    out[found] = pool[positions[found]]
    return out


def _dense(household: Index, rng: np.random.Generator) -> Index:
    """Renumber households 0..H-1 in a random order, so numbers say nothing of roles."""
    ids = np.unique(household)
    new_number = rng.permutation(len(ids))
    return new_number[np.searchsorted(ids, household)]


def _birth_provinces(new_province: Index, rng: np.random.Generator, rates: Rates,
                     div: Divisions) -> Index:
    """Old province where each birth was registered: one merged into today's
    province, or anywhere for migrants."""
    by_new = np.argsort(div.old_to_new, kind="stable")
    count = np.bincount(div.old_to_new, minlength=len(div.province_codes))
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    pick = first[new_province] + (rng.random(len(new_province)) * count[new_province]).astype(
        np.int64)
    local = by_new[pick]
    migrant = rng.random(len(new_province)) < rates.migrants
    anywhere = rng.integers(0, len(div.old_codes), size=len(new_province))
    return np.where(migrant, anywhere, local)


def _last_child_birth(birth: Index, father: Index, mother: Index) -> Index:
    """Birth day of each person's youngest child in the household (or -1)."""
    last = np.full(len(birth), -1, dtype=np.int64)
    for parent in (father, mother):
        linked = parent >= 0
        np.maximum.at(last, parent[linked], birth[linked])
    return last


def _deaths(birth: Index, age: Index, last_child: Index, rng: np.random.Generator,
            rates: Rates) -> Index:
    """Date of death (or -1): likelier with age, between 2016 and the reference date,
    and after the birth of one's youngest child."""
    weight = np.exp(DEATH_AGE_SLOPE * age.astype(np.float64))
    p = np.minimum(0.8, rates.deceased * weight / weight.mean())
    start = np.maximum(np.maximum(birth, last_child) + 1, DEATHS_FROM)
    dead = (rng.random(len(birth)) < p) & (start < REFERENCE_DAY)
    span = np.maximum(REFERENCE_DAY - start, 1)
    day = start + (rng.random(len(birth)) * span).astype(np.int64)
    return np.where(dead, day, -1)
