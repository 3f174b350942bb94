"""What records leave out, by age: an empty id_number (by source and the holder's age,
synth/data/missing_ids.csv) and birth dates known to the year only (by birth cohort,
synth/data/year_only_dates.csv).

Both tables are bands of ages or birth years; a band's value applies to everyone in
it. Rates.missing_id_scale and Rates.year_only_scale multiply them (0 turns them off).
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from synth.rates import Rates
from synth.tables import DATA_DIR, read_rows

Index = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bands:
    """Rows of a table keyed by bands [lower, upper] of ages or birth years."""

    lower: Index
    upper: Index
    columns: dict[str, Floats]

    def at(self, key: Index, column: str) -> Floats:
        """The value of `column` in the band of each key (0 outside every band)."""
        band = np.searchsorted(self.lower, key, side="right") - 1
        inside = (band >= 0) & (key <= self.upper[np.maximum(band, 0)])
        return np.where(inside, self.columns[column][np.maximum(band, 0)], 0.0)


def _bands(name: str, lower: str, upper: str) -> Bands:
    rows = read_rows(DATA_DIR / name)
    rows.sort(key=lambda r: int(r[lower]))
    values = [c for c in rows[0] if c not in (lower, upper)]
    table = Bands(
        lower=np.array([int(r[lower]) for r in rows], dtype=np.int64),
        upper=np.array([int(r[upper]) for r in rows], dtype=np.int64),
        columns={c: np.array([float(r[c]) for r in rows]) for c in values},
    )
    if (table.lower[1:] <= table.upper[:-1]).any():
        raise ValueError(f"{name}: bands overlap")
    return table


@cache
def missing_ids() -> Bands:
    """synth/data/missing_ids.csv: a column per source, by age."""
    return _bands("missing_ids.csv", "age_from", "age_to")


@cache
def year_only_dates() -> Bands:
    """synth/data/year_only_dates.csv: registry_year, registry_month, source_year by
    birth year."""
    return _bands("year_only_dates.csv", "born_from", "born_to")


def id_empty(age: Index, source: Index, kinds: tuple[str, ...], rates: Rates) -> Floats:
    """Each record's chance of an empty id_number: its holder's age band in the column
    of its source (`kinds[source]`)."""
    table = missing_ids()
    p = np.zeros(len(age))
    for k, kind in enumerate(kinds):
        rows = source == k
        p[rows] = table.at(age[rows], kind)
    return np.minimum(p * rates.missing_id_scale, 1.0)


def registry_precision_p(birth_year: Index, rates: Rates) -> tuple[Floats, Floats]:
    """Each person's chance that the registry holds only the year, and only the year
    and month, of their birth."""
    table = year_only_dates()
    year = np.minimum(table.at(birth_year, "registry_year") * rates.year_only_scale, 1.0)
    month = np.minimum(table.at(birth_year, "registry_month"), 1.0 - year)
    return year, month


def source_year_only_p(birth_year: Index, rates: Rates) -> Floats:
    """Each record's chance of a year-only date where the registry has more."""
    table = year_only_dates()
    return np.minimum(table.at(birth_year, "source_year") * rates.year_only_scale, 1.0)
