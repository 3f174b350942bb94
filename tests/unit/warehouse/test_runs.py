"""The run record: the step a run is in, and the runs a later run finds left running."""

import datetime as dt
from pathlib import Path

import duckdb

from warehouse.db import hold_warehouse, open_warehouse
from warehouse.lock import read_note
from warehouse.runs import PUBLISHED, mark_step, note_step, start_run

AS_OF = dt.date(2026, 7, 1)


def records(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT run_id, status, step, message, finished_at IS NOT NULL"
                       " FROM runs ORDER BY run_id").fetchall()


def begin(con: duckdb.DuckDBPyConnection) -> int:
    return start_run(con, as_of=AS_OF, locality=None, source=None, mode="incremental")


def test_each_step_is_recorded_in_the_run_and_then_in_the_lock_file(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with hold_warehouse(db, "run") as held:
        with open_warehouse(db) as con:
            run_id = begin(con)
        mark_step(db, run_id, held, "match")
        assert (read_note(db)["run_id"], read_note(db)["step"]) == (run_id, "match")
        with open_warehouse(db) as con:
            assert records(con) == [(run_id, "running", "match", None, False)]


def test_a_run_left_running_is_marked_interrupted_by_the_next_saying_where(
    tmp_path: Path,
) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        begin(con)  # killed before its first step
        note_step(con, begin(con), "publish")  # killed while publishing
        note_step(con, begin(con))  # killed after its publish committed
        fourth = begin(con)
        found = records(con)
    assert [row[1:3] for row in found] == [
        ("interrupted", None), ("interrupted", "publish"), ("interrupted", PUBLISHED),
        ("running", None)]
    assert [row[4] for row in found] == [True, True, True, False]
    messages = [str(row[3]) for row in found[:3]]
    assert messages[0].startswith("interrupted while starting: the run ended without closing")
    assert messages[1].startswith("interrupted while publishing")
    assert messages[1].endswith("none of its results were kept (noticed by run 3)")
    assert messages[2].startswith("interrupted while closing its record")
    assert messages[2].endswith(f"its results were published and are kept (noticed by run "
                                f"{fourth})")
