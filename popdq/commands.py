"""What each `popdq` command does, below the click layer: one function per use case.

The CLI parses, calls one of these and prints what it returns; a future web
workbench calls the same functions. Slow imports (Prefect, Great
Expectations, the synthetic world) happen only in the use case that needs them.
"""

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import duckdb
import polars as pl

from matching.evaluation import Estimates, estimate, summarise_decisions
from popdq.accounts import (
    Account,
    Claim,
    check_name,
    check_role,
    hash_password,
    verify_password,
)
from popdq.contract import DATASETS, REVIEW_KIND
from popdq.divisions import load_divisions
from popdq.errors import Conflict, NotAllowed, PopdqError, SignedOut
from popdq.localities import Locality, parse_locality
from warehouse import reporting, users
from warehouse.datasets import LoadSummary, dataset_versions, load_file, read_dataset, read_record
from warehouse.db import hold_warehouse, open_warehouse, transaction
from warehouse.exports import stream_export, write_export, write_text
from warehouse.findings import read_discrepancies, read_findings
from warehouse.linkage import read_explanation, read_matches
from warehouse.queue import (
    Scope,
    act_on_items,
    audit_log,
    audit_trail,
    count_by_status,
    count_items,
    find_items,
    note_unmasked_view,
    page_of_items,
    read_item,
    read_queue,
)
from warehouse.reporting import note_disclosure
from warehouse.reviews import Decided, link_totals, read_decisions, record_decision

if TYPE_CHECKING:
    from expectations import Validation
    from flows.nightly import Outcome
    from report import figures

EXPORTS = {"matches": read_matches, "discrepancies": read_discrepancies, "queue": read_queue}
"""Export name → the reader of its rows."""


def require_warehouse(warehouse: Path) -> None:
    """Commands that read results must not create an empty warehouse by accident."""
    if not warehouse.exists():
        raise PopdqError(f"{warehouse}: no warehouse here (load data first, or pass --warehouse)")


def synthesise(persons: int, seed: int, out: Path, *, force: bool = False) -> dict[str, Path]:
    """Write a synthetic world; returns file name → path. A folder that already holds
    files is refused unless force, before the (slow) world is built."""
    import synth
    from synth.world import check_out_dir

    check_out_dir(out, force=force)
    return synth.write_world(synth.generate_world(persons, seed), out)


def load(warehouse: Path, kind: str, file: Path, by: str, *,
         allow_shrink: bool = False, encoding: str | None = None) -> LoadSummary:
    """Make a file the current version of its dataset; one much smaller than the current
    version, or empty, is refused unless allow_shrink. `encoding`: a CSV's legacy one.
    The load holds the warehouse (waiting for a run to end): a run never sees it half-way."""
    with hold_warehouse(warehouse, "load", dataset=kind), open_warehouse(warehouse) as con:
        return load_file(con, kind, file, loaded_by=by, allow_shrink=allow_shrink,
                         encoding=encoding)


def run(warehouse: Path, locality: Locality | None, source: str | None, as_of: dt.date, *,
        full: bool = False, retrain: bool = False, executor: str = "local",
        address: str | None = None) -> "Outcome":
    """The nightly flow, through Prefect (its temporary server dies with this process), its
    partition tasks on `executor` (flows.executors)."""
    from flows.environment import configure_prefect, start_temporary_server
    from flows.executors import check_executor, task_runner

    require_warehouse(warehouse)
    check_executor(executor, address)
    configure_prefect()
    start_temporary_server()
    from flows.nightly import nightly

    return nightly.with_options(task_runner=task_runner(executor, address))(
        warehouse, as_of, str(locality) if locality else None, source, full=full,
        retrain=retrain)


def serve(warehouse: Path, cron: str, timezone: str, host: str, port: int, *,
          started: Callable[[str], None] = lambda ui: None) -> None:
    """Serve the nightly flow until interrupted; `started` gets the Prefect UI's address
    once the parameters are known to be good and the server answers, so nothing claims
    to serve a schedule that cannot run."""
    from flows.environment import configure_prefect

    configure_prefect()
    from flows.schedule import check_serving, serve_nightly

    check_serving(cron, timezone, host, port)
    require_warehouse(warehouse)
    serve_nightly(warehouse, cron, timezone, host, port, started)


def list_items(warehouse: Path, filters: dict[str, str], locality: Locality | None,
               limit: int) -> tuple[pl.DataFrame, int]:
    """The most urgent items a filter matches, and how many it matches in all."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=True) as con:
        return (find_items(con, filters, locality, limit=limit),
                count_items(con, filters, locality))


@dataclass(frozen=True)
class ItemView:
    """Everything `queue show` puts on screen for one item."""

    item: dict[str, object]
    record: dict[str, str | None]
    person: dict[str, str | None]
    explanation: pl.DataFrame
    audit: pl.DataFrame
    flagged: set[str]
    """Fields of the record with a finding."""
    second: dict[str, str | None] = field(default_factory=dict)
    """A link to review's second candidate in the registry ({} for other items)."""


def show_item(warehouse: Path, item_id: int, *, unmask: bool, by: str) -> ItemView:
    """An item beside its record, person, explanation and history; unmasking is audited
    (a write), so only an unmasked view needs a writable warehouse."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=not unmask) as con:
        return _item_view(con, item_id, unmask=unmask, by=by, scope=None)


def _item_view(con: duckdb.DuckDBPyConnection, item_id: int, *, unmask: bool, by: str,
               scope: Scope) -> ItemView:
    item = read_item(con, item_id, scope)
    source, record_id = str(item["source"]), str(item["record_id"])
    person_id = item["person_id"]
    found = read_findings(con, source).filter(pl.col("record_id") == record_id)
    if unmask:
        note_unmasked_view(con, item_id, actor=by)
    second = item["registry_value"] if item["kind"] == REVIEW_KIND.name else None
    return ItemView(
        item=item,
        record=read_record(con, source, record_id),
        person=read_record(con, "registry", str(person_id)) if person_id else {},
        explanation=read_explanation(con, source, record_id),
        audit=audit_trail(con, item_id),
        flagged=set(found["field"].to_list()) | {str(item["field"])},
        second=read_record(con, "registry", str(second)) if second else {},
    )


def items_to_act_on(warehouse: Path, verb: str, item_ids: list[int], filters: dict[str, str],
                    locality: Locality | None) -> list[int]:
    """The items a reviewer's verb will touch: those named, or every one a filter matches
    that the verb applies to."""
    if item_ids and (filters or locality):
        raise PopdqError("give item ids or filters, not both")
    if not item_ids and not (filters or locality):
        raise PopdqError("give item ids, or filters for a bulk action")
    if item_ids:
        return item_ids
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        found = find_items(con, filters, locality, actionable_by=verb)
    return [int(i) for i in found["item_id"]]


def act(warehouse: Path, verb: str, item_ids: list[int], *, by: str, note: str | None,
        assignee: str | None) -> int:
    """A reviewer's verb on items, audited; returns how many changed."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        return act_on_items(con, item_ids, verb, actor=by, note=note, assignee=assignee)


def decide_link(warehouse: Path, verdict: str, source: str, record_id: str, *, by: str,
                note: str | None, person_id: str | None = None) -> Decided:
    """A reviewer's decision on a record's link, stored and audited; the next run of any
    kind links the record as decided."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        return record_decision(con, source=source, record_id=record_id, verdict=verdict,
                               actor=by, note=note, person_id=person_id)


# The workbench (`popdq web`): each use case checks, on the connection it works with, that
# the session's account still holds (exists, enabled, same password) and keeps to its
# localities in SQL. One connection per request, closed before the answer is sent.


def add_user(warehouse: Path, name: str, role: str, localities: list[Locality],
             password: str, *, by: str) -> None:
    check_name(name)
    check_role(role, localities)
    password_hash = hash_password(password)
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        users.add_user(con, name=name, role=role, localities=[str(p) for p in localities],
                       password_hash=password_hash, actor=by)


def list_users(warehouse: Path) -> pl.DataFrame:
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=True) as con:
        return users.list_users(con)


def disable_user(warehouse: Path, name: str, *, by: str) -> None:
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        users.disable_user(con, name, actor=by)


def reset_password(warehouse: Path, name: str, password: str, *, by: str) -> None:
    password_hash = hash_password(password)
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        users.set_password(con, name, password_hash, actor=by)


def web_session_key(warehouse: Path) -> str:
    """The workbench's cookie-signing key, made the first time."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse) as con:
        return users.session_key(con, secrets.token_urlsafe(48))


def sign_in(warehouse: Path, name: str, password: str) -> Claim | None:
    """The session claim of a good name and password of an enabled account, else None
    (the same work, and the same answer, whichever part was wrong)."""
    with open_warehouse(warehouse, read_only=True) as con:
        found = users.read_user(con, name)
    good = verify_password(str(found["password_hash"]) if found else None, password)
    if not good or found is None or found["disabled"]:
        return None
    return Claim(name, int(str(found["password_stamp"])))


def _account(con: duckdb.DuckDBPyConnection, claim: Claim) -> Account:
    """The session's account as it is now; SignedOut when it is gone, disabled, or its
    password changed since the session began."""
    found = users.read_user(con, claim.name)
    if found is None or found["disabled"] or found["password_stamp"] != claim.stamp:
        raise SignedOut("your session has ended: sign in again")
    codes = cast(list[str], found["localities"])
    return Account(claim.name, str(found["role"]), tuple(parse_locality(c) for c in codes))


def whoami(warehouse: Path, claim: Claim) -> Account:
    with open_warehouse(warehouse, read_only=True) as con:
        return _account(con, claim)


@dataclass(frozen=True)
class Inbox:
    """One page of a user's inbox."""

    account: Account
    items: pl.DataFrame
    total: int
    by_status: dict[str, int]
    has_before: bool
    has_after: bool


def inbox(warehouse: Path, claim: Claim, filters: dict[str, str], locality: Locality | None,
          *, after: tuple[int, int] | None = None, before: tuple[int, int] | None = None,
          limit: int = 50) -> Inbox:
    """A page of the items a filter matches within the user's localities, most urgent
    first, with the counts; `filters` may name `mine` (the user's own items)."""
    with open_warehouse(warehouse, read_only=True) as con:
        account = _account(con, claim)
        chosen = {k: v for k, v in filters.items() if k != "mine"}
        if "mine" in filters:
            chosen["assignee"] = account.name
        page = page_of_items(con, chosen, locality, account.scope, after=after,
                             before=before, limit=limit + 1)
        more = page.height > limit
        page = (page.tail(limit) if before else page.head(limit)) if more else page
        by_status = count_by_status(con, chosen, locality, account.scope)
        total = by_status.get(chosen["status"], 0) if "status" in chosen else sum(
            by_status.values())
        return Inbox(account, page, total, by_status,
                     has_before=(more if before else after is not None),
                     has_after=(more if not before else True))


def open_item(warehouse: Path, claim: Claim, item_id: int, *,
              unmask: bool = False) -> tuple[Account, ItemView]:
    """An item of the user's localities (NotFound otherwise, as for no item at all);
    unmasked only for those who act on items, and audited."""
    with open_warehouse(warehouse, read_only=not unmask) as con:
        account = _account(con, claim)
        if unmask and not account.can_act:
            raise NotAllowed("your role does not show identifiers in full")
        return account, _item_view(con, item_id, unmask=unmask, by=account.name,
                                   scope=account.scope)


def _acting(con: duckdb.DuckDBPyConnection, claim: Claim, verb: str,
            assignee: str | None) -> Account:
    account = _account(con, claim)
    if not account.can_act:
        raise NotAllowed("your role reads the queue and changes nothing")
    if verb == "assign" and assignee != account.name and not account.can_assign:
        raise NotAllowed("only a steward assigns items to someone else")
    return account


def act_as(warehouse: Path, claim: Claim, verb: str, versions: dict[int, int], *,
           note: str | None, assignee: str | None = None) -> int:
    """A signed-in reviewer's verb on items shown at these versions (item id → version):
    the same `act_on_items` as `popdq queue`, audited; an item outside the user's
    localities is NotFound, one changed since it was shown a Conflict."""
    with open_warehouse(warehouse) as con, transaction(con):
        account = _acting(con, claim, verb, assignee)
        for item_id in versions:
            read_item(con, item_id, account.scope)
        return act_on_items(con, list(versions), verb, actor=account.name, note=note,
                            assignee=assignee, expected=versions)


def decide_as(warehouse: Path, claim: Claim, item_id: int, version: int, verdict: str, *,
              note: str | None, person_id: str | None = None,
              runner_up: bool = False) -> Decided:
    """A signed-in reviewer's decision on a link_review item's record (the same
    `record_decision` as `popdq link`); `runner_up` chooses the item's second candidate."""
    with open_warehouse(warehouse) as con, transaction(con):
        account = _acting(con, claim, "resolve", None)
        item = read_item(con, item_id, account.scope)
        if item["kind"] != REVIEW_KIND.name:
            raise NotAllowed(f"item {item_id} is not a link to review")
        if runner_up:
            if not item["registry_value"]:
                raise PopdqError(f"item {item_id} has no second candidate")
            person_id = str(item["registry_value"])
        return record_decision(con, source=str(item["source"]), record_id=str(item["record_id"]),
                               verdict=verdict, actor=account.name, note=note,
                               person_id=person_id, expected={item_id: version})


def bulk_count(warehouse: Path, claim: Claim, verb: str, filters: dict[str, str],
               locality: Locality | None) -> int:
    """How many items of the user's localities a bulk verb on a filter would change."""
    with open_warehouse(warehouse, read_only=True) as con:
        account = _account(con, claim)
        return len(_bulk_ids(con, account, verb, filters, locality))


def bulk_act(warehouse: Path, claim: Claim, verb: str, filters: dict[str, str],
             locality: Locality | None, *, confirmed: int, note: str | None,
             assignee: str | None) -> int:
    """A verb on every item of the user's localities a filter matches, when that is still
    the number the user confirmed (else a Conflict: nothing changed, confirm again)."""
    with open_warehouse(warehouse) as con, transaction(con):
        account = _acting(con, claim, verb, assignee)
        ids = _bulk_ids(con, account, verb, filters, locality)
        if len(ids) != confirmed:
            raise Conflict(f"the filter now matches {len(ids):,} items, not the {confirmed:,}"
                           " you confirmed: nothing was changed; confirm again")
        return act_on_items(con, ids, verb, actor=account.name, note=note, assignee=assignee)


def _bulk_ids(con: duckdb.DuckDBPyConnection, account: Account, verb: str,
              filters: dict[str, str], locality: Locality | None) -> list[int]:
    chosen = {k: v for k, v in filters.items() if k != "mine"}
    if "mine" in filters:
        chosen["assignee"] = account.name
    found = find_items(con, chosen, locality, actionable_by=verb, scope=account.scope)
    return [int(i) for i in found["item_id"]]


@dataclass(frozen=True)
class Dashboard:
    """The reviewers' report's headline, league and trends for a user's localities."""

    account: Account
    run_id: int
    as_of: dt.date
    previous: int | None
    provinces: tuple[str, ...]
    """The provinces the figures are of (summaries are kept per province: a commune's
    reviewer sees their province's, and their own commune's row)."""
    headline: "figures.Headline"
    league: list["figures.ProvinceRow"]
    trends: "figures.Trends"


def dashboard(warehouse: Path, claim: Claim) -> Dashboard | None:
    """The report's figures (`report.figures`, from the runs' summaries) for the user's
    scope; None before any run has published a summary."""
    from report import figures
    from report.history import read_history

    with open_warehouse(warehouse, read_only=True) as con:
        account = _account(con, claim)
        try:
            runs, national = read_history(con)
        except PopdqError:
            return None
        communes = reporting.communes(con, None)
    divisions = load_divisions()
    if account.scope is None:
        provinces, scoped = tuple(divisions.province_codes), national
    else:
        of_commune = divisions.province_of_commune
        provinces = tuple(sorted({p.code if p.level == "province" else of_commune[p.code]
                                  for p in account.scope}))
        whole = {p.code for p in account.scope if p.level == "province"}
        own = {p.code for p in account.scope if p.level == "commune"}
        communes = communes.filter(pl.col("province").is_in(list(whole))
                                   | pl.col("commune").is_in(list(own)))
        mine = pl.col("province").is_in(list(provinces))
        scoped = figures.History(national.run_ids, national.records.filter(mine),
                                 national.findings.filter(mine), national.queue.filter(mine))
    run = runs.row(-1, named=True)
    league = figures.league(national, communes, provinces, unplaced=account.scope is None)
    return Dashboard(account, int(run["run_id"]), run["as_of"], scoped.previous, provinces,
                     figures.headline(scoped), league, figures.trends(scoped))


def read_audit(warehouse: Path, claim: Claim, *, actor: str | None, before: int | None,
               limit: int = 100, people_only: bool = False) -> tuple[Account, pl.DataFrame]:
    """The audit trail of the items of the user's localities, newest first (people's
    changes only, without the nightly runs', with `people_only`)."""
    with open_warehouse(warehouse, read_only=True) as con:
        account = _account(con, claim)
        if not account.can_audit:
            raise NotAllowed("the audit trail is for auditors and stewards")
        return account, audit_log(con, account.scope, actor=actor, before=before, limit=limit,
                                  people_only=people_only)


def evaluate(warehouse: Path) -> Estimates:
    """Precision and recall of the stored links, from reviewers' decisions and the model."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=True) as con:
        decisions = read_decisions(con).filter(pl.col("holds"))
        return estimate(link_totals(con), summarise_decisions(decisions))


def export(warehouse: Path, name: str, source: str | None, out: Path | BinaryIO,
           locality: Locality | None = None) -> int:
    """Write one export (of one locality) to a file, or as CSV to a stream (`--out -`);
    returns its row count."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=True) as con:
        frame = EXPORTS[name](con, source, locality)
    if frame.is_empty() and name == "matches":
        raise PopdqError("no matches yet: run `popdq run` first")
    if isinstance(out, Path):
        write_export(frame, out)
    else:
        stream_export(frame, out)
    return frame.height


def write_report(warehouse: Path, locality: Locality | None, out: Path, *, lang: str = "vi",
                 unmasked_by: str | None = None) -> Path:
    """The report, masked; in full only for `unmasked_by`, which is recorded first (a
    write, so only an unmasked report needs a writable warehouse)."""
    from report import render_report

    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=unmasked_by is None) as con:
        html, run_id = render_report(con, locality, lang=lang, masked=unmasked_by is None)
        if unmasked_by is not None:
            note_disclosure(con, actor=unmasked_by, run_id=run_id, locality=locality,
                            lang=lang, file_name=out.name)
    return write_text(html, out)


def loaded_datasets(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every loaded dataset's current version, by kind."""
    require_warehouse(warehouse)
    with open_warehouse(warehouse, read_only=True) as con:
        kinds = [kind for kind, load_id in dataset_versions(con).items() if load_id is not None]
        frames = {kind: read_dataset(con, kind) for kind in kinds}
    if not frames:
        raise PopdqError(f"{warehouse}: nothing loaded yet")
    return frames


def validate(kind: str, rows: pl.DataFrame) -> "Validation":
    from expectations import validate_dataset

    return validate_dataset(kind, rows)


def build_data_docs(frames: dict[str, pl.DataFrame], out: Path) -> Path:
    from expectations import build_data_docs as build

    return build(frames, out)


@dataclass(frozen=True)
class Demo:
    files: dict[str, Path]
    loads: list[LoadSummary]
    outcome: "Outcome"


def demo(persons: int, seed: int, out: Path, warehouse: Path, *, force: bool = False) -> Demo:
    """A synthetic world, loaded into a fresh demo warehouse and run through the flow.
    Both places are checked before anything is written to either."""
    from synth.world import check_out_dir
    from warehouse.demo import check_demo_warehouse, reset_demo_warehouse

    check_out_dir(out, force=force)
    check_demo_warehouse(warehouse)
    files = synthesise(persons, seed, out, force=True)
    reset_demo_warehouse(warehouse)
    loads = [load(warehouse, kind, files[kind], "popdq-demo") for kind in DATASETS]
    return Demo(files, loads, run(warehouse, None, None, dt.date.today()))
