"""Namesakes: people who share a full name, sex and birth year in one province.

A real province holds ~3 M people, and common names (Nguyễn Thị Hương, Nguyễn
Văn Hùng) recur there dozens of times in every birth year: with the names of
synth/data, ~61 % of people have a namesake (same full name, sex and birth
year) in their province and ~8 % one in their own commune of ~30,000 people
(docs/synthetic-world.md). A world of N people is a 1-in-(101 M / N) sample of
the country, so names drawn independently give it far fewer namesakes than the
registry a real source is linked against. To make linking as hard as on real
data, a share of people (Rates.namesakes + Rates.namesakes_commune) take the
name of another person of their sex and birth year in their province, and the
households of some of them (Rates.namesakes_commune) move to that person's
commune, in the same province.

- Donors are other people, never of the same household, and the commoner names
  of a province are likelier to be copied (common names are the ones that recur).
- A person whose family name is tied to someone (a child carrying a parent's, a
  parent whose children carry theirs) keeps it and takes only the middle and
  given names, from a donor with the same family name; anyone else takes the
  whole name. Twins keep their own (distinct) names.
- A household moves whole, within its province, so members share a commune and
  birth provinces, ID prefixes and card codes stay right; a household holding a
  donor of a move stays.
- Homonyms stay different people: person_ids, birth days and households differ.
"""

import numpy as np
import numpy.typing as npt

from synth.dates import ymd
from synth.names import Tokens
from synth.people import People
from synth.rates import Rates

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

SPAN = 1 << 14
"""Above any token, province or birth-year offset: keys are sums of their multiples."""
PERSONAL = slice(2, None)
"""Token slots after the family name: middle, added part, given."""


def give_namesakes(tokens: Tokens, people: People, commune_province: Index,
                   rng: np.random.Generator, rates: Rates) -> tuple[Tokens, Index]:
    """Tokens with a share of people renamed after a namesake of their province, and
    each person's commune after some households moved to their namesake's."""
    n = people.size
    tokens = tokens.copy()
    twins = people.twin_of >= 0
    twins[people.twin_of[twins]] = True
    tied = people.lineage >= 0
    for parent in (people.lineage, people.father, people.mother):
        tied[parent[parent >= 0]] = True
    u = rng.random(n)
    receivers = ~twins & (u < rates.namesakes + rates.namesakes_commune)
    moving = receivers & (u < rates.namesakes_commune)

    year = ymd(people.birth)[0]
    cell = ((commune_province[people.commune] * 2 + people.male) * SPAN
            + year - year.min(initial=0))
    family = (tokens[:, 0] + 1) * SPAN + tokens[:, 1] + 1
    commonness = _commonness(tokens)
    donor = np.full(n, -1, dtype=np.int64)
    for bound, key in ((True, cell * SPAN**2 + family), (False, cell)):
        chosen = receivers & (tied == bound)
        donor[chosen] = _donors(key, chosen, receivers, commonness, rng)[chosen]
    donor[people.household[np.maximum(donor, 0)] == people.household] = -1
    bound_rows = np.flatnonzero((donor >= 0) & tied)
    free_rows = np.flatnonzero((donor >= 0) & ~tied)
    tokens[bound_rows, PERSONAL] = tokens[donor[bound_rows], PERSONAL]
    tokens[free_rows] = tokens[donor[free_rows]]
    return tokens, _move(people, np.flatnonzero(moving & (donor >= 0)), donor)


def _commonness(tokens: Tokens) -> Index:
    """How many people carry each person's full name."""
    row = np.zeros(len(tokens), dtype=np.uint64)
    for k in range(tokens.shape[1]):  # a hash of the row: a rare collision only merges counts
        row = row * np.uint64(1_000_003) + (tokens[:, k] + 1).astype(np.uint64)
    _, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
    return counts[inverse].astype(np.int64)


def _donors(key: Index, chosen: Mask, receivers: Mask, commonness: Index,
            rng: np.random.Generator) -> Index:
    """For each chosen person, someone of the same key who is not a receiver
    (commoner names likelier), or -1 where the key has nobody."""
    donor = np.full(len(key), -1, dtype=np.int64)
    pool = np.flatnonzero(~receivers)
    wants = np.flatnonzero(chosen)
    if len(wants) == 0 or len(pool) == 0:
        return donor
    pool = pool[np.lexsort((rng.random(len(pool)), -commonness[pool], key[pool]))]
    first = np.searchsorted(key[pool], key[wants], side="left")
    count = np.searchsorted(key[pool], key[wants], side="right") - first
    pick = first + np.floor(count * rng.random(len(wants)) ** 2).astype(np.int64)
    has = count > 0
    donor[wants[has]] = pool[pick[has]]
    return donor


def _move(people: People, movers: Index, donor: Index) -> Index:
    """Communes after each mover's household moved to its donor's commune (one move per
    household; households holding a donor of a move stay)."""
    households = int(people.household.max(initial=-1)) + 1
    commune = np.zeros(households, dtype=np.int64)
    commune[people.household] = people.commune
    anchored = np.zeros(households, dtype=bool)
    anchored[people.household[donor[movers]]] = True
    movers = movers[~anchored[people.household[movers]]]
    _, first = np.unique(people.household[movers], return_index=True)
    movers = movers[first]
    commune[people.household[movers]] = people.commune[donor[movers]]
    return commune[people.household]
