"""The per-record work of a run as Prefect tasks, one per partition (docs/scale.md).

A task receives paths, never frames: it reads its inputs from Parquet files in the
run's spool (`warehouse.cache.spool_file`), which every worker of a cluster must see
at the same path, and writes its result beside them. So a task sent to a Dask worker
carries a few hundred bytes, no personal data reaches Prefect (a task's parameters
and result are paths and counts), and the client reads back one partition's result at
a time. The prepared registry and its blocking keys, the same for every link
partition of a run, are read once per worker process (`linking`).

Which runner runs the tasks is the flow's choice (`flows.executors`). A task's result
depends on its inputs only and the client puts the results together in partition
order, so what a run publishes depends on neither the runner nor the partitions.
"""

import datetime as dt
import os
import resource
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from matching.changes import ROW_HASH, row_hashes
from matching.discrepancies import find_discrepancies
from matching.linker import LinkModel, index_registry, link, prepare_registry, prepare_source
from matching.reviews import GUIDANCE_STAMP
from popdq.contract import DATASETS
from warehouse.cache import (
    keep_registry_keys,
    keys_path,
    read_registry_keys,
    spool_dir,
    spool_file,
    write_frame,
    write_text,
)
from warehouse.db import is_disk_full
from warehouse.linkage import spool_explanations

J = TypeVar("J")

STAMP = ("record_id", "province", "commune", ROW_HASH, *GUIDANCE_STAMP)
"""What a stored link keeps of its record: where it is, the hash of its row, and what guided
its link."""

FIND_INPUTS = ("rows", "records", "registry_rows", "registry", "matches", "failures")
"""The frames `matching.discrepancies.find_discrepancies` reads, one file each."""


@dataclass(frozen=True)
class Done:
    """What a partition task tells the client: rows written, and which process did it with
    what peak memory (the run record keeps each worker's)."""

    rows: int
    worker: str
    peak_rss_mb: int


def _transient(task: Any, run: Any, state: Any) -> bool:
    """Retry what may pass: an I/O error other than a full disk (a shared file system's
    hiccup), never a popdq error or a bug."""
    error = getattr(state, "data", None)
    return isinstance(error, OSError) and not is_disk_full(error)


def _done(rows: int) -> Done:
    return Done(rows, f"{socket.gethostname()}:{os.getpid()}",
                round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def partition_task(run_name: str) -> Callable[[Callable[[J], Done]], Task[[J], Done]]:
    """A partition's task: named for the UI by its step and partition, retried on a
    transient I/O error, its result kept in memory only."""
    return task(task_run_name=run_name, cache_policy=NO_CACHE, persist_result=False,
                retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_transient)


@dataclass(frozen=True)
class PrepareJob:
    warehouse: Path
    run_id: int
    kind: str
    number: int


@partition_task("normalise {job.kind} {job.number}")
def prepare_partition(job: PrepareJob) -> Done:
    """Normalise one slice of a dataset's rows (contract columns) into prepared rows."""
    rows = pl.read_parquet(spool_file(job.warehouse, job.run_id, "prepare", job.kind,
                                      job.number, "rows"))
    prepared = (prepare_registry(rows) if job.kind == "registry"
                else prepare_source(job.kind, rows))
    write_frame(prepared.with_columns(row_hashes(rows, DATASETS[job.kind].columns)),
                spool_file(job.warehouse, job.run_id, "prepare", job.kind, job.number))
    return _done(prepared.height)


@dataclass(frozen=True)
class LinkJob:
    warehouse: Path
    run_id: int
    source: str
    number: int
    registry: Path
    """The kept prepared registry (`warehouse.cache.prepared_path`)."""


def model_path(warehouse: Path, run_id: int) -> Path:
    return spool_dir(warehouse, run_id) / "model.json"


@dataclass(frozen=True)
class Linking:
    model: LinkModel
    registry: pl.DataFrame
    index: dict[str, Any]


_linking_lock = threading.Lock()
_linking: dict[tuple[Path, Path], Linking] = {}


def spool_model(warehouse: Path, run_id: int, model_json: str) -> Path:
    """The run's model, where every link task reads it (owner-only: its term frequencies
    come from the registry's names)."""
    return write_text(model_json, model_path(warehouse, run_id))


def linking(model: Path, registry: Path) -> Linking:
    """The model, prepared registry and its blocking keys, once per process and run. The
    keys are kept beside the prepared registry (`warehouse.cache.keys_path`): computed by
    the first run that links against that registry version, read by the others."""
    with _linking_lock:
        if (model, registry) not in _linking:
            _linking.clear()
            linkage = LinkModel.from_json(model.read_text(encoding="utf-8"))
            held = pl.read_parquet(registry)
            keys = keys_path(registry, linkage.profile)
            index = read_registry_keys(keys)
            if index is None:
                index = index_registry(linkage, held)
                keep_registry_keys(keys, index)
            _linking[model, registry] = Linking(linkage, held, index)
        return _linking[model, registry]


def forget_linking() -> None:
    """Free what linking held in this process once the run's links are made."""
    with _linking_lock:
        _linking.clear()


@partition_task("link {job.source} {job.number}")
def link_partition(job: LinkJob) -> Done:
    """Link one partition's prepared records against the whole prepared registry: its
    decisions (stamped with what the stored links keep of each record, `STAMP`) and their
    explanations go to the spool."""
    held = linking(model_path(job.warehouse, job.run_id), job.registry)
    records = pl.read_parquet(spool_file(job.warehouse, job.run_id, "link", job.source,
                                         job.number, "records"))
    records = records.with_columns(pl.lit(None, dtype=dtype).alias(column)  # nothing guided
                                   for column, dtype in GUIDANCE_STAMP.items()
                                   if column not in records.columns)
    links = link(held.model, held.registry, records, source=job.source, index=held.index)
    write_frame(links.matches.join(records.select(STAMP), on="record_id", how="left"),
                spool_file(job.warehouse, job.run_id, "link", job.source, job.number,
                           "matches"))
    spool_explanations(job.warehouse, job.run_id, job.source, job.number, links.explanations)
    return _done(links.matches.height)


@dataclass(frozen=True)
class FindJob:
    warehouse: Path
    run_id: int
    source: str
    number: int
    as_of: dt.date


@partition_task("discrepancies {job.source} {job.number}")
def find_partition(job: FindJob) -> Done:
    """The findings of one partition's records (with every record linked to the same
    persons), from the inputs the client spooled (`FIND_INPUTS`)."""
    inputs = {name: pl.read_parquet(spool_file(job.warehouse, job.run_id, "find", job.source,
                                               job.number, name)) for name in FIND_INPUTS}
    findings = find_discrepancies(job.source, as_of=job.as_of, **inputs)
    write_frame(findings, spool_file(job.warehouse, job.run_id, "find", job.source, job.number))
    return _done(findings.height)
