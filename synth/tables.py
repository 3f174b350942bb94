"""Reference tables the world is drawn from: the data files under synth/data and
the 2025 administrative divisions of `popdq.divisions`.

Files are read with the csv module (they are small) and turned into numpy
arrays in file order, so draws never depend on dict or set ordering.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from popdq.divisions import division_file

DATA_DIR = Path(__file__).parent / "data"
DIVISIONS_VERSION = "2025-07-01"
"""The version of `popdq.divisions` that the world lives in."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file whose leading `#` lines are comments (the sources)."""
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


@dataclass(frozen=True)
class Divisions:
    """2025 provinces and communes, the old 63-province codes that map to them, and the
    pre-2025 communes that lie in them now."""

    province_codes: tuple[str, ...]
    """New 2-digit province codes, sorted."""
    province_names: tuple[str, ...]
    commune_codes: tuple[str, ...]
    """5-digit commune codes, sorted."""
    commune_names: tuple[str, ...]
    commune_province: npt.NDArray[np.int64]
    """Index into province_codes of each commune."""
    old_codes: npt.NDArray[np.int64]
    """The 63 old province codes (also the last two digits of ID prefixes)."""
    old_names: tuple[str, ...]
    old_to_new: npt.NDArray[np.int64]
    """Index into province_codes of the new province each old code merged into."""
    old_commune_codes: tuple[str, ...]
    """Pre-2025 commune codes that are no code now (the official conversion), one entry
    per current commune each lies in, grouped by that commune (old_commune_new)."""
    old_commune_names: tuple[str, ...]
    old_commune_new: npt.NDArray[np.int64]
    """Index into commune_codes of the commune each entry now lies in, ascending."""
    old_commune_province: npt.NDArray[np.int64]
    """Index into old_codes of the old province each entry lay in."""


@cache
def divisions() -> Divisions:
    """The division tables of DIVISIONS_VERSION."""
    provinces = read_rows(division_file("provinces.csv", DIVISIONS_VERSION))
    communes = read_rows(division_file("communes.csv", DIVISIONS_VERSION))
    mapping = read_rows(division_file("province_mapping.csv", DIVISIONS_VERSION))
    provinces.sort(key=lambda r: r["province_code"])
    communes.sort(key=lambda r: r["commune_code"])
    mapping.sort(key=lambda r: r["old_code"])
    index = {r["province_code"]: i for i, r in enumerate(provinces)}
    commune_index = {r["commune_code"]: i for i, r in enumerate(communes)}
    old_index = {r["old_code"]: i for i, r in enumerate(mapping)}
    old_communes = sorted(  # retired codes only; the few without a name are left out
        (commune_index[r["new_code"]], r["old_code"], r["old_name"],
         old_index[r["old_province_code"]])
        for r in read_rows(division_file("commune_mapping.csv", DIVISIONS_VERSION))
        if r["old_code"] not in commune_index and r["old_name"])
    return Divisions(
        province_codes=tuple(r["province_code"] for r in provinces),
        province_names=tuple(r["name"] for r in provinces),
        commune_codes=tuple(r["commune_code"] for r in communes),
        commune_names=tuple(r["name"] for r in communes),
        commune_province=np.array([index[r["province_code"]] for r in communes], dtype=np.int64),
        old_codes=np.array([int(r["old_code"]) for r in mapping], dtype=np.int64),
        old_names=tuple(r["old_name"] for r in mapping),
        old_to_new=np.array([index[r["new_code"]] for r in mapping], dtype=np.int64),
        old_commune_codes=tuple(r[1] for r in old_communes),
        old_commune_names=tuple(r[2] for r in old_communes),
        old_commune_new=np.array([r[0] for r in old_communes], dtype=np.int64),
        old_commune_province=np.array([r[3] for r in old_communes], dtype=np.int64),
    )


@dataclass(frozen=True)
class Pyramid:
    """Population by five-year age group (synth/data/age_pyramid.csv)."""

    age_from: npt.NDArray[np.int64]
    age_to: npt.NDArray[np.int64]
    share: npt.NDArray[np.float64]
    male_share: npt.NDArray[np.float64]


@cache
def pyramid() -> Pyramid:
    """The age pyramid, shares normalised to 1."""
    rows = read_rows(DATA_DIR / "age_pyramid.csv")
    thousands = np.array([float(r["thousands"]) for r in rows])
    return Pyramid(
        age_from=np.array([int(r["age_from"]) for r in rows], dtype=np.int64),
        age_to=np.array([int(r["age_to"]) for r in rows], dtype=np.int64),
        share=thousands / thousands.sum(),
        male_share=np.array([float(r["male_share"]) for r in rows]),
    )
