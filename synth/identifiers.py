"""Every person's identifiers (shared/spec/domain.md §2), as integers.

- personal ID: 12 digits = "0" + old 2-digit birth province, century/sex digit,
  two year digits, 6 random digits; unique;
- old ID card (CMND): 9 digits, for people old enough to have had one;
- BHXH number: 10 digits, lifelong: 2-digit old province + 8 random; unique;
- MST: 10 digits with the check digit N10 = 10 - (Σ Nᵢ·Wᵢ mod 11); bodies
  whose remainder is 0 (N10 would be 10) are never issued.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from synth.dates import ymd
from synth.people import People
from synth.rates import Rates
from synth.tables import Divisions

Index = npt.NDArray[np.int64]

MST_WEIGHTS = np.array([31, 29, 23, 19, 17, 13, 7, 5, 3], dtype=np.int64)
MST_HEADS = np.array([80, 81, 83, 84, 85], dtype=np.int64)
"""First two digits of personal MSTs."""


@dataclass(frozen=True)
class PersonIds:
    """Identifiers of each person; old_id is -1 where there never was a CMND."""

    personal: Index
    old_id: Index
    bhxh: Index
    mst: Index


def assign_ids(people: People, rng: np.random.Generator, rates: Rates,
               div: Divisions) -> PersonIds:
    """Unique identifiers for everyone, consistent with birth year, sex and province."""
    year = ymd(people.birth)[0]
    province = div.old_codes[people.birth_old]
    century_sex = 2 * ((year - 1900) // 100) + (~people.male).astype(np.int64)
    personal = _unique(province * 10**9 + century_sex * 10**8 + (year % 100) * 10**6,
                       10**6, rng)
    p_old = np.select([year <= 1998, year <= 2002], [rates.old_id, rates.old_id_late], 0.0)
    has_old = rng.random(people.size) < p_old
    old_id = np.full(people.size, -1, dtype=np.int64)
    old_id[has_old] = _unique(np.zeros(int(has_old.sum()), dtype=np.int64), 4 * 10**8, rng)
    bhxh = _unique(province * 10**8, 10**8, rng)
    return PersonIds(personal=personal, old_id=old_id, bhxh=bhxh, mst=_msts(people.size, rng))


def _unique(base: Index, span: int, rng: np.random.Generator,
            invalid: Callable[[Index], npt.NDArray[np.bool_]] | None = None) -> Index:
    """base + a random number below span, redrawn until all values are distinct
    (and none is `invalid`)."""
    values = base + rng.integers(0, span, size=len(base))
    while True:
        order = np.argsort(values, kind="stable")
        redraw = np.zeros(len(values), dtype=bool)
        redraw[order[1:][values[order][1:] == values[order][:-1]]] = True
        if invalid is not None:
            redraw |= invalid(values)
        if not redraw.any():
            return values
        values[redraw] = base[redraw] + rng.integers(0, span, size=int(redraw.sum()))


def mst_remainder(body: Index) -> Index:
    """Σ Nᵢ·Wᵢ mod 11 of 9-digit MST bodies."""
    total = np.zeros(len(body), dtype=np.int64)
    for k, weight in enumerate(MST_WEIGHTS):
        total += (body // 10 ** (8 - k)) % 10 * weight
    return total % 11


def _msts(n: int, rng: np.random.Generator) -> Index:
    """n distinct valid 10-digit MSTs."""
    heads = rng.choice(MST_HEADS, size=n) * 10**7
    body = _unique(heads, 10**7, rng, invalid=lambda b: mst_remainder(b) == 0)
    return body * 10 + (10 - mst_remainder(body))


BHYT_GROUPS = ("TE", "HS", "SV", "DN", "HC", "HT", "BT", "CN", "GD")
BHYT_LEVELS = np.array([1, 4, 4, 4, 4, 3, 2, 3, 4], dtype=np.int64)
"""Benefit level printed on a card of each group: children under 6 (TE) 1,
social assistance (BT) 2, retirees (HT) and near-poor (CN) 3, others 4."""
TE, HS, SV, DN, HC, HT, BT, CN, GD = range(len(BHYT_GROUPS))


def bhyt_groups(age: Index, employed: npt.NDArray[np.bool_], rng: np.random.Generator,
                rates: Rates) -> Index:
    """The beneficiary group of a card holder of this age (at the reference date
    or at death), given whether they pay social insurance."""
    u = rng.random((5, len(age)))
    return np.select(
        [age < 6, age < 18, (age <= 22) & (u[0] < rates.card_student),
         employed & (u[1] < rates.card_employee), employed,
         (age >= 80) & (u[2] < rates.card_social_assistance),
         (age >= 60) & (u[3] < rates.card_retired), (age >= 18) & (u[4] < rates.card_near_poor)],
        [TE, HS, SV, DN, HC, BT, HT, CN],
        GD,
    )
