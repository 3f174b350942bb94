"""The nightly flow: one task per step, one run record in the warehouse.

Steps compute in memory and a last step publishes the run's results (model,
links, findings, queue) in one transaction: a run that fails leaves the
previous good state intact. Frames pass between tasks in process only
(no result persistence, no caching), so no personal data reaches Prefect's
storage, parameters or logs.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from matching.discrepancies import find_discrepancies as find_findings
from matching.linker import (
    LinkModel,
    Links,
    check_model,
    link,
    prepare_registry,
    prepare_source,
    train,
)
from popdq.contract import DATASETS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality, parse_locality
from report import report_path
from report import write_report as render_report
from warehouse.datasets import dataset_versions, read_dataset
from warehouse.db import open_warehouse, transaction
from warehouse.findings import replace_findings
from warehouse.linkage import latest_model, replace_links, save_model
from warehouse.queue import SyncSummary, sync_queue
from warehouse.runs import finish_run, start_run
from warehouse.validation import save_validation, validation_failures

T = TypeVar("T")
step = task(cache_policy=NO_CACHE, persist_result=False)


@dataclass(frozen=True)
class Outcome:
    run_id: int
    queue: SyncSummary
    report: Path


@dataclass(frozen=True)
class Prepared:
    """The datasets as loaded and as the linkage engine prepares them."""

    registry_rows: pl.DataFrame
    registry: pl.DataFrame
    rows: dict[str, pl.DataFrame]
    records: dict[str, pl.DataFrame]


@step
def open_run(warehouse: Path, as_of: dt.date, locality: str | None, source: str | None) -> int:
    with open_warehouse(warehouse) as con:
        return start_run(con, as_of=as_of, locality=locality, source=source)


@step
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


@step
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


@step
def normalise(warehouse: Path, sources: list[str], locality: Locality | None) -> Prepared:
    """Prepare the registry (always whole) and the sources (one locality's records, or all)."""
    with open_warehouse(warehouse) as con:
        loaded = {kind: read_dataset(con, kind).select(DATASETS[kind].columns)
                  for kind in ("registry", *sources)}
    records = {kind: prepare_source(kind, loaded[kind]) for kind in sources}
    if locality is not None:
        records = {kind: frame.filter(pl.col(locality.level) == locality.code)
                   for kind, frame in records.items()}
    rows = {kind: loaded[kind].join(records[kind].select("record_id"), on="record_id")
            for kind in sources}
    return Prepared(loaded["registry"], prepare_registry(loaded["registry"]), rows, records)


@step
def train_model(prepared: Prepared) -> str:
    """A full run estimates the model afresh from all of tonight's data."""
    return train(prepared.registry, prepared.records, seed=0).to_json()


@step
def reuse_model(warehouse: Path, sources: list[str]) -> str:
    """A partial run (one locality or one source) uses the last full run's model, so its
    rows equal the rows a full run gives for the same records."""
    with open_warehouse(warehouse) as con:
        run_id, model_json = latest_model(con)
    model = LinkModel.from_json(model_json)
    try:
        check_model(model)
    except ValueError as exc:
        raise PopdqError(f"{exc} (full run {run_id}): run `popdq run` without --locality"
                         " or --source first") from None
    trained_on = {p.source for p in model.sources}
    missing = [kind for kind in sources if kind not in trained_on]
    if missing:
        raise PopdqError(f"the model of full run {run_id} has no {missing[0]}: "
                         "run `popdq run` without --locality or --source first")
    return model_json


@step
def link_records(model_json: str, prepared: Prepared) -> dict[str, Links]:
    model = LinkModel.from_json(model_json)
    return {kind: link(model, prepared.registry, records, source=kind)
            for kind, records in prepared.records.items()}


@step
def find_discrepancies(warehouse: Path, run_id: int, prepared: Prepared,
                       links: dict[str, Links], as_of: dt.date) -> dict[str, pl.DataFrame]:
    with open_warehouse(warehouse) as con:
        failures = validation_failures(con, run_id)
    return {
        kind: find_findings(kind, rows=prepared.rows[kind], records=prepared.records[kind],
                   registry_rows=prepared.registry_rows, registry=prepared.registry,
                   matches=links[kind].matches,
                   failures=failures.filter(pl.col("dataset") == kind).drop("dataset"),
                   as_of=as_of)
        for kind in prepared.records
    }


@step
def publish(warehouse: Path, run_id: int, model_json: str | None, prepared: Prepared,
            links: dict[str, Links], findings: dict[str, pl.DataFrame],
            locality: Locality | None) -> SyncSummary:
    """Model, links, findings and queue of this run, all or nothing."""
    with open_warehouse(warehouse) as con, transaction(con):
        if model_json is not None:
            save_model(con, run_id, model_json)
        for kind, found in links.items():
            places = prepared.records[kind].select("record_id", "province", "commune")
            replace_links(con, run_id=run_id, source=kind,
                          matches=found.matches.join(places, on="record_id", how="left"),
                          explanations=found.explanations, locality=locality)
            replace_findings(con, run_id=run_id, source=kind, findings=findings[kind],
                             locality=locality)
        everything = pl.concat(list(findings.values()))
        return sync_queue(con, run_id=run_id, findings=everything, sources=list(findings),
                          locality=locality)


@step
def write_report(warehouse: Path, run_id: int) -> Path:
    """The reviewers' report of this run, beside the warehouse."""
    with open_warehouse(warehouse) as con:
        return render_report(con, report_path(warehouse, run_id))


@step
def close_run(warehouse: Path, run_id: int, status: str, timings: dict[str, float],
              message: str | None) -> None:
    with open_warehouse(warehouse) as con:
        finish_run(con, run_id, status=status, timings=timings, message=message)


@flow(name="popdq-nightly")
def nightly(
    warehouse: Path,
    as_of: dt.date | None = None,
    locality: str | None = None,
    source: str | None = None,
) -> "Outcome":
    """Validate, normalise, match, find discrepancies, update the queue, write the report.

    `as_of` defaults to the day the run starts (a scheduled run passes none).
    """
    as_of = as_of or dt.date.today()
    place = parse_locality(locality) if locality is not None else None
    run_id = open_run(warehouse, as_of, locality, source)
    timings: dict[str, float] = {}
    try:
        sources = _timed(timings, "check_datasets", lambda: check_datasets(warehouse, source))
        _timed(timings, "validate", lambda: validate(warehouse, run_id, ["registry", *sources]))
        prepared = _timed(timings, "normalise", lambda: normalise(warehouse, sources, place))
        full = place is None and source is None
        model_json = _timed(timings, "model", lambda: (
            train_model(prepared) if full else reuse_model(warehouse, sources)))
        links = _timed(timings, "match", lambda: link_records(model_json, prepared))
        findings = _timed(timings, "discrepancies", lambda: find_discrepancies(
            warehouse, run_id, prepared, links, as_of))
        summary = _timed(timings, "publish", lambda: publish(
            warehouse, run_id, model_json if full else None, prepared, links, findings, place))
    except Exception as exc:
        close_run(warehouse, run_id, "failed", timings, str(exc).splitlines()[0])
        raise
    close_run(warehouse, run_id, "succeeded", timings, None)
    report = _timed(timings, "report", lambda: write_report(warehouse, run_id))
    return Outcome(run_id, summary, report)


def _timed(timings: dict[str, float], name: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return call()
    finally:
        timings[name] = time.perf_counter() - started
