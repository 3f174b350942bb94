"""The cleaning queue's lifecycle as a pure plan: frames in, what to write out.

A night's sync: today's items of the sources (and locality) a run covers, and
tonight's findings, give what to create, refresh, reopen and close, per key
(source, record_id, kind, field):

| item now          | finding tonight            | becomes                         |
|-------------------|----------------------------|---------------------------------|
| none              | present                    | open (created)                  |
| open / in_review  | present, same values       | same status (seen again)        |
| open / in_review  | present, values changed    | same status, values refreshed   |
| open / in_review  | gone                       | fixed_at_source                 |
| rejected/resolved | present, same values       | unchanged (a reviewer decided)  |
| rejected/resolved | present, values changed    | open (reopened)                 |
| fixed_at_source   | present                    | open (reopened)                 |

The table is also the test of this module (tests/unit/warehouse/test_lifecycle.py
reads it). Reviewers' actions are data too (`REVIEWER_ACTIONS`). Nothing here
touches the warehouse: `warehouse.queue` applies a plan in one transaction,
with its audit rows.
"""

from dataclasses import dataclass

import polars as pl

from popdq.errors import PopdqError
from warehouse.tables import QUEUE_ITEMS, QUEUE_KEY, QUEUE_VALUES

STATUSES = ("open", "in_review", "resolved", "rejected", "fixed_at_source")
ACTIVE = ("open", "in_review")
"""Statuses of an item a reviewer still has to work."""


@dataclass(frozen=True)
class ReviewerAction:
    """What a reviewer's verb does to an item."""

    verb: str
    applies_to: tuple[str, ...]
    after: str
    audited_as: str
    needs_note: bool = False
    needs_assignee: bool = False


REVIEWER_ACTIONS: dict[str, ReviewerAction] = {a.verb: a for a in (
    ReviewerAction("assign", ACTIVE, "in_review", "assigned", needs_assignee=True),
    ReviewerAction("resolve", ACTIVE, "resolved", "resolved", needs_note=True),
    ReviewerAction("reject", ACTIVE, "rejected", "rejected", needs_note=True),
    ReviewerAction("reopen", ("resolved", "rejected", "fixed_at_source"), "open", "reopened"),
)}


@dataclass(frozen=True)
class SyncPlan:
    """A night's changes to the queue, each frame ready to write."""

    new_items: pl.DataFrame
    """Whole new rows of queue_items (ids from `next_id` on, in key order)."""
    updates: pl.DataFrame
    """item_id, the refreshed values and the status after (reopened or updated items)."""
    closing: pl.DataFrame
    """item_id of the items fixed at source."""
    seen: pl.DataFrame
    """item_id of every existing item found again tonight."""
    audit: pl.DataFrame
    """item_id, action, old_status, new_status: one row per change."""
    counts: dict[str, int]
    """created, updated, reopened, fixed_at_source."""


def plan_sync(items: pl.DataFrame, findings: pl.DataFrame, *, run_id: int,
              next_id: int) -> SyncPlan:
    """Today's items (queue_items rows) and tonight's findings → the plan (module docstring)."""
    incoming = findings.select(*QUEUE_KEY, *QUEUE_VALUES).unique(subset=list(QUEUE_KEY),
                                                               keep="first")
    both = items.join(incoming, on=list(QUEUE_KEY), how="full", suffix="_new", coalesce=True)
    seen = pl.col("criterion_new").is_not_null()
    known = pl.col("item_id").is_not_null()
    status = pl.col("status")

    def differ(columns: tuple[str, ...]) -> pl.Expr:
        return pl.any_horizontal(pl.col(v).ne_missing(pl.col(f"{v}_new")) for v in columns)

    reopen = known & seen & (
        (status == "fixed_at_source")
        | (status.is_in(["rejected", "resolved"]) & differ(("source_value", "registry_value")))
    )
    refresh = known & seen & status.is_in(ACTIVE) & differ(QUEUE_VALUES)
    gone = known & ~seen & status.is_in(ACTIVE)
    plan = both.with_columns(
        pl.when(~known).then(pl.lit("created"))
        .when(reopen).then(pl.lit("reopened"))
        .when(refresh).then(pl.lit("updated"))
        .when(gone).then(pl.lit("fixed_at_source"))
        .alias("action")
    )
    tonight = [pl.col(f"{v}_new").alias(v) for v in QUEUE_VALUES]
    new_items = plan.filter(pl.col("action") == "created").sort(*QUEUE_KEY).select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + next_id).alias("item_id"),
        *QUEUE_KEY, *tonight,
        pl.lit("open").alias("status"), pl.lit(None, dtype=pl.String).alias("assignee"),
        pl.lit(run_id, dtype=pl.Int64).alias("first_seen_run"),
        pl.lit(run_id, dtype=pl.Int64).alias("last_seen_run"),
        pl.lit(0, dtype=pl.Int64).alias("version"),
    ).select(list(QUEUE_ITEMS))
    after = (pl.when(pl.col("action") == "reopened").then(pl.lit("open"))
             .when(pl.col("action") == "fixed_at_source").then(pl.lit("fixed_at_source"))
             .otherwise(status))
    updates = plan.filter(pl.col("action").is_in(["reopened", "updated"])).select(
        "item_id", *tonight, after.alias("status"))
    audit = pl.concat([
        new_items.select("item_id", pl.lit("created").alias("action"),
                         pl.lit(None, dtype=pl.String).alias("old_status"),
                         pl.lit("open").alias("new_status")),
        plan.filter(pl.col("action").is_in(["reopened", "updated", "fixed_at_source"])).select(
            "item_id", "action", status.alias("old_status"), after.alias("new_status")),
    ]).sort("item_id")
    counted = dict(plan.get_column("action").drop_nulls().value_counts().iter_rows())
    return SyncPlan(
        new_items=new_items,
        updates=updates,
        closing=plan.filter(pl.col("action") == "fixed_at_source").select("item_id"),
        seen=plan.filter(known & seen).select("item_id"),
        audit=audit,
        counts={a: counted.get(a, 0)
                for a in ("created", "updated", "reopened", "fixed_at_source")},
    )


def plan_action(items: pl.DataFrame, verb: str, *, note: str | None,
                assignee: str | None) -> pl.DataFrame:
    """A reviewer's verb on items (item_id, status, assignee) → the audit rows of the change
    (item_id, action, old/new status, old/new assignee); refuses what the verb cannot do."""
    if verb not in REVIEWER_ACTIONS:
        raise PopdqError(f"unknown queue action {verb!r}")
    action = REVIEWER_ACTIONS[verb]
    if action.needs_note and not (note or "").strip():
        raise PopdqError(f"{verb} needs a note saying why (--note)")
    if action.needs_assignee and not (assignee or "").strip():
        raise PopdqError(f"{verb} needs someone to assign to (--to)")
    wrong = items.filter(~pl.col("status").is_in(action.applies_to))
    if not wrong.is_empty():
        first = wrong.row(0, named=True)
        raise PopdqError(f"item {first['item_id']} is {first['status']}: cannot {verb} it")
    return items.select(
        "item_id", pl.lit(action.audited_as).alias("action"),
        pl.col("status").alias("old_status"), pl.lit(action.after).alias("new_status"),
        pl.col("assignee").alias("old_assignee"),
        (pl.lit(assignee) if action.needs_assignee else pl.col("assignee")).alias("new_assignee"),
    )
