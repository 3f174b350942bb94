"""The administrative divisions: a versioned code table, read once for every layer.

`data/divisions/<version>/` holds `provinces.csv`, `communes.csv`,
`province_mapping.csv` (every province code that was ever valid → its code in
these divisions) and `commune_mapping.csv` (every commune code that was ever
valid → the commune or communes it now lies in: one row per pair, many-to-many,
since some old communes were split). The newest folder is the default; the next merger is a new
folder (see `data/README.md`). Matching normalises codes against it, the
synthetic world draws places from it, the CLI parses `--locality` with it.
"""

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import polars as pl

DIVISIONS_DIR = Path(__file__).parent / "data" / "divisions"


@dataclass(frozen=True)
class Divisions:
    """One version of the division tables, all columns text."""

    version: str
    provinces: pl.DataFrame
    communes: pl.DataFrame
    province_mapping: pl.DataFrame
    commune_mapping: pl.DataFrame
    """old_code, old_name, old_province_code, new_code: one row per old → new pair."""

    @property
    def province_codes(self) -> list[str]:
        """The current province codes."""
        return self.provinces.get_column("province_code").to_list()

    @cached_property
    def commune_codes(self) -> frozenset[str]:
        """The current commune codes."""
        return frozenset(self.communes.get_column("commune_code").to_list())

    @property
    def old_province_codes(self) -> dict[str, str]:
        """Every code in the mapping (pre-2025 included) → its current code."""
        return dict(self.province_mapping.select("old_code", "new_code").iter_rows())

    @cached_property
    def old_communes(self) -> pl.DataFrame:
        """Each old commune code that is no current code, with what it became: `new_codes`
        (its current communes, sorted), `current` (the one commune when it maps to one,
        else null) and `province` (the current province all of them lie in, else null)."""
        province_of = self.communes.select(pl.col("commune_code").alias("new_code"),
                                           pl.col("province_code"))
        return (
            self.commune_mapping.filter(~pl.col("old_code").is_in(list(self.commune_codes)))
            .join(province_of, on="new_code", how="left")
            .group_by("old_code")
            .agg(pl.col("new_code").sort().alias("new_codes"),
                 pl.col("province_code").unique().alias("provinces"))
            .select(
                "old_code", "new_codes",
                pl.when(pl.col("new_codes").list.len() == 1)
                .then(pl.col("new_codes").list.first()).alias("current"),
                pl.when(pl.col("provinces").list.len() == 1)
                .then(pl.col("provinces").list.first()).alias("province"),
            )
            .sort("old_code")
        )

    @property
    def province_names(self) -> dict[str, str]:
        """Current province code → its name."""
        return dict(self.provinces.select("province_code", "name").iter_rows())

    @property
    def commune_names(self) -> dict[str, str]:
        """Current commune code → its name."""
        return dict(self.communes.select("commune_code", "name").iter_rows())

    @property
    def province_of_commune(self) -> dict[str, str]:
        """Current commune code → the code of the province it lies in."""
        return dict(self.communes.select("commune_code", "province_code").iter_rows())


def available_versions() -> list[str]:
    """Division versions shipped with the package, oldest first."""
    return sorted(p.name for p in DIVISIONS_DIR.iterdir() if (p / "provinces.csv").is_file())


def division_file(name: str, version: str | None = None) -> Path:
    """The path of one table of a version (default: the newest)."""
    return DIVISIONS_DIR / (version or available_versions()[-1]) / name


@cache
def load_divisions(version: str | None = None) -> Divisions:
    """The division tables of `version` (default: the newest)."""
    versions = available_versions()
    chosen = version or versions[-1]
    if chosen not in versions:
        raise ValueError(f"unknown division version {chosen!r} (have: {', '.join(versions)})")

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(division_file(name, chosen), infer_schema=False)

    return Divisions(chosen, read("provinces.csv"), read("communes.csv"),
                     read("province_mapping.csv"), read("commune_mapping.csv"))
