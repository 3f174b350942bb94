"""The nightly flow: one task per step, one run record in the warehouse.

A run redoes only what can have changed (docs/scale.md):

- validation and preparation are kept per dataset version (`warehouse.validation`,
  `warehouse.cache`): an unchanged dataset is neither validated nor prepared again;
- records are linked again when their row changed, when a registry person they
  share a blocking key with changed, or when the model changed
  (`matching.changes`); their findings, and those of records linked to the same
  person, are found again;
- a locality or single-source run relinks that scope's records with the current
  model; `full=True` ignores every kept result and relinks every record.

Whatever it redid, a run publishes exactly what a full run would (tested). Steps
compute in memory and a last step publishes the run's results (model, links,
findings, queue) in one transaction: a run that fails leaves the previous good
state intact. Frames pass between tasks in process only (no result persistence,
no caching), so no personal data reaches Prefect's storage, parameters or logs.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import polars as pl
from duckdb import DuckDBPyConnection
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.exceptions import MissingContextError

from flows.artifacts import FINDINGS_KEY, SUMMARY_KEY, summary_markdown
from flows.clock import Clock
from flows.executors import task_runner
from flows.partitioned import (
    STAMP,
    Done,
    FindJob,
    LinkJob,
    PrepareJob,
    find_partition,
    forget_linking,
    link_partition,
    prepare_partition,
    spool_model,
)
from flows.partitioning import partition_rows
from matching.blocking import BlockingRule
from matching.changes import (
    ROW_HASH,
    duplicate_neighbours,
    linked_to,
    links_after,
    records_to_relink,
)
from matching.decisions import DECIDED, MATCHES_SCHEMA
from matching.discrepancies import FINDINGS_SCHEMA
from matching.evidence import ANCHOR_COLUMNS, SHARED_PERSON, shared_numbers, with_shared_persons
from matching.linker import LinkModel, check_model, train
from matching.partitions import by_person, by_province, count_partitions
from matching.profiles import vietnamese_profile
from matching.reviews import GUIDANCE_STAMP, guidance, guidance_changed, with_guidance
from popdq.contract import DATASETS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality, parse_locality
from report import report_path
from report import write_report as render_report
from warehouse.cache import (
    code_version,
    keep_prepared_parts,
    prepared_path,
    prune_prepared,
    read_prepared,
    spool_file,
    write_frame,
)
from warehouse.datasets import existing_keys, read_dataset, read_partition, read_slices
from warehouse.db import failure_reason, hold_warehouse, open_warehouse, transaction
from warehouse.findings import replace_findings
from warehouse.linkage import (
    latest_model,
    linked_registries,
    read_link_state,
    replace_links,
    save_model,
)
from warehouse.lock import Hold
from warehouse.queue import SyncSummary, sync_queue
from warehouse.reporting import decisions as linkage_by_source
from warehouse.reporting import findings_by_criterion_source_province
from warehouse.reviews import holding_decisions
from warehouse.runs import Version, current_versions, finish_run, mark_step, note_step, start_run
from warehouse.summaries import summarise_run
from warehouse.validation import is_validated, save_validation, validation_failures

P = ParamSpec("P")
R = TypeVar("R")


def step(function: Callable[P, R]) -> Task[P, R]:
    """A step of the flow: a task run named as the step (its partitions' tasks are named
    with their partition, flows.partitioned), its result kept in memory only."""
    return task(task_run_name=function.__name__, cache_policy=NO_CACHE,
                persist_result=False)(function)



def progress(message: str) -> None:
    """Tell the Prefect UI how the run goes: counts and timings only, never a value from
    the data (a step called outside a flow run, as in unit tests, tells no one)."""
    try:
        logger = get_run_logger()
    except MissingContextError:
        return
    logger.info(message)

RETRAIN_ADVISED_SHARE = 0.10
"""Retraining is advised once the registry's size moved this far from the model's."""


@dataclass(frozen=True)
class Outcome:
    run_id: int
    queue: SyncSummary
    report: Path
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """The registry and the sources in scope, as the linkage engine prepares them (each
    frame with the `row_hash` of its contract row), kept on disk per dataset version
    (`warehouse.cache`): a step reads what it needs when it needs it, so no dataset is held
    whole from one step to the next."""

    warehouse: Path
    versions: dict[str, Version]
    sources: tuple[str, ...]
    locality: Locality | None
    done: tuple[Done, ...] = ()

    def read(self, kind: str, columns: Sequence[str] | None = None, *,
             everywhere: bool = False) -> pl.DataFrame:
        """A prepared dataset in its kept order: the registry whole, a source's records in
        scope (every locality's with `everywhere`); only `columns` if given."""
        frame = read_prepared(self.warehouse, kind, self.versions[kind].sha256,
                              None if everywhere else self._where(kind), columns)
        assert frame is not None  # kept by `prepare`, pruned only by a publish
        return frame

    def rows(self, kind: str) -> int:
        """Rows in scope: the registry's, a source's records in scope."""
        scan = pl.scan_parquet(self.path(kind))
        where = self._where(kind)
        return int((scan if where is None else scan.filter(where)).select(pl.len())
                   .collect().item())

    def path(self, kind: str) -> Path:
        return prepared_path(self.warehouse, kind, self.versions[kind].sha256)

    @property
    def loaded(self) -> tuple[str, ...]:
        """Every loaded source, in scope or not: evidence across sources reads them all."""
        return tuple(kind for kind in SOURCE_KINDS if kind in self.versions)

    def registry_bytes(self) -> int:
        """What the prepared registry takes in memory once read: about twice its file."""
        return 2 * self.path("registry").stat().st_size

    def _where(self, kind: str) -> pl.Expr | None:
        return (None if kind == "registry" or self.locality is None
                else pl.col(self.locality.level) == self.locality.code)


@dataclass(frozen=True)
class Model:
    json: str
    run_id: int | None
    """The full run that trained it; None for a model trained by this run."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Work:
    """What a run redoes for one source."""

    relink: pl.Series
    """record_id of the records to link again."""
    removed: pl.Series
    """record_id of stored records gone from the extract."""
    before: pl.DataFrame
    """The stored links of the records in scope (read_link_state)."""
    guidance: pl.DataFrame
    """What guides the links of the records in scope that have any: the person their BHXH
    number points to, reviewers' decisions (`matching.reviews.with_guidance`)."""

    @property
    def replaced(self) -> pl.Series:
        """The records whose stored links this run replaces: linked again, or gone."""
        return pl.concat([self.relink, self.removed])


@step
def open_run(warehouse: Path, as_of: dt.date, locality: str | None, source: str | None,
             mode: str) -> int:
    with open_warehouse(warehouse) as con:
        return start_run(con, as_of=as_of, locality=locality, source=source, mode=mode)


@step
def check_datasets(warehouse: Path, source: str | None) -> list[str]:
    """The sources this run covers; fails when the registry or those sources are not loaded."""
    if source is not None and source not in SOURCE_KINDS:
        raise PopdqError(f"unknown source {source!r} (expected one of: {', '.join(SOURCE_KINDS)})")
    with open_warehouse(warehouse) as con:
        versions = current_versions(con)
    if "registry" not in versions:
        raise PopdqError("the registry is not loaded: run `popdq load registry FILE` first")
    wanted = [source] if source else list(SOURCE_KINDS)
    loaded = [kind for kind in wanted if kind in versions]
    if source and not loaded:
        raise PopdqError(f"{source} is not loaded: run `popdq load {source} FILE` first")
    if not loaded:
        raise PopdqError("no source is loaded: run `popdq load KIND FILE` first")
    return loaded


@step
def validate(warehouse: Path, run_id: int, kinds: list[str], full: bool) -> list[str]:
    """Validate each dataset version not validated yet (all of them with `full`); returns
    the datasets it validated."""
    done = []
    with open_warehouse(warehouse) as con:
        versions = current_versions(con)
        for kind in kinds:
            version = versions[kind]
            if not full and is_validated(con, dataset=kind, sha256=version.sha256,
                                         code_version=code_version()):
                continue
            from expectations import (  # Great Expectations is slow to import
                combine_validations,
                validate_dataset,
            )

            parts = count_partitions(version.rows, partition_rows("validate"))
            outcome = combine_validations(kind, [
                validate_dataset(kind, read_partition(con, kind, part, parts))
                for part in range(parts)])
            save_validation(con, run_id=run_id, dataset=kind, load_id=version.load_id,
                            sha256=version.sha256, code_version=code_version(),
                            results=outcome.results, failures=outcome.failures)
            progress(f"validated {kind}: {version.rows:,} rows in {parts} partition(s),"
                     f" {outcome.failures.height:,} failing checks")
            done.append(kind)
    return done


def prepare(warehouse: Path, run_id: int, sources: list[str], locality: Locality | None,
            full: bool) -> Prepared:
    """The prepared registry (always whole) and sources (one locality's records, or all):
    read as kept for their version, or prepared now, partition by partition, and kept.
    Every loaded source is prepared, in scope or not: evidence across sources reads them.
    Not a task itself, nor are the other steps with partitions: a task's context, its
    parameters included, travels with every task submitted inside it."""
    with open_warehouse(warehouse) as con:
        versions = current_versions(con)
    done: list[Done] = []
    for kind in ("registry", *(kind for kind in SOURCE_KINDS if kind in versions)):
        _prepare(warehouse, run_id, kind, versions[kind], full, done)
    return Prepared(warehouse, versions, tuple(sources), locality, tuple(done))


def _prepare(warehouse: Path, run_id: int, kind: str, version: Version, full: bool,
             done: list[Done]) -> None:
    if not full and prepared_path(warehouse, kind, version.sha256).is_file():
        progress(f"{kind}: prepared as kept for its version")
        return

    def jobs() -> Iterator[PrepareJob]:
        with open_warehouse(warehouse) as con:
            for number, rows in enumerate(read_slices(con, kind, partition_rows("prepare"),
                                                      at_least_one=True)):
                write_frame(rows, spool_file(warehouse, run_id, "prepare", kind, number, "rows"))
                yield PrepareJob(warehouse, run_id, kind, number)

    parts = run_partitions(prepare_partition, jobs())
    keep_prepared_parts(warehouse, kind, version.sha256, [
        spool_file(warehouse, run_id, "prepare", kind, number) for number in range(len(parts))])
    done += parts
    progress(f"{kind}: {sum(p.rows for p in parts):,} rows prepared in {len(parts)}"
             " partition(s) and kept")


def workers_peak_rss(done: Iterable[Done]) -> dict[str, float]:
    """The peak memory (MB) of each process that worked on partitions, this one included."""
    peaks: dict[str, float] = {}
    for part in done:
        peaks[part.worker] = max(peaks.get(part.worker, 0), part.peak_rss_mb)
    return dict(sorted(peaks.items()))


def run_partitions(work: Task[[Any], Done], jobs: Iterable[Any]) -> list[Done]:
    """Submit each job to the flow's task runner as it comes, and wait for them all: the
    results in the jobs' order, whatever order they finished in. Outside a flow run (a step
    called as a plain function), the jobs run one after another here."""
    if FlowRunContext.get() is None:
        return [work.fn(job) for job in jobs]
    futures = [work.submit(job) for job in jobs]
    return [future.result() for future in futures]


@step
def choose_model(warehouse: Path, prepared: Prepared, numbers: pl.DataFrame, *, partial: bool,
                 retrain: bool) -> Model:
    """The current model, or a new one: with `retrain`, when there is none, or when it does
    not cover a loaded source. A partial run (one locality or source) never trains."""
    with open_warehouse(warehouse) as con:
        stored = latest_model(con)
    if stored is None or retrain:
        if partial:
            raise PopdqError("no full run yet: run `popdq run` without --locality or --source"
                             " first")
        return Model(_train(prepared, numbers), None)
    run_id, model_json = stored
    model = LinkModel.from_json(model_json)
    try:
        check_model(model)
    except ValueError as exc:
        raise PopdqError(f"{exc} (full run {run_id}): run `popdq run --retrain` first") from None
    missing = [kind for kind in prepared.sources
               if kind not in {p.source for p in model.sources} and prepared.rows(kind)]
    if missing:
        if partial:
            raise PopdqError(f"the model of full run {run_id} has no {missing[0]}: "
                             "run `popdq run --retrain` first")
        return Model(_train(prepared, numbers), None,
                     (f"the model of run {run_id} had no {missing[0]}: trained a new one",))
    persons = prepared.rows("registry")
    moved = abs(persons - model.left_rows) / max(model.left_rows, 1)
    advice = ((f"the registry has {persons:,} persons, the model was trained"
               f" on {model.left_rows:,}: retraining (popdq run --retrain) is advisable",)
              if moved > RETRAIN_ADVISED_SHARE else ())
    return Model(model_json, run_id, advice)


def _train(prepared: Prepared, numbers: pl.DataFrame) -> str:
    return train(prepared.read("registry"), {
        kind: with_shared_persons(prepared.read(kind), numbers) for kind in prepared.sources
    }, seed=0).to_json()


@step
def gather_evidence(prepared: Prepared) -> pl.DataFrame:
    """BHXH numbers and the registry person each points to (`matching.evidence`), from every
    record of every loaded source: a locality's records may share numbers with any other."""
    numbers = shared_numbers(
        prepared.read("registry", ["person_id", "name_key", "dob_year"]),
        (prepared.read(kind, ANCHOR_COLUMNS, everywhere=True) for kind in prepared.loaded))
    progress(f"evidence across sources: {numbers.height:,} BHXH numbers point to one person")
    return numbers


@step
def plan_work(warehouse: Path, prepared: Prepared, model: Model, numbers: pl.DataFrame, *,
              locality: Locality | None, everything: bool) -> dict[str, Work]:
    """Per source, the records to link again, the stored records that are gone, and what
    guides the links (evidence across sources, reviewers' decisions): a record whose
    guidance changed is linked again too."""
    # a record links to the persons it shares a blocking key with, and to its reviewer's choice
    rules = (*vietnamese_profile().blocking, BlockingRule("decided", ("id_personal", DECIDED)))
    registry_sha = prepared.versions["registry"].sha256
    plans = {}
    with open_warehouse(warehouse) as con:
        for kind in prepared.sources:
            before = read_link_state(con, kind, locality)
            old_shas = before.get_column("registry_sha256").drop_nulls().unique()
            old_shas = old_shas.filter(old_shas != registry_sha)
            # the blocking keys only if a registry person may have changed since a link
            records = prepared.read(kind, None if old_shas.len() else [
                "record_id", ROW_HASH, "id_bhxh", "id_personal", "id_code"])
            guided = with_guidance(
                with_shared_persons(records.select("record_id", "id_bhxh", "id_personal",
                                                   "id_code"), numbers),
                guidance(holding_decisions(con, kind))).drop("id_bhxh", "id_personal",
                                                              "id_code")
            current = records.get_column("record_id")
            removed = before.get_column("record_id").filter(
                ~before.get_column("record_id").is_in(current.implode()))
            if locality is not None:  # a record that moved out of the locality is not gone
                removed = removed.filter(~removed.is_in(existing_keys(con, kind, removed)
                                                        .implode()))
            if everything or model.run_id is None:
                relink = current.sort()
            else:
                relink = records_to_relink(
                    records.join(guided.select("record_id", SHARED_PERSON, DECIDED),
                                 on="record_id", how="left", maintain_order="left"),
                    before, model_run_id=model.run_id, registry_sha=registry_sha,
                    registry=prepared.read("registry") if old_shas.len() else None,
                    rules=rules, old_registries={sha: read_prepared(warehouse, "registry", sha)
                                                 for sha in old_shas})
                relink = pl.concat([relink, guidance_changed(guided, before)]).unique().sort()
            plans[kind] = Work(relink, removed.sort(), before, guided.filter(
                pl.any_horizontal(pl.col(c).is_not_null() for c in guided.columns[1:])))
            progress(f"{kind}: {relink.len():,} of {current.len():,} records to link,"
                     f" {removed.len():,} gone from the extract")
    return plans


@dataclass(frozen=True)
class Linked:
    """One source's new links: decisions in memory, explanations spooled to disk."""

    matches: pl.DataFrame
    """The decisions, each with its record's province, commune and row hash (`STAMP`)."""
    explanations: tuple[Path, ...]
    done: tuple[Done, ...] = ()


def link_records(warehouse: Path, run_id: int, model: Model, prepared: Prepared,
                 work: dict[str, Work]) -> dict[str, Linked]:
    """Link the records each source's work names, with the model, one task per partition
    (`matching.partitions`), each against the whole prepared registry."""
    registry = prepared.path("registry")
    spool_model(warehouse, run_id, model.json)
    linked = {}
    try:
        for kind in prepared.sources:
            due = work[kind].relink
            records = (prepared.read(kind).join(work[kind].guidance, on="record_id", how="left",
                                                maintain_order="left")
                       if due.len() else pl.DataFrame())  # nothing due: no task
            # the linking tasks of this process hold the registry
            held = prepared.registry_bytes() + int(records.estimated_size())
            parts = count_partitions(due.len(), partition_rows("link", held))
            groups = by_province(records.select("record_id", "province").filter(
                pl.col("record_id").is_in(due.implode())), parts) if due.len() else []

            def jobs(kind: str = kind, records: pl.DataFrame = records,
                     groups: list[pl.Series] = groups) -> Iterator[LinkJob]:
                for number, ids in enumerate(groups):
                    write_frame(records.filter(pl.col("record_id").is_in(ids.implode())),
                                spool_file(warehouse, run_id, "link", kind, number, "records"))
                    yield LinkJob(warehouse, run_id, kind, number, registry)

            done = run_partitions(link_partition, jobs())
            del records
            matches = pl.concat([
                pl.DataFrame(schema=MATCHES_SCHEMA).join(_stamp_schema(prepared, kind),
                                                         on="record_id", how="left"),
                *(pl.read_parquet(spool_file(warehouse, run_id, "link", kind, number,
                                             "matches")) for number in range(len(done)))])
            linked[kind] = Linked(matches.sort("record_id"), tuple(
                spool_file(warehouse, run_id, "explanations", kind, number)
                for number in range(len(done))), tuple(done))
            progress(f"{kind}: {due.len():,} records linked in {len(done)} partition(s)")
    finally:
        forget_linking()
    return linked


def _stamp_schema(prepared: Prepared, kind: str) -> pl.DataFrame:
    """An empty frame of the `STAMP` columns as a source's prepared file and its guidance
    hold them."""
    schema = {**pl.read_parquet_schema(prepared.path(kind)), **GUIDANCE_STAMP}
    return pl.DataFrame(schema=schema).select(STAMP)


@dataclass(frozen=True)
class Found:
    """A source's findings, and the records they are all the findings of."""

    findings: pl.DataFrame
    records: pl.Series
    done: tuple[Done, ...] = ()


def find_discrepancies(warehouse: Path, run_id: int, prepared: Prepared, work: dict[str, Work],
                       links: dict[str, Linked], as_of: dt.date) -> dict[str, Found]:
    """Findings of every record whose findings can have changed: those linked again or gone,
    the records linked to the same persons, and records whose activity is a date. One task
    per partition of linked persons (`matching.partitions.by_person`)."""
    found = {}
    with open_warehouse(warehouse) as con:
        deceased = read_dataset(con, "registry", columns=["person_id", "status"]).filter(
            pl.col("status") == "deceased").get_column("person_id")
    registry = functools.cache(functools.partial(prepared.read, "registry"))  # once, if needed
    for kind in prepared.sources:
        plan, version = work[kind], prepared.versions[kind]
        now = links_after(plan.before, links[kind].matches, plan.replaced)
        touched = [plan.replaced]
        if DATASETS[kind].active.value is None:  # active until a date: the run date counts
            touched.append(linked_to(now, deceased))
        redo = duplicate_neighbours(plan.before, now, pl.concat(touched).unique())
        current = prepared.read(kind, ["record_id"]).get_column("record_id")
        redo = redo.filter(redo.is_in(current.implode()))
        records = prepared.read(kind) if redo.len() else pl.DataFrame()  # nothing: no task
        held = int(records.estimated_size()) + prepared.registry_bytes()
        parts = (count_partitions(redo.len(), partition_rows("discrepancies", held))
                 if redo.len() else 0)
        scope = now.filter(pl.col("record_id").is_in(redo.implode()))

        def jobs(kind: str = kind, records: pl.DataFrame = records, scope: pl.DataFrame = scope,
                 sha256: str = version.sha256, parts: int = parts) -> Iterator[FindJob]:
            with open_warehouse(warehouse) as con:
                failures = validation_failures(con, kind, sha256, code_version())
                for number, ids in enumerate(by_person(scope, parts)):
                    inputs = _find_inputs(con, kind, records, registry(), scope.filter(
                        pl.col("record_id").is_in(ids.implode())), failures)
                    for name, frame in inputs.items():
                        write_frame(frame, spool_file(warehouse, run_id, "find", kind, number,
                                                      name))
                    yield FindJob(warehouse, run_id, kind, number, as_of)

        done = run_partitions(find_partition, jobs())
        del records
        findings = pl.concat([pl.DataFrame(schema=FINDINGS_SCHEMA), *(
            pl.read_parquet(spool_file(warehouse, run_id, "find", kind, number))
            for number in range(parts))])
        found[kind] = Found(findings.sort("record_id", "kind", "field"),
                            pl.concat([redo, plan.removed]), tuple(done))
        progress(f"{kind}: {findings.height:,} findings of {redo.len():,}"
                 f" records in {parts} partition(s)")
    return found


def _find_inputs(con: DuckDBPyConnection, kind: str, records: pl.DataFrame,
                 registry: pl.DataFrame, matches: pl.DataFrame, failures: pl.DataFrame
                 ) -> dict[str, pl.DataFrame]:
    """What the findings of the records of `matches` (with every record linked to the same
    persons) are found from (`flows.partitioned.FIND_INPUTS`): their rows and their
    persons' rows only."""
    ids = matches.get_column("record_id")
    persons = matches.get_column("person_id").drop_nulls().unique()
    return {
        "rows": read_dataset(con, kind, keys=ids, columns=DATASETS[kind].columns),
        "records": records.filter(pl.col("record_id").is_in(ids.implode())),
        "registry_rows": read_dataset(con, "registry", keys=persons,
                                      columns=DATASETS["registry"].columns),
        "registry": registry.filter(pl.col("person_id").is_in(persons.implode())),
        "matches": matches,
        "failures": failures.filter(pl.col("record_key").is_in(ids.implode())),
    }


@step
def publish(warehouse: Path, run_id: int, model: Model, versions: dict[str, Version],
            work: dict[str, Work], links: dict[str, Linked], found: dict[str, Found],
            locality: Locality | None) -> SyncSummary:
    """Model, links, findings and queue of this run, all or nothing (and the run record
    says it published, in the same transaction); then the kept prepared files no run needs
    any more are removed."""
    with open_warehouse(warehouse) as con:
        with transaction(con):
            summary = _publish(con, run_id, model, versions["registry"].sha256, work, links,
                               found, locality)
        registries = linked_registries(con)
    keep = {(kind, version.sha256) for kind, version in versions.items()}
    prune_prepared(warehouse, keep | {("registry", sha) for sha in registries})
    progress(f"published; queue: {summary}")
    return summary


def _publish(con: DuckDBPyConnection, run_id: int, model: Model, registry_sha: str,
             work: dict[str, Work], links: dict[str, Linked], found: dict[str, Found],
             locality: Locality | None) -> SyncSummary:
    """publish's writes, inside its transaction."""
    model_run_id = model.run_id if model.run_id is not None else run_id
    note_step(con, run_id)  # `published`, if this commits
    if model.run_id is None:
        save_model(con, run_id, model.json)
    for kind, linked in links.items():
        replace_links(con, run_id=run_id, source=kind,
                      records=work[kind].replaced,
                      matches=linked.matches.with_columns(
                          pl.lit(registry_sha).alias("registry_sha256"),
                          pl.lit(model_run_id).alias("model_run_id")),
                      explanations=linked.explanations)
        replace_findings(con, run_id=run_id, source=kind, findings=found[kind].findings,
                         records=found[kind].records)
    summary = sync_queue(con, run_id=run_id, sources=list(links), locality=locality)
    summarise_run(con, run_id)
    return summary


@step
def write_report(warehouse: Path, run_id: int) -> Path:
    """The reviewers' report of this run, beside the warehouse."""
    with open_warehouse(warehouse) as con:
        return render_report(con, report_path(warehouse, run_id))


def after_success(run_id: int, what: str, folder: Path, call: Callable[[], R]) -> R:
    """What a run does once it is recorded as succeeded (its results are published): a
    failure there says so, and that the run did not fail."""
    try:
        return call()
    except Exception as exc:
        raise PopdqError(f"run {run_id} succeeded, but {what} could not be written: "
                         f"{failure_reason(exc, folder)}") from exc


@step
def publish_artifacts(warehouse: Path, run_id: int, mode: str, as_of: dt.date,
                      locality: Locality | None, queue: SyncSummary, clock: Clock,
                      report: Path) -> None:
    """The run's summary and its findings per criterion × source × province, as Prefect
    artifacts (counts only: flows/artifacts.py)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    with open_warehouse(warehouse) as con:
        decisions = linkage_by_source(con, locality)
        findings = findings_by_criterion_source_province(con)
    create_markdown_artifact(
        summary_markdown(run_id, mode, as_of.isoformat(), decisions, findings, queue,
                         clock.wall, report),
        key=SUMMARY_KEY, description=f"popdq run {run_id}")
    create_table_artifact(findings.to_dicts(), key=FINDINGS_KEY,
                          description=f"Findings per criterion, source and province (run {run_id})")


@step
def close_run(warehouse: Path, run_id: int, status: str, clock: Clock, message: str | None,
              model_run_id: int | None = None,
              counts: dict[str, dict[str, int]] | None = None) -> None:
    with open_warehouse(warehouse) as con:
        finish_run(con, run_id, status=status, timings=clock.wall, message=message,
                   model_run_id=model_run_id, counts=counts, resources=clock.resources)


@flow(name="popdq-nightly", task_runner=task_runner("local", None))
def nightly(
    warehouse: Path,
    as_of: dt.date | None = None,
    locality: str | None = None,
    source: str | None = None,
    full: bool = False,
    retrain: bool = False,
) -> "Outcome":
    """Validate, normalise, match, find discrepancies, update the queue, write the report.

    `as_of` defaults to the day the run starts (a scheduled run passes none). The run holds
    the warehouse throughout: it reads one version of each dataset, no load lands meanwhile.
    """
    as_of = as_of or dt.date.today()
    place = parse_locality(locality) if locality is not None else None
    with hold_warehouse(warehouse, "run") as held:
        return run_steps(warehouse, held, as_of, place, locality, source, full, retrain)


def run_steps(warehouse: Path, held: Hold, as_of: dt.date, place: Locality | None,
              locality: str | None, source: str | None, full: bool, retrain: bool) -> Outcome:
    """The flow's steps, each recorded as it starts (`mark_step`), holding the warehouse."""
    scoped = place is not None or source is not None
    mode = "full" if full else "locality" if place else "source" if source else "incremental"
    run_id = open_run(warehouse, as_of, locality, source, mode)
    clock = Clock(started=lambda name: mark_step(warehouse, run_id, held, name))
    model_run_id: int | None = None
    try:
        sources = clock.time("check_datasets", lambda: check_datasets(warehouse, source))
        clock.time("validate", lambda: validate(warehouse, run_id, ["registry", *sources], full))
        prepared = clock.time("normalise", lambda: prepare(warehouse, run_id, sources, place,
                                                           full))
        numbers = clock.time("evidence", lambda: gather_evidence(prepared))
        model = clock.time("model", lambda: choose_model(warehouse, prepared, numbers,
                                                         partial=scoped, retrain=retrain))
        model_run_id = model.run_id if model.run_id is not None else run_id
        work = clock.time("plan", lambda: plan_work(warehouse, prepared, model, numbers,
                                                    locality=place, everything=full or scoped))
        links = clock.time("match", lambda: link_records(warehouse, run_id, model, prepared,
                                                         work))
        found = clock.time("discrepancies", lambda: find_discrepancies(
            warehouse, run_id, prepared, work, links, as_of))
        counts = {kind: {"records": prepared.rows(kind),
                         "relinked": work[kind].relink.len(), "removed": work[kind].removed.len(),
                         "findings_redone": found[kind].records.len()} for kind in sources}
        workers = workers_peak_rss([*prepared.done, *(
            d for linked in links.values() for d in linked.done), *(
            d for result in found.values() for d in result.done)])
        summary = clock.time("publish", lambda: publish(
            warehouse, run_id, model, prepared.versions, work, links, found, place))
    except Exception as exc:
        close_run(warehouse, run_id, "failed", clock, str(exc).splitlines()[0], model_run_id)
        raise
    message = "; ".join(model.warnings) or None
    clock.resources["workers"] = workers
    close_run(warehouse, run_id, "succeeded", clock, message, model_run_id, counts)
    report = after_success(run_id, "its report", report_path(warehouse, run_id).parent,
                           lambda: clock.time("report", lambda: write_report(warehouse, run_id)))
    after_success(run_id, "its Prefect artifacts", warehouse.parent, lambda: publish_artifacts(
        warehouse, run_id, mode, as_of, place, summary, clock, report))
    after_success(run_id, "the report's timing in its run record", warehouse.parent,
                  lambda: close_run(warehouse, run_id, "succeeded", clock, message, model_run_id,
                                    counts))
    return Outcome(run_id, summary, report, model.warnings)
