"""Reviewers' decisions on links (`link_decisions`): recorded, audited, read back by runs.

A decision row is never updated or deleted: it is its own audit (who, when,
what, why, and what the model proposed then). It holds while a digest of the
record's identifying fields (`identity`) is what it was when decided; a run
reads only the decisions that hold (`holding_decisions`), so a record whose
identifying fields changed is open to the model, and to review, again.
Deciding also resolves the record's `link_review` queue item, audited there.
"""

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from matching.reviews import DECISIONS_SCHEMA, VERDICTS
from popdq.contract import IDENTIFYING_COLUMNS, REVIEW_KIND, SOURCE_KINDS, dataset
from popdq.errors import PopdqError
from warehouse.db import transaction
from warehouse.lifecycle import ACTIVE
from warehouse.queue import act_on_items, check_versions, item_versions


@dataclass(frozen=True)
class Decided:
    decision_id: int
    verdict: str
    resolved_items: int
    """How many open review items of the record this decision resolved."""


def _identity(kind: str) -> str:
    """SQL: a digest of a source row's identifying fields (its columns are validated names
    from the contract, never input)."""
    columns = [c for c in (*IDENTIFYING_COLUMNS, dataset(kind).code) if c in dataset(kind).columns]
    return "md5(concat_ws(chr(31), " + ", ".join(f"coalesce({c}, '')" for c in columns) + "))"


def record_decision(con: duckdb.DuckDBPyConnection, *, source: str, record_id: str,
                    verdict: str, actor: str, note: str | None,
                    person_id: str | None = None,
                    expected: dict[int, int] | None = None) -> Decided:
    """Store a reviewer's decision on a record's link (`matching.reviews.VERDICTS`): confirm
    or reject the person the record is linked or proposed to, or set `person_id`.
    `expected`: queue item id → the version the reviewer was shown (`Conflict` if changed)."""
    table = dataset(source).table
    if verdict not in VERDICTS:
        raise PopdqError(f"unknown decision {verdict!r} (expected one of: {', '.join(VERDICTS)})")
    if (verdict == "set") != (person_id is not None):
        raise PopdqError("a person is given with set, and only with set")
    found = con.execute(f"SELECT {_identity(source)} FROM {table} WHERE record_id = ?",
                        [record_id]).fetchall()
    if not found:
        raise PopdqError(f"{source} has no record {record_id!r}")
    proposed = con.execute("SELECT person_id, decision, score FROM matches"
                           " WHERE source = ? AND record_id = ?", [source, record_id]).fetchall()
    proposed_person, proposed_decision, proposed_score = proposed[0] if proposed else (
        None, None, None)
    if verdict != "set":
        if proposed_person is None:
            raise PopdqError(f"{source} {record_id} has no proposed person to {verdict}: "
                             "choose one with `popdq link set`")
        person_id = str(proposed_person)
    elif not con.execute("SELECT count(*) FROM registry WHERE person_id = ?",
                         [person_id]).fetchall()[0][0]:
        raise PopdqError("the registry has no such person_id")
    with transaction(con):
        if expected:
            check_versions(item_versions(con, list(expected)), expected)
        decision_id = int(con.execute("SELECT coalesce(max(decision_id), 0) + 1"
                                      " FROM link_decisions").fetchall()[0][0])
        con.execute(
            "INSERT INTO link_decisions (decision_id, source, record_id, verdict, person_id,"
            " proposed_person_id, proposed_decision, proposed_score, identity, decided_by,"
            " decided_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [decision_id, source, record_id, verdict, person_id, proposed_person,
             proposed_decision, proposed_score, found[0][0], actor,
             dt.datetime.now(dt.UTC).replace(tzinfo=None), note])
        items = [int(i) for (i,) in con.execute(
            "SELECT item_id FROM queue_items WHERE source = ? AND record_id = ? AND kind = ?"
            " AND status IN (SELECT unnest(?::VARCHAR[])) ORDER BY item_id",
            [source, record_id, REVIEW_KIND.name, list(ACTIVE)]).fetchall()]
        if items:
            act_on_items(con, items, "resolve", actor=actor, expected=expected,
                         note=f"link {verdict} (decision {decision_id})"
                              + (f": {note}" if note else ""))
    return Decided(decision_id, verdict, len(items))


def holding_decisions(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    """The decisions on a source's records that still hold (`DECISIONS_SCHEMA`): the record
    is in the extract, its identifying fields as they were when decided."""
    table = dataset(source).table
    return con.sql(
        "SELECT d.record_id, d.decision_id, d.verdict, d.person_id FROM link_decisions d"
        f" JOIN {table} r ON r.record_id = d.record_id AND d.identity = {_identity(source)}"
        " WHERE d.source = ? ORDER BY d.decision_id", params=[source]
    ).pl().cast(pl.Schema(DECISIONS_SCHEMA))


def read_decisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every decision, whether it still holds, and the record's stored link now (for
    `popdq evaluate`), in decision order."""
    parts = [con.sql(
        "SELECT d.*, r.record_id IS NOT NULL AS holds, m.person_id AS linked_person_id,"
        " m.decision AS linked_decision FROM link_decisions d"
        f" LEFT JOIN {dataset(source).table} r ON r.record_id = d.record_id"
        f" AND d.identity = {_identity(source)}"
        " LEFT JOIN matches m ON m.source = d.source AND m.record_id = d.record_id"
        " WHERE d.source = ?", params=[source]).pl() for source in SOURCE_KINDS]
    return pl.concat(parts).sort("decision_id")


def link_totals(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per decision of the stored links: records, and Σ of their best candidate's score."""
    return con.sql("SELECT decision, count(*) AS records, sum(score) AS score_sum FROM matches"
                   " GROUP BY decision ORDER BY decision").pl()
