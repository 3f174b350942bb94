"""The whole synthetic world: registry, three sources and the truth about them."""

import dataclasses
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from popdq.contract import DATASETS, TRUTH_COLUMNS
from popdq.errors import BadParameter
from synth import gaps, noise, sources, truth
from synth.dates import REFERENCE_DAY, age_at, day_number, iso, ymd
from synth.identifiers import PersonIds, assign_ids
from synth.names import NameBook, draw_names, full_names, name_book
from synth.namesakes import give_namesakes
from synth.people import ROLE_NAMES, People, generate_people
from synth.rates import RATES, Rates
from synth.streams import stream
from synth.tables import Divisions, divisions

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

REGISTRY_UPDATED_FROM = day_number(dt.date(2023, 1, 1))


@dataclass(frozen=True)
class World:
    """The five files of `popdq synth` as text columns in contract order, plus
    `families`: who is whose parent in the registry (not written; for checks)."""

    registry: pl.DataFrame
    social_insurance: pl.DataFrame
    tax: pl.DataFrame
    health_insurance: pl.DataFrame
    truth: pl.DataFrame
    families: pl.DataFrame

    def files(self) -> dict[str, pl.DataFrame]:
        """The frames written to disk, by file stem."""
        return {"registry": self.registry, "social_insurance": self.social_insurance,
                "tax": self.tax, "health_insurance": self.health_insurance, "truth": self.truth}


def generate_world(persons: int, seed: int, rates: Rates = RATES) -> World:
    """A registry of `persons` people and the source records about them (and
    about a few people outside the registry), with truth.csv listing the
    discrepancy kinds injected into each source record. Same seed, same world."""
    if persons < 1:
        raise ValueError(f"persons must be at least 1, got {persons}")
    div = divisions()
    book = name_book()
    extras = round(persons * rates.not_in_registry)
    people = generate_people(persons + extras, stream(seed, "people"), rates, div)
    in_registry = np.ones(people.size, dtype=bool)
    in_registry[stream(seed, "outsiders").choice(people.size, size=extras, replace=False)] = False
    ids = assign_ids(people, stream(seed, "identifiers"), rates, div)
    tokens = draw_names(people, stream(seed, "names"), rates, book)
    tokens, commune = give_namesakes(tokens, people, div.commune_province,
                                     stream(seed, "namesakes"), rates)
    people = dataclasses.replace(people, commune=commune)
    precision = _registry_precision(people, stream(seed, "registry.precision"), rates)

    registry = _registry(people, ids, tokens, precision, in_registry,
                         stream(seed, "registry.updated"), book, div)
    families = _families(people, ids, in_registry)
    frames = _sources(people, ids, tokens, precision, in_registry, seed, rates, book, div)
    return World(registry=registry, families=families, **frames)


def check_out_dir(out_dir: Path, *, force: bool) -> None:
    """Refuse a folder that already holds something, unless force: a mistyped --out must
    not silently replace a steward's real registry.csv."""
    out_dir = Path(out_dir)
    if not force and out_dir.is_dir() and any(out_dir.iterdir()):
        raise BadParameter(f"--out {out_dir}: the folder is not empty; choose a new one, or "
                           "pass --force to replace popdq's files in it")


def write_world(world: World, out_dir: Path) -> dict[str, Path]:
    """Write the five CSV files (UTF-8, no BOM, `,`, `\\n`, '' for missing).

    Each is written beside its final name and then renamed over it, so a file replaced
    is a new file (owner-only under popdq's umask, whatever the old one's mode) and a
    symbolic link of that name is replaced, not followed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in world.files().items():
        path = out_dir / f"{name}.csv"
        handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        os.close(handle)
        try:
            frame.write_csv(temporary, include_bom=False, separator=",", line_terminator="\n",
                            null_value="")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written[name] = path
    return written


def _registry_precision(people: People, rng: np.random.Generator, rates: Rates) -> Index:
    """How much of each birth date the registry holds: year, month or day
    (synth/data/year_only_dates.csv)."""
    year_only, month_only = gaps.registry_precision_p(ymd(people.birth)[0], rates)
    u = rng.random(people.size)
    return np.select([u < year_only, u < year_only + month_only],
                     [noise.PRECISION_YEAR, noise.PRECISION_MONTH], noise.PRECISION_DAY)


def _registry(people: People, ids: PersonIds, tokens: Index, precision: Index,
              in_registry: Mask, rng: np.random.Generator, book: NameBook,
              div: Divisions) -> pl.DataFrame:
    """The population registry, clean, sorted by person_id."""
    keep = np.flatnonzero(in_registry)
    keep = keep[np.argsort(ids.personal[keep], kind="stable")]
    birth = iso(people.birth[keep])
    p = pl.lit(pl.Series(precision[keep]))
    death = people.death[keep]
    start = np.maximum(REGISTRY_UPDATED_FROM, death)
    updated = start + (rng.random(len(keep)) * (REFERENCE_DAY - start)).astype(np.int64)
    commune = people.commune[keep]
    old_id = ids.old_id[keep]
    frame = pl.select(
        noise.zfill(ids.personal[keep], 12).alias("person_id"),
        pl.lit(full_names(tokens[keep], book)).alias("full_name"),
        pl.when(p == noise.PRECISION_YEAR).then(pl.lit(birth).str.slice(0, 4))
        .when(p == noise.PRECISION_MONTH).then(pl.lit(birth).str.slice(0, 7))
        .otherwise(pl.lit(birth)).alias("date_of_birth"),
        pl.lit(pl.Series(np.where(people.male[keep], "M", "F"))).alias("sex"),
        pl.lit(pl.Series(div.province_codes).gather(div.commune_province[commune]))
        .alias("province_code"),
        pl.lit(pl.Series(div.commune_codes).gather(commune)).alias("commune_code"),
        (pl.lit("HK") + noise.zfill(people.household[keep], 9)).alias("household_id"),
        pl.when(pl.lit(pl.Series(old_id >= 0))).then(noise.zfill(old_id, 9))
        .otherwise(pl.lit("")).alias("old_id_number"),
        pl.lit(pl.Series(np.where(death >= 0, "deceased", "alive"))).alias("status"),
        pl.lit(iso(death, missing=death < 0)).alias("date_of_death"),
        pl.lit(iso(updated)).alias("updated_at"),
    )
    return frame.select(DATASETS["registry"].columns)


def _families(people: People, ids: PersonIds, in_registry: Mask) -> pl.DataFrame:
    """Registry persons' household, role and parents living with them."""
    keep = np.flatnonzero(in_registry)
    keep = keep[np.argsort(ids.personal[keep], kind="stable")]

    def parent_id(parent: Index) -> pl.Expr:
        linked = (parent >= 0) & in_registry[np.maximum(parent, 0)]
        return pl.when(pl.lit(pl.Series(linked))).then(
            noise.zfill(ids.personal[np.maximum(parent, 0)], 12)).otherwise(pl.lit(""))

    return pl.select(
        noise.zfill(ids.personal[keep], 12).alias("person_id"),
        (pl.lit("HK") + noise.zfill(people.household[keep], 9)).alias("household_id"),
        pl.lit(pl.Series(ROLE_NAMES).gather(people.role[keep])).alias("role"),
        parent_id(people.father[keep]).alias("father_id"),
        parent_id(people.mother[keep]).alias("mother_id"),
    )


def _relatives(people: People, in_registry: Mask, rng: np.random.Generator) -> Index:
    """For each person, another registry member of their household, or -1."""
    members = np.flatnonzero(in_registry)
    members = members[np.lexsort((rng.random(len(members)), people.household[members]))]
    household = people.household[members]
    first = np.searchsorted(household, household, side="left")
    size = np.searchsorted(household, household, side="right") - first
    position = np.arange(len(members)) - first
    other = first + (position + 1 + (rng.random(len(members)) * np.maximum(size - 1, 1))
                     .astype(np.int64)) % np.maximum(size, 1)
    relative = np.full(people.size, -1, dtype=np.int64)
    relative[members] = np.where(size > 1, members[other], -1)
    return relative


def _sources(people: People, ids: PersonIds, tokens: Index, precision: Index,
             in_registry: Mask, seed: int, rates: Rates, book: NameBook,
             div: Divisions) -> dict[str, pl.DataFrame]:
    """The three source extracts and truth.csv."""
    status_day = np.where(people.death >= 0, people.death, REFERENCE_DAY)
    age = age_at(people.birth, status_day)
    records = sources.select_records(age, in_registry, stream(seed, "coverage"), rates)
    who = records.person
    linked = in_registry[who]
    male = people.male[who]
    has_sex = records.source != sources.TAX

    names = noise.noisy_names(tokens[who], male, linked, stream(seed, "noise.names"), rates, book)
    dates = noise.noisy_dates(people.birth[who], precision[who],
                              gaps.source_year_only_p(ymd(people.birth[who])[0], rates), linked,
                              stream(seed, "noise.dates"), rates)
    relative = _relatives(people, in_registry, stream(seed, "relatives"))[who]
    id_numbers = noise.noisy_ids(ids.personal[who], ids.old_id[who],
                                 np.where(relative >= 0, ids.personal[np.maximum(relative, 0)], -1),
                                 gaps.id_empty(age[who], records.source, sources.SOURCES, rates),
                                 linked, stream(seed, "noise.ids"), rates)
    sex = noise.noisy_sex(male, linked & has_sex, stream(seed, "noise.sex"), rates)
    places = noise.noisy_places(people.commune[who], records.source != sources.TAX,  # no commune
                                stream(seed, "noise.places"), rates, div)
    ry, rm, rd = ymd(people.birth[who])
    flags: dict[str, Mask] = {
        "name_mismatch": names.mismatch,
        "dob_mismatch": truth.dob_mismatch(dates, ry, rm, rd, precision[who], linked),
        "sex_mismatch": sex.flipped,
        "id_mismatch": id_numbers.mismatch,
        "id_inconsistent": truth.id_inconsistent(id_numbers.text, dates,
                                                 np.where(has_sex, sex.value, -1), div.old_codes),
        "invalid_format": dates.invalid.copy(),
        "duplicate_in_source": records.copies > 1,
        "missing_field": names.missing | dates.missing | id_numbers.missing,
        "not_in_registry": ~linked,
        "deceased_active": np.zeros(len(who), dtype=bool),
        "outdated_locality": places.outdated,
        "stale_id": id_numbers.stale,
    }
    common = pl.DataFrame({
        "record_id": sources.record_ids(records.source),
        "full_name": names.text,
        "date_of_birth": dates.text,
        "sex": sex.text,
        "id_number": id_numbers.text,
        "province_code": places.province,
        "commune_code": places.commune,
        "address": places.address,
    })

    employed = np.zeros(people.size, dtype=bool)
    employed[who[records.source == sources.SOCIAL_INSURANCE]] = True
    death = np.where(in_registry, people.death, -1)  # outsiders' sources know of no death
    builders = {"social_insurance": sources.social_insurance, "tax": sources.tax,
                "health_insurance": sources.health_insurance}
    frames: dict[str, pl.DataFrame] = {}
    for k, kind in enumerate(sources.SOURCES):
        rows = np.flatnonzero(records.source == k)
        holder = who[rows]
        own = builders[kind](sources.Holders(
            personal=ids.personal[holder], bhxh=ids.bhxh[holder], mst=ids.mst[holder],
            death=death[holder], age=age[holder], employed=employed[holder],
            province_code=np.array([int(c) for c in div.province_codes])[
                div.commune_province[people.commune[holder]]],
            knows_id=~id_numbers.missing[rows],
        ), stream(seed, f"source.{kind}"), rates)
        flags["invalid_format"][rows] |= own.invalid
        flags["deceased_active"][rows] = own.deceased_active
        frame = common[rows].with_columns(**own.columns)
        frames[kind] = frame.select(DATASETS[kind].columns)

    person_id = pl.select(
        pl.when(pl.lit(pl.Series(linked))).then(noise.zfill(ids.personal[who], 12))
        .otherwise(pl.lit(""))
    ).to_series()
    frames["truth"] = pl.DataFrame({
        "source": pl.Series(sources.SOURCES).gather(records.source),
        "record_id": common["record_id"],
        "person_id": person_id,
        "kinds": truth.kinds_column(flags),
    }).select(TRUTH_COLUMNS)
    return frames
