"""The cleaning queue's lifecycle and audit trail, on a real DuckDB file."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from matching.discrepancies import FINDINGS_SCHEMA
from popdq.errors import Conflict, NotFound, PopdqError
from popdq.localities import Locality, parse_locality
from warehouse.db import open_warehouse
from warehouse.findings import replace_findings
from warehouse.queue import (
    act_on_items,
    audit_trail,
    count_by_status,
    find_items,
    page_of_items,
    read_item,
    sync_queue,
)
from warehouse.scope import in_locality


def finding(record_id: str, kind: str = "name_mismatch", value: str = "Nguyen Van A",
            province: str = "79") -> dict[str, object]:
    return {
        "source": "tax", "record_id": record_id, "kind": kind, "field": "full_name",
        "criterion": "correct", "person_id": "P" + record_id, "source_value": value,
        "registry_value": "Nguyễn Văn An", "province": province, "commune": None,
        "detail": "name differs", "priority": 50, "group_id": None,
    }


def findings(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=FINDINGS_SCHEMA)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_warehouse(tmp_path / "w.duckdb") as connection:
        yield connection


def snapshot(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT * EXCLUDE (last_seen_run) FROM queue_items ORDER BY item_id").fetchall()


def statuses(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT record_id, status FROM queue_items").fetchall())


def audit_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM queue_audit").fetchall()[0][0])


def sync(con: duckdb.DuckDBPyConnection, run_id: int, frame: pl.DataFrame,
         locality: Locality | None = None) -> str:
    """A night whose findings for tax (in the locality) are `frame`, as publish leaves them."""
    where, params = in_locality(locality)
    con.execute(f"DELETE FROM findings WHERE source = 'tax' AND {where}", params)
    replace_findings(con, run_id=run_id, source="tax", findings=frame,
                     records=frame.get_column("record_id"))
    return str(sync_queue(con, run_id=run_id, sources=["tax"], locality=locality))


def test_an_unchanged_night_leaves_the_queue_identical(con: duckdb.DuckDBPyConnection) -> None:
    tonight = findings(finding("R1"), finding("R2", kind="dob_mismatch"))
    assert sync(con, 1, tonight) == "2 new, 0 updated, 0 reopened, 0 fixed at source"
    before, audits = snapshot(con), audit_count(con)
    assert sync(con, 2, tonight) == "0 new, 0 updated, 0 reopened, 0 fixed at source"
    assert snapshot(con) == before
    assert audit_count(con) == audits
    assert con.execute("SELECT DISTINCT last_seen_run FROM queue_items").fetchall() == [(2,)]


def test_changes_open_update_or_close_exactly_the_affected_items(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sync(con, 1, findings(finding("R1"), finding("R2"), finding("R3")))
    summary = sync(con, 2, findings(finding("R1"), finding("R2", value="Nguyen Van B"),
                                    finding("R4")))
    assert summary == "1 new, 1 updated, 0 reopened, 1 fixed at source"
    assert statuses(con) == {"R1": "open", "R2": "open", "R3": "fixed_at_source", "R4": "open"}
    assert con.execute("SELECT source_value FROM queue_items WHERE record_id = 'R2'"
                       ).fetchall() == [("Nguyen Van B",)]
    # the finding comes back: the closed item reopens, never a second item
    assert sync(con, 3, findings(finding("R1"), finding("R2", value="Nguyen Van B"),
                                 finding("R3"), finding("R4"))).startswith("0 new")
    assert statuses(con)["R3"] == "open"
    assert con.execute("SELECT count(*) FROM queue_items").fetchall() == [(4,)]


def test_rejected_stays_closed_until_the_values_change(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1")))
    act_on_items(con, [1], "reject", actor="lan", note="nickname, not an error")
    sync(con, 2, findings(finding("R1")))
    assert statuses(con) == {"R1": "rejected"}
    sync(con, 3, findings(finding("R1", value="Nguyen Van X")))
    assert statuses(con) == {"R1": "open"}
    assert [r["action"] for r in audit_trail(con, 1).iter_rows(named=True)] == [
        "created", "rejected", "reopened"]


def test_a_locality_sync_leaves_other_localities_alone(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1", province="79"), finding("R2", province="01")))
    sync(con, 2, findings(), locality=parse_locality("79"))
    assert statuses(con) == {"R1": "fixed_at_source", "R2": "open"}


def test_reviewer_actions_are_audited_with_who_when_what_why(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sync(con, 1, findings(finding("R1"), finding("R2"), finding("R3")))
    assert act_on_items(con, [1, 2], "assign", actor="lan", note=None, assignee="team-79") == 2
    act_on_items(con, [1], "resolve", actor="minh", note="corrected in BHXH system")
    trail = audit_trail(con, 1).to_dicts()
    assert [(t["actor"], t["action"], t["old_status"], t["new_status"], t["note"])
            for t in trail] == [
        ("popdq-nightly", "created", None, "open", None),
        ("lan", "assigned", "open", "in_review", None),
        ("minh", "resolved", "in_review", "resolved", "corrected in BHXH system"),
    ]
    assert trail[1]["new_assignee"] == "team-79" and trail[0]["changed_at"] is not None
    with pytest.raises(PopdqError, match="needs a note"):
        act_on_items(con, [3], "reject", actor="lan", note=" ")
    with pytest.raises(PopdqError, match="item 1 is resolved: cannot reject"):
        act_on_items(con, [3, 1], "reject", actor="lan", note="x")
    assert statuses(con)["R3"] == "open"  # all or nothing
    with pytest.raises(PopdqError, match="no queue item 99"):
        act_on_items(con, [99], "resolve", actor="lan", note="x")
    assert [r["record_id"] for r in find_items(con, {"assignee": "team-79"}).to_dicts()] == [
        "R1", "R2"]


def test_every_status_is_explained_by_the_last_audit_row(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1"), finding("R2"), finding("R3")))
    act_on_items(con, [1], "reject", actor="lan", note="fine")
    act_on_items(con, [2], "assign", actor="lan", note=None, assignee="minh")
    sync(con, 2, findings(finding("R1"), finding("R2")))
    act_on_items(con, [3], "reopen", actor="lan", note="not fixed")
    mismatched = con.execute(
        "SELECT q.item_id FROM queue_items q JOIN (SELECT item_id, arg_max(new_status, audit_id)"
        " AS last FROM queue_audit GROUP BY item_id) a USING (item_id) WHERE q.status <> a.last"
    ).fetchall()
    assert mismatched == []
    assert statuses(con) == {"R1": "rejected", "R2": "in_review", "R3": "open"}


def test_filters_are_validated(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(PopdqError, match="cannot filter the queue on 'note'"):
        find_items(con, {"note": "x"})


def test_an_action_on_a_version_that_changed_is_a_conflict_and_changes_nothing(
        con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1")))
    (item_id,) = [int(i) for (i,) in con.execute("SELECT item_id FROM queue_items").fetchall()]
    shown = int(con.execute("SELECT version FROM queue_items").fetchall()[0][0])
    assert act_on_items(con, [item_id], "assign", actor="a", note=None, assignee="a",
                        expected={item_id: shown}) == 1
    before = (snapshot(con), audit_count(con))
    with pytest.raises(Conflict, match=r"changed since you opened it \(now in_review, assigned"):
        act_on_items(con, [item_id], "resolve", actor="b", note="fixed",
                     expected={item_id: shown})
    assert (snapshot(con), audit_count(con)) == before
    assert act_on_items(con, [item_id], "resolve", actor="a", note="fixed",
                        expected={item_id: shown + 1}) == 1


def test_a_night_that_refreshes_an_item_moves_its_version_on(
        con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1"), finding("R2")))
    sync(con, 2, findings(finding("R1", value="Nguyen Van B"), finding("R2")))
    assert dict(con.execute("SELECT record_id, version FROM queue_items").fetchall()) == {
        "R1": 1, "R2": 0}


def test_pages_follow_queue_order_by_key_within_a_scope(
        con: duckdb.DuckDBPyConnection) -> None:
    rows = [{**finding(f"R{i:02}", province="79" if i % 3 else "01"), "priority": i % 4}
            for i in range(30)]
    sync(con, 1, findings(*rows))
    scope = [parse_locality("79")]
    everything = find_items(con, {}, scope=scope)
    assert everything.height == 20 and set(everything["province"]) == {"79"}
    pages, after = [], None
    while True:
        page = page_of_items(con, {}, None, scope, after=after, limit=7)
        if page.is_empty():
            break
        pages.append(page)
        after = (page["priority"][-1], page["item_id"][-1])
    assert pl.concat(pages)["item_id"].to_list() == everything["item_id"].to_list()
    back = page_of_items(con, {}, None, scope, before=(pages[1]["priority"][0],
                                                       pages[1]["item_id"][0]), limit=7)
    assert back["item_id"].to_list() == pages[0]["item_id"].to_list()
    assert count_by_status(con, {"status": "open"}, None, scope) == {"open": 20}


def test_an_item_outside_the_scope_is_no_item(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings(finding("R1", province="01")))
    item_id = int(con.execute("SELECT item_id FROM queue_items").fetchall()[0][0])
    assert read_item(con, item_id, None)["record_id"] == "R1"
    for scope in ([parse_locality("40")], [parse_locality("26704")], []):
        with pytest.raises(NotFound, match=f"no queue item {item_id}"):
            read_item(con, item_id, scope)


def test_a_commune_s_scope_holds_its_items_only(con: duckdb.DuckDBPyConnection) -> None:
    sync(con, 1, findings({**finding("R1"), "commune": "26704"},
                          {**finding("R2"), "commune": "26734"}, finding("R3")))
    ids = dict(con.execute("SELECT record_id, item_id FROM queue_items").fetchall())
    scope = [parse_locality("26704")]
    assert find_items(con, {}, scope=scope)["record_id"].to_list() == ["R1"]
    assert read_item(con, int(ids["R1"]), scope)["commune"] == "26704"
    with pytest.raises(NotFound):
        read_item(con, int(ids["R3"]), scope)
    assert find_items(con, {}, scope=[parse_locality("79")]).height == 3
