"""Each run's summary per province: what the report's trends and changes are made of."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from matching.decisions import MATCHES_SCHEMA
from tests.unit.warehouse.test_queue import finding, findings, sync
from warehouse.db import open_warehouse
from warehouse.queue import act_on_items
from warehouse.summaries import summarise_run


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_warehouse(tmp_path / "w.duckdb") as connection:
        yield connection


def link(con: duckdb.DuckDBPyConnection, run_id: int, places: dict[str, str]) -> None:
    """Tax records R… linked (decision match), each in its province."""
    con.execute("DELETE FROM matches")
    rows = pl.DataFrame([{"source": "tax", "record_id": r, "person_id": "P" + r, "score": 1.0,
                          "decision": "match", "second_person_id": None, "second_score": None,
                          "ambiguous": False} for r in places], schema=MATCHES_SCHEMA)
    rows = rows.with_columns(pl.Series("province", list(places.values())),
                             pl.lit(None, dtype=pl.String).alias("commune"),
                             pl.lit(run_id).alias("run_id"))
    con.register("new_matches", rows.to_arrow())
    con.execute("INSERT INTO matches BY NAME SELECT * FROM new_matches")
    con.unregister("new_matches")


def night(con: duckdb.DuckDBPyConnection, run_id: int, frame: pl.DataFrame) -> None:
    con.execute("INSERT INTO runs (run_id, as_of, dataset_versions, status, started_at)"
                " VALUES (?, DATE '2026-07-01' + ?, '{}', 'running', now())",
                [run_id, run_id])
    sync(con, run_id, frame)
    summarise_run(con, run_id)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def test_a_run_summarises_records_findings_and_queue_per_province(
    con: duckdb.DuckDBPyConnection,
) -> None:
    link(con, 1, {"R1": "79", "R2": "79", "R3": "79", "R4": "01"})
    night(con, 1, findings(finding("R1"), finding("R1", kind="dob_mismatch"),
                           finding("R4", province="01")))
    assert rows(con, "SELECT province, records, linked, review, flagged FROM run_records"
                     " WHERE run_id = 1 ORDER BY province") == [
        ("01", 1, 1, 0, 1), ("79", 3, 3, 0, 1)]  # R1 has two findings, one record flagged
    assert rows(con, "SELECT province, kind, findings FROM run_findings WHERE run_id = 1"
                     " ORDER BY ALL") == [
        ("01", "name_mismatch", 1), ("79", "dob_mismatch", 1), ("79", "name_mismatch", 1)]
    assert rows(con, "SELECT province, active, opened, closed_by_reviewers, fixed_at_source"
                     " FROM run_queue WHERE run_id = 1 ORDER BY province") == [
        ("01", 1, 1, 0, 0), ("79", 2, 2, 0, 0)]


def test_throughput_counts_what_happened_since_the_previous_run(
    con: duckdb.DuckDBPyConnection,
) -> None:
    link(con, 1, {"R1": "79", "R2": "79", "R3": "79"})
    night(con, 1, findings(finding("R1"), finding("R2"), finding("R3")))
    first = [int(str(r[0])) for r in rows(con, "SELECT item_id FROM queue_items ORDER BY item_id")]
    act_on_items(con, first[:1], "resolve", actor="reviewer", note="checked")
    night(con, 2, findings(finding("R2"), finding("R4")))  # R3 fixed at source, R4 new
    act_on_items(con, first[1:2], "reject", actor="reviewer", note="not an error")
    night(con, 3, findings(finding("R2"), finding("R4")))
    assert rows(con, "SELECT run_id, active, opened, closed_by_reviewers, fixed_at_source"
                     " FROM run_queue ORDER BY run_id") == [
        (1, 3, 3, 0, 0),
        (2, 2, 1, 1, 1),  # the resolve came after run 1: counted once, by run 2
        (3, 1, 0, 1, 0),
    ]
    assert rows(con, "SELECT run_id, audit_through FROM runs ORDER BY run_id") == [
        (1, 3), (2, 6), (3, 7)]
