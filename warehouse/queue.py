"""The cleaning queue in the warehouse: applies the lifecycle's plans, with their audit rows.

The rules are in `warehouse.lifecycle` (pure). Every status change goes
through this module together with its audit rows, in one transaction;
nothing else in the code base updates `queue_items.status`.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from popdq.contract import REVIEW_KIND
from popdq.errors import Conflict, NotFound, PopdqError
from popdq.localities import Locality
from warehouse.db import registered, transaction
from warehouse.lifecycle import REVIEWER_ACTIONS, plan_action, plan_sync
from warehouse.scope import in_locality, in_scope
from warehouse.tables import QUEUE_KEY, QUEUE_VALUES

FILTERS = ("source", "kind", "criterion", "status", "assignee")
"""Columns a reviewer may filter on by equality (locality is matched on province or commune)."""


@dataclass(frozen=True)
class SyncSummary:
    created: int
    refreshed: int
    reopened: int
    fixed_at_source: int

    def __str__(self) -> str:
        return (f"{self.created:,} new, {self.refreshed:,} updated, {self.reopened:,} reopened, "
                f"{self.fixed_at_source:,} fixed at source")


def sync_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    sources: list[str],
    locality: Locality | None = None,
    actor: str = "popdq-nightly",
) -> SyncSummary:
    """Bring the queue of these sources (and locality) in line with their current findings
    (the `findings` table, as the run's publish left it) and links to review."""
    where, params = in_locality(locality)
    scope = f"source IN (SELECT unnest(?::VARCHAR[])) AND {where}"
    items = con.sql(f"SELECT * FROM queue_items WHERE {scope}", params=[sources, *params]).pl()
    findings = pl.concat([
        con.sql(f"SELECT {', '.join((*QUEUE_KEY, *QUEUE_VALUES))} FROM findings WHERE {scope}",
                params=[sources, *params]).pl(),
        _links_to_review(con, scope, [sources, *params]),
    ])
    next_id = int(con.execute("SELECT coalesce(max(item_id), 0) + 1 FROM queue_items")
                  .fetchall()[0][0])
    plan = plan_sync(items, findings, run_id=run_id, next_id=next_id)
    with registered(con, sync_new_items=plan.new_items, sync_updates=plan.updates,
                    sync_closing=plan.closing, sync_seen=plan.seen), transaction(con):
        con.execute("INSERT INTO queue_items BY NAME SELECT * FROM sync_new_items")
        assignments = ", ".join(f"{v} = u.{v}" for v in (*QUEUE_VALUES, "status"))
        con.execute(f"UPDATE queue_items q SET {assignments}, version = q.version + 1"
                    " FROM sync_updates u WHERE q.item_id = u.item_id")
        con.execute("UPDATE queue_items SET status = 'fixed_at_source', version = version + 1"
                    " WHERE item_id IN (SELECT item_id FROM sync_closing)")
        con.execute("UPDATE queue_items SET last_seen_run = ?"
                    " WHERE item_id IN (SELECT item_id FROM sync_seen)", [run_id])
        _write_audit(con, plan.audit, actor=actor, run_id=run_id, note=None)
    c = plan.counts
    return SyncSummary(c["created"], c["updated"], c["reopened"], c["fixed_at_source"])


def _links_to_review(con: duckdb.DuckDBPyConnection, scope: str,
                     params: list[object]) -> pl.DataFrame:
    """A queue item for every record in `review` (contract §3), as a finding would be one:
    within the review kind's priority band, the closer the two best candidates, the more a
    reviewer's decision changes, the more urgent; the person proposed, and the runner-up."""
    kind = REVIEW_KIND
    return con.sql(
        "SELECT source, record_id, ? AS kind, ? AS field, ? AS criterion, person_id,"
        " person_id AS source_value, second_person_id AS registry_value, province, commune,"
        " printf('the best candidate scores %.3f, the next %s: confirm, reject or choose the"
        " person (popdq link)', score, coalesce(printf('%.3f', second_score), 'none'))"
        " AS detail,"
        " (? + round(10 * (score - coalesce(second_score, 0))))::INTEGER AS priority,"
        " NULL::VARCHAR AS group_id"
        f" FROM matches WHERE decision = 'review' AND {scope}",
        params=[kind.name, kind.field, kind.criterion, kind.priority, *params]).pl()


def act_on_items(
    con: duckdb.DuckDBPyConnection,
    item_ids: list[int],
    action: str,
    *,
    actor: str,
    note: str | None,
    assignee: str | None = None,
    expected: dict[int, int] | None = None,
) -> int:
    """A reviewer's action on items; returns how many changed. Audited, all or nothing.
    `expected`: item id → the version the reviewer was shown; an item at another version
    refuses the whole action (`Conflict`). Checked and written in one transaction, and
    DuckDB has one writer at a time, so two reviewers cannot both act on one version."""
    with transaction(con):
        items = item_versions(con, item_ids)
        missing = sorted(set(item_ids) - set(items["item_id"].to_list()))
        if missing:
            raise PopdqError(f"no queue item {missing[0]}")
        check_versions(items, expected)
        audit = plan_action(items.drop("version"), action, note=note, assignee=assignee)
        con.execute(
            "UPDATE queue_items SET status = ?, assignee = coalesce(?, assignee),"
            " version = version + 1 WHERE item_id IN (SELECT unnest(?::BIGINT[]))",
            [REVIEWER_ACTIONS[action].after, assignee if action == "assign" else None, item_ids],
        )
        _write_audit(con, audit, actor=actor, run_id=None, note=note)
    return items.height


def check_versions(items: pl.DataFrame, expected: dict[int, int] | None) -> None:
    """Refuse (`Conflict`) when an item (item_id, status, assignee, version) is not at the
    version its reviewer was shown."""
    if not expected:
        return
    for item_id, status, assignee, version in items.select(
            "item_id", "status", "assignee", "version").iter_rows():
        if item_id in expected and expected[item_id] != version:
            who = f", assigned to {assignee}" if assignee else ""
            raise Conflict(f"item {item_id} changed since you opened it (now {status}{who}):"
                           " nothing was changed; look at it again")


def item_versions(con: duckdb.DuckDBPyConnection, item_ids: list[int]) -> pl.DataFrame:
    """item_id, status, assignee, version of these items (for `check_versions`)."""
    return con.sql(
        "SELECT item_id, status, assignee, version FROM queue_items WHERE item_id IN"
        " (SELECT unnest(?::BIGINT[])) ORDER BY item_id", params=[item_ids]).pl()


Scope = Sequence[Locality] | None
"""The localities a user may see (None: all of them)."""


def find_items(
    con: duckdb.DuckDBPyConnection,
    filters: dict[str, str],
    locality: Locality | None = None,
    limit: int | None = None,
    actionable_by: str | None = None,
    scope: Scope = None,
) -> pl.DataFrame:
    """Queue items matching every filter (within a user's scope), most urgent first
    (priority, then item id); with `actionable_by`, only those that reviewer action
    applies to."""
    where, params = _where(filters, locality, scope)
    if actionable_by is not None:
        allowed = REVIEWER_ACTIONS[actionable_by].applies_to
        where += " AND status IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(allowed))
    sql = f"SELECT * FROM queue_items{where} ORDER BY priority, item_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return con.sql(sql, params=params).pl()


def count_items(
    con: duckdb.DuckDBPyConnection, filters: dict[str, str], locality: Locality | None = None
) -> int:
    where, params = _where(filters, locality)
    return int(con.execute(f"SELECT count(*) FROM queue_items{where}", params).fetchall()[0][0])


PAGE_COLUMNS = ("item_id", "priority", "status", "kind", "criterion", "source", "record_id",
                "field", "province", "commune", "assignee", "detail", "version")
"""What an inbox page shows of an item: no personal value (those are on the item's page)."""


def page_of_items(
    con: duckdb.DuckDBPyConnection,
    filters: dict[str, str],
    locality: Locality | None,
    scope: Scope,
    *,
    after: tuple[int, int] | None = None,
    before: tuple[int, int] | None = None,
    limit: int,
) -> pl.DataFrame:
    """One page of the items a filter matches (`PAGE_COLUMNS`), in queue order (priority,
    item id), just after or just before a (priority, item id) key: keyset paging, so a page
    deep in a million items costs what the first one does (no OFFSET over the rows before
    it). The page's ids are found on the ordering and filter columns alone, then read."""
    where, params = _where(filters, locality, scope)
    order = "priority, item_id"
    if after is not None:
        where += " AND (priority > ? OR (priority = ? AND item_id > ?))"
        params += [after[0], after[0], after[1]]
    elif before is not None:
        where += " AND (priority < ? OR (priority = ? AND item_id < ?))"
        params += [before[0], before[0], before[1]]
        order = "priority DESC, item_id DESC"
    return con.sql(
        f"SELECT {', '.join(PAGE_COLUMNS)} FROM queue_items WHERE item_id IN"
        f" (SELECT item_id FROM queue_items{where} ORDER BY {order} LIMIT ?)"
        " ORDER BY priority, item_id", params=[*params, limit]).pl()


def count_by_status(
    con: duckdb.DuckDBPyConnection, filters: dict[str, str], locality: Locality | None,
    scope: Scope,
) -> dict[str, int]:
    """How many items a filter matches in each status (the status filter aside)."""
    where, params = _where({k: v for k, v in filters.items() if k != "status"}, locality,
                           scope)
    return {str(status): int(n) for status, n in con.execute(
        f"SELECT status, count(*) FROM queue_items{where} GROUP BY status", params).fetchall()}


def _where(filters: dict[str, str], locality: Locality | None,
           scope: Scope = None) -> tuple[str, list[object]]:
    """A WHERE clause from validated column names and parameters for every value."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise PopdqError(f"cannot filter the queue on {sorted(unknown)[0]!r}")
    clauses = [f"{column} = ?" for column in filters]
    params: list[object] = list(filters.values())
    for condition, values in (in_locality(locality), in_scope(scope)):
        clauses.append(condition)
        params += values
    return " WHERE " + " AND ".join(clauses), params


def audit_trail(con: duckdb.DuckDBPyConnection, item_id: int) -> pl.DataFrame:
    return con.sql(
        "SELECT changed_at, actor, action, old_status, new_status, old_assignee, new_assignee,"
        " note, run_id FROM queue_audit WHERE item_id = ? ORDER BY audit_id",
        params=[item_id],
    ).pl()


def audit_log(con: duckdb.DuckDBPyConnection, scope: Scope, *, actor: str | None,
              before: int | None, limit: int, people_only: bool = False) -> pl.DataFrame:
    """The newest audit rows of items within a scope (of one actor; only people's, not the
    runs', with `people_only`), newest first, older than audit row `before` (keyset
    paging): what an auditor reads."""
    where, params = in_scope(scope, "q")
    return con.sql(
        "SELECT a.audit_id, a.changed_at, a.actor, a.action, a.item_id, q.kind, q.source,"
        " coalesce(q.commune, q.province) AS locality, a.old_status, a.new_status,"
        " a.old_assignee, a.new_assignee, a.note, a.run_id"
        " FROM queue_audit a JOIN queue_items q ON q.item_id = a.item_id"
        f" WHERE {where} AND (?::VARCHAR IS NULL OR a.actor = ?)"
        " AND (?::BIGINT IS NULL OR a.audit_id < ?) AND NOT (? AND a.run_id IS NOT NULL)"
        " ORDER BY a.audit_id DESC LIMIT ?",
        params=[*params, actor, actor, before, before, people_only, limit]).pl()


def _write_audit(
    con: duckdb.DuckDBPyConnection,
    audit: pl.DataFrame,
    *,
    actor: str,
    run_id: int | None,
    note: str | None,
) -> None:
    for column in ("old_assignee", "new_assignee"):
        if column not in audit.columns:
            audit = audit.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    rows = audit.select(
        "item_id", "action", "old_status", "new_status", "old_assignee", "new_assignee")
    with registered(con, audit_rows=rows):
        con.execute(
            "INSERT INTO queue_audit BY NAME SELECT"
            " (SELECT coalesce(max(audit_id), 0) FROM queue_audit)"
            " + row_number() OVER (ORDER BY item_id) AS audit_id, item_id,"
            " ?::TIMESTAMP AS changed_at, ? AS actor, action, old_status, new_status,"
            " old_assignee, new_assignee, ? AS note, ?::BIGINT AS run_id FROM audit_rows",
            [_now(), actor, note, run_id],
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def read_item(con: duckdb.DuckDBPyConnection, item_id: int,
              scope: Scope = None) -> dict[str, object]:
    """One item; one outside the scope is no item, exactly as one that does not exist."""
    where, params = in_scope(scope)
    rows = con.sql(f"SELECT * FROM queue_items WHERE item_id = ? AND {where}",
                   params=[item_id, *params]).pl()
    if rows.is_empty():
        raise NotFound(f"no queue item {item_id}")
    return rows.row(0, named=True)


def note_unmasked_view(con: duckdb.DuckDBPyConnection, item_id: int, *, actor: str) -> None:
    """Seeing identifiers in full is itself a change worth auditing (who saw what, when)."""
    status = read_item(con, item_id)["status"]
    audit = pl.DataFrame({"item_id": [item_id], "action": ["viewed_unmasked"],
                          "old_status": [status], "new_status": [status]})
    with transaction(con):
        _write_audit(con, audit, actor=actor, run_id=None, note=None)


def read_queue(con: duckdb.DuckDBPyConnection, source: str | None = None,
               locality: Locality | None = None) -> pl.DataFrame:
    """Every queue item (of one locality; for export), in item order."""
    where, params = in_locality(locality)
    return con.sql(
        f"SELECT * EXCLUDE (version) FROM queue_items WHERE (? IS NULL OR source = ?) AND {where}"
        " ORDER BY item_id", params=[source, source, *params],
    ).pl()
