"""The schema of every stored table, declared once.

Frames are built to these schemas and written by column name
(`INSERT … BY NAME`), never by position. Where `matching/` (links,
explanations, findings) or `expectations/` (validation outcomes) builds the
frame, the table's schema is that output schema plus what storing adds (the
run, the record's place). The migrations
create the tables; a test compares each table's `DESCRIBE` with its schema
here, so the two cannot drift apart.
"""

import polars as pl

from expectations.validate import FAILURE_SCHEMA, RESULT_SCHEMA
from matching.decisions import MATCHES_SCHEMA
from matching.discrepancies import FINDINGS_SCHEMA
from matching.explain import EXPLANATIONS_SCHEMA
from matching.reviews import GUIDANCE_STAMP
from popdq.contract import DATASETS

Schema = dict[str, pl.DataType]

_TEXT, _INT, _BIGINT = pl.String(), pl.Int32(), pl.Int64()
_RUN = {"run_id": _BIGINT}
_PLACE = {"province": _TEXT, "commune": _TEXT}

DATASET_TABLES: dict[str, Schema] = {
    ds.table: {"load_id": _BIGINT, "line_number": _BIGINT, **dict.fromkeys(ds.columns, _TEXT),
               "extra": _TEXT}
    for ds in DATASETS.values()
}
"""Each dataset's current version: every contract column as text, exactly as read."""

LOAD_LOG: Schema = {
    "load_id": _BIGINT, "dataset": _TEXT, "file_name": _TEXT, "file_format": _TEXT,
    "sha256": _TEXT, "rows_read": _BIGINT, "rows_loaded": _BIGINT,
    "rows_quarantined": _BIGINT, "loaded_at": pl.Datetime("us"), "loaded_by": _TEXT,
}
QUARANTINE: Schema = {
    "load_id": _BIGINT, "dataset": _TEXT, "file_name": _TEXT, "line_number": _BIGINT,
    "raw_line": _TEXT, "reason": _TEXT, "rule": _TEXT,
}
RUNS: Schema = {
    "run_id": _BIGINT, "as_of": pl.Date(), "locality": _TEXT, "source": _TEXT,
    "dataset_versions": _TEXT, "status": _TEXT, "started_at": pl.Datetime("us"),
    "finished_at": pl.Datetime("us"), "timings": _TEXT, "message": _TEXT, "mode": _TEXT,
    "model_run_id": _BIGINT, "counts": _TEXT, "resources": _TEXT, "step": _TEXT,
    "audit_through": _BIGINT,
}
_VALIDATED = {"dataset_sha256": _TEXT, "code_version": _TEXT}
"""Which dataset version and code a validation outcome is of (reused while both hold)."""
VALIDATION_RESULTS: Schema = {**_RUN, "dataset": _TEXT, "load_id": _BIGINT, **RESULT_SCHEMA,
                              **_VALIDATED}
VALIDATION_FAILURES: Schema = {**_RUN, "dataset": _TEXT, **FAILURE_SCHEMA, **_VALIDATED}
LINK_MODELS: Schema = {"run_id": _BIGINT, "model": _TEXT, "created_at": pl.Datetime("us")}
LINKED_WITH: Schema = {"row_hash": pl.UInt64(), "registry_sha256": _TEXT,
                       "model_run_id": _BIGINT, **GUIDANCE_STAMP}
"""What a stored link was computed from: the record's row, the registry version, the model,
and what guided it (`matching.reviews.GUIDANCE_STAMP`)."""
MATCHES: Schema = {**MATCHES_SCHEMA, **_PLACE, **_RUN, **LINKED_WITH}
MATCH_EXPLANATIONS: Schema = {**EXPLANATIONS_SCHEMA, **_RUN}
FINDINGS: Schema = {**FINDINGS_SCHEMA, **_RUN}
QUEUE_KEY = ("source", "record_id", "kind", "field")
"""A queue item's stable key: one item per key, for ever."""
QUEUE_VALUES = ("criterion", "person_id", "source_value", "registry_value", "province",
                "commune", "detail", "priority", "group_id")
"""What a night's finding refreshes on its item."""
QUEUE_ITEMS: Schema = {
    "item_id": _BIGINT, **{c: FINDINGS_SCHEMA[c] for c in (*QUEUE_KEY, *QUEUE_VALUES)},
    "status": _TEXT, "assignee": _TEXT, "first_seen_run": _BIGINT, "last_seen_run": _BIGINT,
    "version": _BIGINT,
}
"""`version` counts the item's changes: a reviewer's action names the version it was shown,
and is refused as a conflict when the item has changed since."""
LINK_DECISIONS: Schema = {
    "decision_id": _BIGINT, "source": _TEXT, "record_id": _TEXT, "verdict": _TEXT,
    "person_id": _TEXT, "proposed_person_id": _TEXT, "proposed_decision": _TEXT,
    "proposed_score": pl.Float64(), "identity": _TEXT, "decided_by": _TEXT,
    "decided_at": pl.Datetime("us"), "note": _TEXT,
}
"""A reviewer's decision on a record's link, with what the model proposed then."""
USERS: Schema = {
    "name": _TEXT, "role": _TEXT, "localities": pl.List(_TEXT), "password_hash": _TEXT,
    "password_stamp": _INT, "disabled": pl.Boolean(), "created_at": pl.Datetime("us"),
    "created_by": _TEXT,
}
"""Workbench accounts: a role, the localities it sees ([] = all), an Argon2id hash."""
ACCOUNT_AUDIT: Schema = {
    "event_id": _BIGINT, "changed_at": pl.Datetime("us"), "actor": _TEXT, "name": _TEXT,
    "action": _TEXT, "detail": _TEXT,
}
QUEUE_AUDIT: Schema = {
    "audit_id": _BIGINT, "item_id": _BIGINT, "changed_at": pl.Datetime("us"), "actor": _TEXT,
    "action": _TEXT, "old_status": _TEXT, "new_status": _TEXT, "old_assignee": _TEXT,
    "new_assignee": _TEXT, "note": _TEXT, "run_id": _BIGINT,
}
RUN_FINDINGS: Schema = {**_RUN, "source": _TEXT, "province": _TEXT, "criterion": _TEXT,
                        "kind": _TEXT, "findings": _BIGINT}
RUN_RECORDS: Schema = {**_RUN, "source": _TEXT, "province": _TEXT, "records": _BIGINT,
                       "linked": _BIGINT, "review": _BIGINT, "flagged": _BIGINT}
RUN_QUEUE: Schema = {**_RUN, "province": _TEXT, "active": _BIGINT, "opened": _BIGINT,
                     "closed_by_reviewers": _BIGINT, "fixed_at_source": _BIGINT}
"""A run's summary per province (counts only), for the report's trends."""
REPORT_DISCLOSURES: Schema = {
    "disclosed_at": pl.Datetime("us"), "actor": _TEXT, "run_id": _BIGINT, "locality": _TEXT,
    "lang": _TEXT, "file_name": _TEXT,
}

TABLES: dict[str, Schema] = {
    "warehouse_meta": {"key": _TEXT, "value": _TEXT},
    "load_log": LOAD_LOG,
    "quarantine": QUARANTINE,
    **DATASET_TABLES,
    "runs": RUNS,
    "validation_results": VALIDATION_RESULTS,
    "validation_failures": VALIDATION_FAILURES,
    "link_models": LINK_MODELS,
    "matches": MATCHES,
    "match_explanations": MATCH_EXPLANATIONS,
    "findings": FINDINGS,
    "queue_items": QUEUE_ITEMS,
    "queue_audit": QUEUE_AUDIT,
    "link_decisions": LINK_DECISIONS,
    "run_findings": RUN_FINDINGS,
    "run_records": RUN_RECORDS,
    "run_queue": RUN_QUEUE,
    "report_disclosures": REPORT_DISCLOSURES,
    "users": USERS,
    "account_audit": ACCOUNT_AUDIT,
}
"""Table name → schema: every table popdq stores (schema_version aside)."""


def conform(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """The frame's columns of a table's schema, in its order and types (a missing one fails)."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
