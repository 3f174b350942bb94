"""The cleaning queue: one item per finding key, a lifecycle, and an audit row for every change.

Every status change goes through `_apply` together with its audit rows, in one
transaction; nothing else in the code base updates `queue_items.status`.

Nightly sync (`sync_queue`), per key (source, record_id, kind, field):

| item now          | finding tonight            | becomes                         |
|-------------------|----------------------------|---------------------------------|
| none              | present                    | open (created)                  |
| open / in_review  | present                    | same status, values refreshed   |
| open / in_review  | gone                       | fixed_at_source                 |
| rejected/resolved | present, same values       | unchanged (a reviewer decided)  |
| rejected/resolved | present, values changed    | open (reopened)                 |
| fixed_at_source   | present                    | open (reopened)                 |
"""

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from popdq.errors import PopdqError
from warehouse.db import registered, transaction
from warehouse.linkage import SCOPES

STATUSES = ("open", "in_review", "resolved", "rejected", "fixed_at_source")
ACTIVE = ("open", "in_review")
KEY = ("source", "record_id", "kind", "field")
VALUES = ("criterion", "person_id", "source_value", "registry_value", "province", "commune",
          "detail", "priority", "group_id")
FINDING_SCHEMA: dict[str, type[pl.DataType]] = {
    "source": pl.String, "record_id": pl.String, "person_id": pl.String,
    "criterion": pl.String, "kind": pl.String, "field": pl.String,
    "source_value": pl.String, "registry_value": pl.String, "province": pl.String,
    "commune": pl.String, "detail": pl.String, "priority": pl.Int32, "group_id": pl.String,
}
"""One finding (contract §3 discrepancy plus priority and duplicate group), as stored."""
FILTERS = ("source", "kind", "criterion", "status", "assignee")
"""Columns a reviewer may filter on by equality (locality is matched on province or commune)."""

_REVIEWER_ACTIONS = {
    # verb: (statuses it applies to, status after, what the audit row says)
    "assign": (("open", "in_review"), "in_review", "assigned"),
    "resolve": (("open", "in_review"), "resolved", "resolved"),
    "reject": (("open", "in_review"), "rejected", "rejected"),
    "reopen": (("resolved", "rejected", "fixed_at_source"), "open", "reopened"),
}


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
    findings: pl.DataFrame,
    sources: list[str],
    scope: tuple[str, str] | None = None,
    actor: str = "popdq-nightly",
) -> SyncSummary:
    """Bring the queue in line with tonight's findings for these sources (and locality)."""
    items = _items_in_scope(con, sources, scope)
    incoming = findings.select(*KEY, *VALUES).unique(subset=list(KEY), keep="first")
    both = items.join(incoming, on=list(KEY), how="full", suffix="_new", coalesce=True)
    seen = pl.col("criterion_new").is_not_null()
    known = pl.col("item_id").is_not_null()
    changed = pl.any_horizontal(
        pl.col(v).ne_missing(pl.col(f"{v}_new")) for v in ("source_value", "registry_value")
    )
    status = pl.col("status")
    reopen = known & seen & (
        (status == "fixed_at_source") | (status.is_in(["rejected", "resolved"]) & changed)
    )
    refresh = known & seen & status.is_in(ACTIVE) & pl.any_horizontal(
        pl.col(v).ne_missing(pl.col(f"{v}_new")) for v in VALUES
    )
    gone = known & ~seen & status.is_in(ACTIVE)
    plan = both.with_columns(
        pl.when(~known).then(pl.lit("created"))
        .when(reopen).then(pl.lit("reopened"))
        .when(refresh).then(pl.lit("updated"))
        .when(gone).then(pl.lit("fixed_at_source"))
        .alias("action")
    )
    created = plan.filter(pl.col("action") == "created").sort(*KEY)
    next_id = int(con.execute("SELECT coalesce(max(item_id), 0) + 1 FROM queue_items")
                  .fetchall()[0][0])
    new_items = created.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + next_id).alias("item_id"),
        *KEY, *[pl.col(f"{v}_new").alias(v) for v in VALUES],
        pl.lit("open").alias("status"), pl.lit(None, dtype=pl.String).alias("assignee"),
        pl.lit(run_id, dtype=pl.Int64).alias("first_seen_run"),
        pl.lit(run_id, dtype=pl.Int64).alias("last_seen_run"),
    )
    updates = plan.filter(pl.col("action").is_in(["reopened", "updated"])).select(
        "item_id", *[pl.col(f"{v}_new").alias(v) for v in VALUES],
        pl.when(pl.col("action") == "reopened").then(pl.lit("open"))
        .otherwise(pl.col("status")).alias("status"),
    )
    closing = plan.filter(pl.col("action") == "fixed_at_source").select("item_id")
    still_seen = plan.filter(known & seen).select("item_id")
    audit = pl.concat([
        new_items.select("item_id", pl.lit("created").alias("action"),
                         pl.lit(None, dtype=pl.String).alias("old_status"),
                         pl.lit("open").alias("new_status")),
        plan.filter(pl.col("action").is_in(["reopened", "updated", "fixed_at_source"])).select(
            "item_id", "action", pl.col("status").alias("old_status"),
            pl.when(pl.col("action") == "reopened").then(pl.lit("open"))
            .when(pl.col("action") == "fixed_at_source").then(pl.lit("fixed_at_source"))
            .otherwise(pl.col("status")).alias("new_status"),
        ),
    ]).sort("item_id")
    with registered(con, sync_new_items=new_items, sync_updates=updates,
                    sync_closing=closing, sync_seen=still_seen), transaction(con):
        con.execute("INSERT INTO queue_items SELECT * FROM sync_new_items")
        assignments = ", ".join(f"{v} = u.{v}" for v in (*VALUES, "status"))
        con.execute(f"UPDATE queue_items q SET {assignments} FROM sync_updates u"
                    " WHERE q.item_id = u.item_id")
        con.execute("UPDATE queue_items SET status = 'fixed_at_source'"
                    " WHERE item_id IN (SELECT item_id FROM sync_closing)")
        con.execute("UPDATE queue_items SET last_seen_run = ?"
                    " WHERE item_id IN (SELECT item_id FROM sync_seen)", [run_id])
        _write_audit(con, audit, actor=actor, run_id=run_id, note=None)
    counts = plan.get_column("action").value_counts()
    count = dict(counts.iter_rows())
    return SyncSummary(count.get("created", 0), count.get("updated", 0),
                       count.get("reopened", 0), count.get("fixed_at_source", 0))


def act_on_items(
    con: duckdb.DuckDBPyConnection,
    item_ids: list[int],
    action: str,
    *,
    actor: str,
    note: str | None,
    assignee: str | None = None,
) -> int:
    """A reviewer's action on items; returns how many changed. Audited, all or nothing."""
    if action not in _REVIEWER_ACTIONS:
        raise PopdqError(f"unknown queue action {action!r}")
    allowed, after, audited = _REVIEWER_ACTIONS[action]
    if action in ("resolve", "reject") and not (note or "").strip():
        raise PopdqError(f"{action} needs a note saying why (--note)")
    if action == "assign" and not (assignee or "").strip():
        raise PopdqError("assign needs someone to assign to (--to)")
    items = con.sql(
        "SELECT item_id, status, assignee FROM queue_items WHERE item_id IN"
        " (SELECT unnest(?::BIGINT[])) ORDER BY item_id",
        params=[item_ids],
    ).pl()
    missing = sorted(set(item_ids) - set(items["item_id"].to_list()))
    if missing:
        raise PopdqError(f"no queue item {missing[0]}")
    wrong = items.filter(~pl.col("status").is_in(allowed))
    if not wrong.is_empty():
        first = wrong.row(0, named=True)
        raise PopdqError(f"item {first['item_id']} is {first['status']}: cannot {action} it")
    audit = items.select(
        "item_id", pl.lit(audited).alias("action"),
        pl.col("status").alias("old_status"), pl.lit(after).alias("new_status"),
        pl.col("assignee").alias("old_assignee"),
        (pl.lit(assignee) if action == "assign" else pl.col("assignee")).alias("new_assignee"),
    )
    with transaction(con):
        con.execute(
            "UPDATE queue_items SET status = ?, assignee = coalesce(?, assignee)"
            " WHERE item_id IN (SELECT unnest(?::BIGINT[]))",
            [after, assignee if action == "assign" else None, item_ids],
        )
        _write_audit(con, audit, actor=actor, run_id=None, note=note)
    return items.height


def find_items(
    con: duckdb.DuckDBPyConnection,
    filters: dict[str, str],
    locality: str | None = None,
    limit: int | None = None,
    actionable_by: str | None = None,
) -> pl.DataFrame:
    """Queue items matching every filter, most urgent first (priority, then item id);
    with `actionable_by`, only those that reviewer action applies to."""
    where, params = _where(filters, locality)
    if actionable_by is not None:
        allowed = _REVIEWER_ACTIONS[actionable_by][0]
        where += (" AND" if where else " WHERE") + " status IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(allowed))
    sql = f"SELECT * FROM queue_items{where} ORDER BY priority, item_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return con.sql(sql, params=params).pl()


def count_items(
    con: duckdb.DuckDBPyConnection, filters: dict[str, str], locality: str | None = None
) -> int:
    where, params = _where(filters, locality)
    return int(con.execute(f"SELECT count(*) FROM queue_items{where}", params).fetchall()[0][0])


def _where(filters: dict[str, str], locality: str | None) -> tuple[str, list[object]]:
    """A WHERE clause from validated column names and parameters for every value."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise PopdqError(f"cannot filter the queue on {sorted(unknown)[0]!r}")
    clauses = [f"{column} = ?" for column in filters]
    params: list[object] = list(filters.values())
    if locality is not None:
        clauses.append("(province = ? OR commune = ?)")
        params += [locality, locality]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def audit_trail(con: duckdb.DuckDBPyConnection, item_id: int) -> pl.DataFrame:
    return con.sql(
        "SELECT changed_at, actor, action, old_status, new_status, old_assignee, new_assignee,"
        " note, run_id FROM queue_audit WHERE item_id = ? ORDER BY audit_id",
        params=[item_id],
    ).pl()


def _items_in_scope(
    con: duckdb.DuckDBPyConnection, sources: list[str], scope: tuple[str, str] | None
) -> pl.DataFrame:
    sql = "SELECT * FROM queue_items WHERE source IN (SELECT unnest(?::VARCHAR[]))"
    params: list[object] = [sources]
    if scope is not None:
        sql += f" AND {SCOPES[scope[0]]} = ?"
        params.append(scope[1])
    return con.sql(sql, params=params).pl()


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
            "INSERT INTO queue_audit SELECT (SELECT coalesce(max(audit_id), 0) FROM queue_audit)"
            " + row_number() OVER (ORDER BY item_id),"
            " item_id, ?, ?, action, old_status, new_status, old_assignee, new_assignee, ?, ?"
            " FROM audit_rows",
            [_now(), actor, note, run_id],
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def read_item(con: duckdb.DuckDBPyConnection, item_id: int) -> dict[str, object]:
    rows = con.sql("SELECT * FROM queue_items WHERE item_id = ?", params=[item_id]).pl()
    if rows.is_empty():
        raise PopdqError(f"no queue item {item_id}")
    return rows.row(0, named=True)


def note_unmasked_view(con: duckdb.DuckDBPyConnection, item_id: int, *, actor: str) -> None:
    """Seeing identifiers in full is itself a change worth auditing (who saw what, when)."""
    status = read_item(con, item_id)["status"]
    audit = pl.DataFrame({"item_id": [item_id], "action": ["viewed_unmasked"],
                          "old_status": [status], "new_status": [status]})
    with transaction(con):
        _write_audit(con, audit, actor=actor, run_id=None, note=None)


def read_queue(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pl.DataFrame:
    """Every queue item (for export), in item order."""
    return con.sql(
        "SELECT * FROM queue_items WHERE ? IS NULL OR source = ? ORDER BY item_id",
        params=[source, source],
    ).pl()
