"""Vietnamese names: drawing them for people, and writing them out as entered.

A name is kept as syllable tokens in seven slots, family name first:
family (2), middle (2), an added part (1, used only by noise), given (2);
-1 marks an empty slot. Every distinct syllable, its typo and its wrong-tone
twin, and every formatting variant of each of those is computed once over
the vocabulary (a few thousand strings); a record's name is then a gather
from that table per slot and one vectorised join.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import polars as pl

from synth import spelling
from synth.dates import ymd
from synth.people import CHILD, People
from synth.rates import Rates
from synth.tables import DATA_DIR, read_rows

Index = npt.NDArray[np.int64]
Tokens = npt.NDArray[np.int64]

SLOTS = 7
TYPOS = 3
"""Typo variants kept per syllable."""
FAMILY, MIDDLE, ADDED, GIVEN = slice(0, 2), slice(2, 4), 4, slice(5, 7)
WESTERN_ORDER = [2, 3, 4, 5, 6, 0, 1]
"""Slot order of a name written given-name-first (Thị Thanh Thảo Nguyễn)."""

MODES: tuple[Callable[[str], str], ...] = (
    str, spelling.strip_diacritics, spelling.nfd, spelling.tone_convention, spelling.eth,
    spelling.telex, spelling.vni, spelling.miscompose, spelling.mojibake,
)
NO_DIACRITICS = MODES.index(spelling.strip_diacritics)
GARBLED = tuple(MODES.index(mode) for mode in (spelling.telex, spelling.vni, spelling.mojibake))
"""Modes that store garbage (name_mismatch where they change the name), not formatting."""
MOJIBAKE = MODES.index(spelling.mojibake)
CASES: tuple[Callable[[str], str], ...] = (str, str.upper, str.lower)
"""A written name is one MODE (diacritics) and one CASE; variant = mode * 3 + case.
Mojibake garbles the bytes of the name as typed, so its case comes first."""


@dataclass(frozen=True)
class Table:
    """Entries of one name table as syllable tokens (two slots), with weights."""

    tokens: Tokens
    sex: npt.NDArray[np.str_]
    weight: npt.NDArray[np.float64]

    def p(self, sexes: str) -> npt.NDArray[np.float64]:
        """Draw probabilities restricted to entries whose sex is in `sexes`."""
        w = np.where(np.isin(self.sex, list(sexes)), self.weight, 0.0)
        return w / w.sum()


@dataclass(frozen=True)
class NameBook:
    """The name tables, the syllable vocabulary and its written variants."""

    vocab: tuple[str, ...]
    family: Table
    middle: Table
    given: Table
    given_from: Index
    """First birth year of each cohort of given_name_cohorts.csv."""
    given_p: npt.NDArray[np.float64]
    """(cohort x sex (0 men, 1 women) x given entries): draw probabilities of the given
    names, the cohort's popular names at their shares and the others by weight."""
    cohorts: npt.NDArray[np.float64]
    """Rows of middle_name_cohorts.csv: born_from, born_to, p_van, p_thi, p_none,
    second_middle_m, second_middle_f."""
    van: int
    thi: int
    typo_of: Index
    """(vocab x TYPOS) tokens: typos of each token."""
    retone_of: Index
    """(vocab x 4) tokens: each token with the four other tones, the hỏi/ngã
    partner first; -1 for toneless syllables."""
    hoi_nga: npt.NDArray[np.bool_]
    """Whether the token's tone is hỏi or ngã (its first retone is the partner)."""
    variants: pl.Series
    """len(MODES) * len(CASES) blocks of len(vocab) strings, then one null."""

    def render(self, tokens: Tokens, variant: npt.NDArray[np.int64]) -> pl.Series:
        """Names as written: each record's tokens in one variant, joined by spaces."""
        size = len(self.vocab)
        null = len(self.variants) - 1
        cols = [
            self.variants.gather(np.where(tokens[:, k] >= 0, variant * size + tokens[:, k], null))
            .alias(f"t{k}")
            for k in range(tokens.shape[1])
        ]
        frame = pl.DataFrame(cols)
        return frame.select(pl.concat_str(pl.all(), separator=" ", ignore_nulls=True)).to_series()


@cache
def name_book() -> NameBook:
    """Read the name tables and precompute every variant of every syllable."""
    family_rows = read_rows(DATA_DIR / "family_names.csv")
    middle_rows = read_rows(DATA_DIR / "middle_names.csv")
    given_rows = read_rows(DATA_DIR / "given_names.csv")
    cohort_rows = read_rows(DATA_DIR / "middle_name_cohorts.csv")
    popular_rows = read_rows(DATA_DIR / "given_name_cohorts.csv")
    names = [r["name"] for r in family_rows + middle_rows + given_rows] + ["Văn", "Thị"]
    base = sorted({syllable for name in names for syllable in name.split()})

    rng = np.random.Generator(np.random.PCG64(20250701))  # the typo table, same in every world
    typos = [[spelling.typo(s, rng) for _ in range(TYPOS)] for s in base]
    retones = [spelling.retones(s) for s in base]
    vocab = list(base)
    index = {s: i for i, s in enumerate(vocab)}
    for s in [t for row in typos + retones for t in row]:
        if s not in index:
            index[s] = len(vocab)
            vocab.append(s)
    # variants of variants are never asked for: their rows only pad the tables
    typo_of = np.zeros((len(vocab), TYPOS), dtype=np.int64)
    typo_of[:len(base)] = [[index[t] for t in row] for row in typos]
    retone_of = np.full((len(vocab), 4), -1, dtype=np.int64)
    for i, row in enumerate(retones):
        retone_of[i, :len(row)] = [index[r] for r in row]
    hoi_nga = np.array([any(m in spelling.nfd(s) for m in spelling.HOI_NGA) for s in vocab])
    variants = [mode(case(s)) if mode is spelling.mojibake else case(mode(s))
                for mode in MODES for case in CASES for s in vocab]

    def table(rows: list[dict[str, str]], weight: str) -> Table:
        tokens = np.full((len(rows), 2), -1, dtype=np.int64)
        for i, r in enumerate(rows):
            for j, syllable in enumerate(r["name"].split()):
                tokens[i, j] = index[syllable]
        sex = np.array([r.get("sex", "U") for r in rows])
        return Table(tokens, sex, np.array([float(r[weight]) for r in rows]))

    columns = ("born_from", "born_to", "p_van", "p_thi", "p_none", "second_middle_m",
               "second_middle_f")
    given = table(given_rows, "weight")
    given_from, given_p = _given_by_cohort(given_rows, given, popular_rows)
    return NameBook(
        vocab=tuple(vocab),
        family=table(family_rows, "share_pct"),
        middle=table(middle_rows, "weight"),
        given=given,
        given_from=given_from,
        given_p=given_p,
        cohorts=np.array([[float(r[c]) for c in columns] for r in cohort_rows]),
        van=index["Văn"],
        thi=index["Thị"],
        typo_of=typo_of,
        retone_of=retone_of,
        hoi_nga=hoi_nga,
        variants=pl.Series("variants", [*variants, None], dtype=pl.Utf8),
    )


def _given_by_cohort(given_rows: list[dict[str, str]], given: Table,
                     popular_rows: list[dict[str, str]]) -> tuple[Index, npt.NDArray[np.float64]]:
    """Draw probabilities of the given names per cohort and sex: each popular name of
    given_name_cohorts.csv at its share, the rest of the cohort by the weights of the
    other names in given_names.csv."""
    starts = sorted({int(r["born_from"]) for r in popular_rows})
    p = np.zeros((len(starts), 2, len(given_rows)))
    for c in range(len(starts)):
        p[c, 0], p[c, 1] = given.p("MU"), given.p("FU")
    popular = np.zeros_like(p)
    for r in popular_rows:
        sex = r["sex"]
        entry = next((i for i, g in enumerate(given_rows)
                      if g["name"] == r["name"] and g["sex"] in (sex, "U")), None)
        if entry is None or sex not in ("M", "F"):
            raise ValueError(f"given_name_cohorts.csv: {r['name']} ({sex}) is not a given "
                             "name of that sex in given_names.csv")
        popular[starts.index(int(r["born_from"])), int(sex == "F"), entry] += (
            float(r["share_pct"]) / 100)
    rest = 1 - popular.sum(axis=2, keepdims=True)
    if (rest < 0).any():
        raise ValueError("given_name_cohorts.csv: a cohort's shares exceed 100 %")
    p[popular > 0] = 0  # a popular name has its share, not more
    p /= p.sum(axis=2, keepdims=True)
    return np.array(starts, dtype=np.int64), popular + rest * p


def draw_names(people: People, rng: np.random.Generator, rates: Rates, book: NameBook) -> Tokens:
    """Name tokens (n x SLOTS) for everyone: the family name passed down the
    lineage, a middle name by sex and birth cohort, a given name by sex and
    birth cohort."""
    n = people.size
    male = people.male
    family = rng.choice(len(book.family.weight), size=n, p=book.family.p("U"))
    for _ in range(3):  # lineage chains are at most two links long
        linked = people.lineage >= 0
        family[linked] = family[people.lineage[linked]]

    year = ymd(people.birth)[0]
    given = _given_names(male, year, rng, book)
    cohort = book.cohorts[np.searchsorted(book.cohorts[:, 0], year, side="right") - 1]
    p_custom = np.where(male, cohort[:, 2], cohort[:, 3])
    custom = np.where(male, book.van, book.thi)
    u = rng.random(n)
    other = _by_sex(book.middle, male, rng, "M", "F")
    middle1 = np.where(u < p_custom, custom,
                       np.where(u < p_custom + cohort[:, 4], -1, book.middle.tokens[other, 0]))
    second = (middle1 == custom) & (rng.random(n) < np.where(male, cohort[:, 5], cohort[:, 6]))
    middle2 = np.where(second, book.middle.tokens[_by_sex(book.middle, male, rng, "M", "F"), 0], -1)
    two_syllable_given = book.given.tokens[given, 1] >= 0
    middle2[two_syllable_given] = -1
    middle1[two_syllable_given & (rng.random(n) < rates.given_two_syllable_no_middle)] = -1

    # some children carry their mother's family name as a middle name
    mother = people.mother
    mother_family = book.family.tokens[family[np.maximum(mother, 0)]]
    takes_mother = ((people.role == CHILD) & (people.father >= 0) & (mother >= 0)
                    & (year >= 1970) & (mother_family[:, 1] < 0)
                    & (mother_family[:, 0] != book.family.tokens[family, 0])
                    & (rng.random(n) < rates.mother_family_middle))
    middle1[takes_mother] = mother_family[takes_mother, 0]

    given = _distinct_given(given, middle1, middle2, people.twin_of, male, year, rng, book)
    tokens = np.full((n, SLOTS), -1, dtype=np.int64)
    tokens[:, FAMILY] = book.family.tokens[family]
    tokens[:, 2] = middle1
    tokens[:, 3] = middle2
    tokens[:, GIVEN] = book.given.tokens[given]
    return tokens


def _by_sex(table: Table, male: npt.NDArray[np.bool_], rng: np.random.Generator,
            men: str, women: str) -> Index:
    """An entry of the table for each person, from the men's or women's entries."""
    out = np.empty(len(male), dtype=np.int64)
    for mask, sexes in ((male, men), (~male, women)):
        out[mask] = rng.choice(len(table.weight), size=int(mask.sum()), p=table.p(sexes))
    return out


def _given_names(male: npt.NDArray[np.bool_], year: Index, rng: np.random.Generator,
                 book: NameBook) -> Index:
    """A given name for each person, by sex and birth cohort."""
    cohort = np.maximum(np.searchsorted(book.given_from, year, side="right") - 1, 0)
    out = np.empty(len(male), dtype=np.int64)
    for c in range(len(book.given_from)):
        for sex, mask in ((0, male), (1, ~male)):
            rows = np.flatnonzero(mask & (cohort == c))
            out[rows] = rng.choice(book.given_p.shape[2], size=len(rows), p=book.given_p[c, sex])
    return out


def _distinct_given(given: Index, middle1: Index, middle2: Index, twin_of: Index,
                    male: npt.NDArray[np.bool_], year: Index, rng: np.random.Generator,
                    book: NameBook) -> Index:
    """Redraw given names that repeat a middle name or the co-twin's given name."""
    twin = twin_of >= 0
    for _ in range(50):
        first = book.given.tokens[given, 0]
        clash = (first == middle1) | (first == middle2)
        clash[twin] |= given[twin] == given[twin_of[twin]]
        if not clash.any():
            break
        given[clash] = _given_names(male[clash], year[clash], rng, book)
    return given


def full_names(tokens: Tokens, book: NameBook) -> pl.Series:
    """Names as the registry stores them (NFC, family name first)."""
    return book.render(tokens, np.zeros(len(tokens), dtype=np.int64))
