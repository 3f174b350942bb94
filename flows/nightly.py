"""The nightly flow: one task per step, one run record in the warehouse.

Tasks pass only small values (paths, ids, counts) between them; each opens the
warehouse itself, so no personal data travels through Prefect's parameters,
logs or result storage.
"""

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from matching.localities import parse_locality
from popdq.errors import PopdqError
from warehouse.contract import SOURCE_KINDS
from warehouse.datasets import dataset_versions, read_dataset
from warehouse.db import open_warehouse
from warehouse.runs import finish_run, start_run
from warehouse.validation import save_validation

T = TypeVar("T")


@task(cache_policy=NO_CACHE)
def open_run(warehouse: Path, as_of: dt.date, locality: str | None, source: str | None) -> int:
    with open_warehouse(warehouse) as con:
        return start_run(con, as_of=as_of, locality=locality, source=source)


@task(cache_policy=NO_CACHE)
def check_datasets(warehouse: Path, source: str | None) -> list[str]:
    """The sources this run covers; fails when the registry or those sources are not loaded."""
    if source is not None and source not in SOURCE_KINDS:
        raise PopdqError(f"unknown source {source!r} (expected one of: {', '.join(SOURCE_KINDS)})")
    with open_warehouse(warehouse) as con:
        versions = dataset_versions(con)
    if versions["registry"] is None:
        raise PopdqError("the registry is not loaded: run `popdq load registry FILE` first")
    wanted = [source] if source else list(SOURCE_KINDS)
    loaded = [kind for kind in wanted if versions[kind] is not None]
    if source and not loaded:
        raise PopdqError(f"{source} is not loaded: run `popdq load {source} FILE` first")
    if not loaded:
        raise PopdqError("no source is loaded: run `popdq load KIND FILE` first")
    return loaded


@task(cache_policy=NO_CACHE)
def validate(warehouse: Path, run_id: int, kinds: list[str]) -> dict[str, int]:
    """Run each dataset's suite and store the outcome; returns failing rows per dataset."""
    from expectations import validate_dataset  # Great Expectations is slow to import

    failing: dict[str, int] = {}
    with open_warehouse(warehouse) as con:
        versions = dataset_versions(con)
        for kind in kinds:
            outcome = validate_dataset(kind, read_dataset(con, kind))
            load_id = versions[kind]
            assert load_id is not None  # check_datasets made sure
            save_validation(con, run_id=run_id, dataset=kind, load_id=load_id,
                            results=outcome.results, failures=outcome.failures)
            failing[kind] = outcome.failures["record_key"].n_unique()
    return failing


@task(cache_policy=NO_CACHE)
def close_run(warehouse: Path, run_id: int, status: str, timings: dict[str, float],
              message: str | None) -> None:
    with open_warehouse(warehouse) as con:
        finish_run(con, run_id, status=status, timings=timings, message=message)


@flow(name="popdq-nightly", validate_parameters=False)
def nightly(
    warehouse: Path,
    as_of: dt.date,
    locality: str | None = None,
    source: str | None = None,
) -> int:
    """Validate, normalise, match and report; returns the run id."""
    if locality is not None:
        try:
            parse_locality(locality)
        except ValueError as exc:
            raise PopdqError(str(exc)) from None
    run_id = open_run(warehouse, as_of, locality, source)
    timings: dict[str, float] = {}
    try:
        sources = _timed(timings, "check_datasets", lambda: check_datasets(warehouse, source))
        _timed(timings, "validate", lambda: validate(warehouse, run_id, ["registry", *sources]))
    except Exception as exc:
        close_run(warehouse, run_id, "failed", timings, str(exc).splitlines()[0])
        raise
    close_run(warehouse, run_id, "succeeded", timings, None)
    return run_id


def _timed(timings: dict[str, float], step: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return call()
    finally:
        timings[step] = time.perf_counter() - started
