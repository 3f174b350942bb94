"""The use cases behind the commands (popdq.commands), without the click layer."""

import io
from pathlib import Path

import polars as pl
import pytest

from matching.discrepancies import FINDINGS_SCHEMA
from popdq import commands
from popdq.accounts import Claim
from popdq.errors import BadParameter, Conflict, NotAllowed, NotFound, PopdqError, SignedOut
from popdq.localities import parse_locality
from warehouse.db import connect, open_warehouse
from warehouse.findings import replace_findings
from warehouse.queue import sync_queue

REGISTRY = (
    "person_id,full_name,date_of_birth,sex,province_code,commune_code,status\n"
    "001090000001,Nguyễn Văn An,1990-01-02,M,01,00004,alive\n"
    "001090000001,Nguyễn Văn Bình,1990-01-02,M,01,00004,alive\n"
    ",Lê Thị Cúc,1990,F,01,00004,alive\n"
    "079090000002,Trần Văn Đức,1990,M,79,26704,alive\n"
)


def finding(record_id: str, province: str) -> dict[str, object]:
    return {"source": "tax", "record_id": record_id, "person_id": None,
            "criterion": "sufficient", "kind": "not_in_registry", "field": "person_id",
            "source_value": "Nguyen Van A", "registry_value": None, "province": province,
            "commune": None, "detail": "no registry person matches this record",
            "priority": 30, "group_id": None}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse with a registry and three open queue items (two in 01, one in 79)."""
    db = tmp_path / "w.duckdb"
    (tmp_path / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    commands.load(db, "registry", tmp_path / "registry.csv", "steward")
    found = pl.DataFrame([finding("T1", "01"), finding("T2", "01"), finding("T3", "79")],
                         schema=FINDINGS_SCHEMA)
    with open_warehouse(db) as con:
        replace_findings(con, run_id=1, source="tax", findings=found,
                         records=found.get_column("record_id"))
        sync_queue(con, run_id=1, sources=["tax"])
    return db


def test_load_reports_counts_and_quarantined_lines_per_rule(warehouse: Path,
                                                            tmp_path: Path) -> None:
    summary = commands.load(warehouse, "registry", tmp_path / "registry.csv", "steward")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (4, 2, 2)
    assert summary.quarantined_lines == {"duplicate_key": [3], "empty_key": [4]}


def test_commands_that_read_refuse_a_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(PopdqError, match="no warehouse here"):
        commands.list_items(tmp_path / "none.duckdb", {}, None, 10)
    assert not (tmp_path / "none.duckdb").exists()


def test_list_items_filters_by_locality_and_counts(warehouse: Path) -> None:
    items, total = commands.list_items(warehouse, {}, parse_locality("01"), limit=1)
    assert (items.height, total) == (1, 2)
    assert set(commands.list_items(warehouse, {"kind": "not_in_registry"}, None, 10)[0]
               ["record_id"]) == {"T1", "T2", "T3"}


def test_acting_on_a_filter_touches_only_what_it_matches(warehouse: Path) -> None:
    ids = commands.items_to_act_on(warehouse, "resolve", [], {}, parse_locality("79"))
    assert len(ids) == 1
    assert commands.act(warehouse, "resolve", ids, by="reviewer", note="fixed",
                        assignee=None) == 1
    assert commands.items_to_act_on(warehouse, "resolve", [], {}, parse_locality("79")) == []
    with pytest.raises(PopdqError, match="not both"):
        commands.items_to_act_on(warehouse, "resolve", [1], {"kind": "x"}, None)
    with pytest.raises(PopdqError, match="give item ids, or filters"):
        commands.items_to_act_on(warehouse, "resolve", [], {}, None)


def test_show_item_gathers_the_record_and_audits_an_unmasked_view(warehouse: Path) -> None:
    view = commands.show_item(warehouse, 1, unmask=False, by="reviewer")
    assert view.item["record_id"] == "T1" and view.flagged == {"person_id"}
    assert view.audit["action"].to_list() == ["created"]
    unmasked = commands.show_item(warehouse, 1, unmask=True, by="reviewer")
    assert unmasked.audit["action"].to_list() == ["created", "viewed_unmasked"]


def test_export_writes_the_queue_and_refuses_matches_before_a_run(warehouse: Path,
                                                                  tmp_path: Path) -> None:
    assert commands.export(warehouse, "queue", None, tmp_path / "queue.csv") == 3
    assert pl.read_csv(tmp_path / "queue.csv").height == 3
    with pytest.raises(PopdqError, match="no matches yet"):
        commands.export(warehouse, "matches", None, tmp_path / "matches.csv")


def test_loaded_datasets_returns_what_is_loaded(warehouse: Path, tmp_path: Path) -> None:
    assert list(commands.loaded_datasets(warehouse)) == ["registry"]
    with open_warehouse(tmp_path / "empty.duckdb"):
        pass
    with pytest.raises(PopdqError, match="nothing loaded yet"):
        commands.loaded_datasets(tmp_path / "empty.duckdb")


def test_export_writes_csv_to_a_stream_for_out_dash(warehouse: Path) -> None:
    sink = io.BytesIO()
    assert commands.export(warehouse, "queue", None, sink) == 3
    assert pl.read_csv(io.BytesIO(sink.getvalue())).height == 3


def test_reading_commands_open_the_warehouse_read_only(warehouse: Path, tmp_path: Path) -> None:
    """While the file is held read-only in this process (as a read-only mount would hold
    it), reads work, and a write cannot start."""
    reader = connect(warehouse, read_only=True)
    try:
        assert commands.list_items(warehouse, {}, None, 10)[1] == 3
        assert commands.show_item(warehouse, 1, unmask=False, by="r").item["record_id"] == "T1"
        assert commands.export(warehouse, "queue", None, tmp_path / "q.csv") == 3
        assert list(commands.loaded_datasets(warehouse)) == ["registry"]
        with pytest.raises(PopdqError, match="cannot open the warehouse"):
            commands.act(warehouse, "resolve", [1], by="r", note="n", assignee=None)
        with pytest.raises(PopdqError, match="cannot open the warehouse"):
            commands.show_item(warehouse, 1, unmask=True, by="r")  # the audit is a write
    finally:
        reader.close()


def test_synthesise_refuses_a_folder_with_files_before_building_anything(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BadParameter, match="not empty"):
        commands.synthesise(10_000_000, 1, tmp_path)  # refused at once, not after the build
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


PASSWORD = "correct horse battery"


def users(warehouse: Path) -> dict[str, Claim]:
    """A reviewer of 79, a steward and an auditor, signed in."""
    commands.add_user(warehouse, "rev79", "reviewer", [parse_locality("79")], PASSWORD, by="t")
    commands.add_user(warehouse, "boss", "steward", [], PASSWORD, by="t")
    commands.add_user(warehouse, "audit", "auditor", [], PASSWORD, by="t")
    claims = {name: commands.sign_in(warehouse, name, PASSWORD) for name in ("rev79", "boss",
                                                                               "audit")}
    assert all(claims.values())
    return {name: claim for name, claim in claims.items() if claim}


def item_of(warehouse: Path, record_id: str) -> tuple[int, int]:
    with open_warehouse(warehouse, read_only=True) as con:
        found = con.execute("SELECT item_id, version FROM queue_items WHERE record_id = ?",
                            [record_id]).fetchall()
    return int(found[0][0]), int(found[0][1])


def test_a_session_holds_while_its_account_is_enabled_with_the_same_password(
        warehouse: Path) -> None:
    claim = users(warehouse)["rev79"]
    assert commands.sign_in(warehouse, "rev79", PASSWORD + "!") is None
    assert commands.sign_in(warehouse, "nobody", PASSWORD) is None
    assert commands.whoami(warehouse, claim).name == "rev79"
    commands.reset_password(warehouse, "rev79", PASSWORD + "2", by="t")
    with pytest.raises(SignedOut):
        commands.whoami(warehouse, claim)
    fresh = commands.sign_in(warehouse, "rev79", PASSWORD + "2")
    assert fresh is not None and commands.whoami(warehouse, fresh).name == "rev79"
    commands.disable_user(warehouse, "rev79", by="t")
    assert commands.sign_in(warehouse, "rev79", PASSWORD + "2") is None
    with pytest.raises(SignedOut):
        commands.whoami(warehouse, fresh)


def test_a_reviewer_sees_and_acts_on_the_items_of_their_localities_only(
        warehouse: Path) -> None:
    claims = users(warehouse)
    mine = commands.inbox(warehouse, claims["rev79"], {}, None)
    assert (mine.total, mine.items["record_id"].to_list()) == (1, ["T3"])
    assert commands.inbox(warehouse, claims["boss"], {}, None).total == 3
    (other, version), (own, own_version) = item_of(warehouse, "T1"), item_of(warehouse, "T3")
    with pytest.raises(NotFound):
        commands.open_item(warehouse, claims["rev79"], other)
    with pytest.raises(NotFound):
        commands.act_as(warehouse, claims["rev79"], "resolve", {other: version}, note="x")
    with pytest.raises(NotAllowed):
        commands.act_as(warehouse, claims["audit"], "resolve", {own: own_version}, note="x")
    with pytest.raises(NotAllowed):
        commands.act_as(warehouse, claims["rev79"], "assign", {own: own_version}, note=None,
                        assignee="someone-else")
    assert commands.act_as(warehouse, claims["rev79"], "assign", {own: own_version},
                           note=None, assignee="rev79") == 1
    assert commands.inbox(warehouse, claims["rev79"], {"mine": "1"}, None).total == 1
    with pytest.raises(Conflict):
        commands.act_as(warehouse, claims["boss"], "resolve", {own: own_version}, note="late")
    assert item_of(warehouse, "T1") == (other, version)


def test_a_bulk_action_acts_only_on_the_count_confirmed(warehouse: Path) -> None:
    boss = users(warehouse)["boss"]
    one = parse_locality("01")
    assert commands.bulk_count(warehouse, boss, "reject", {}, one) == 2
    with pytest.raises(Conflict, match="now matches 2 items, not the 3"):
        commands.bulk_act(warehouse, boss, "reject", {}, one, confirmed=3, note="dup",
                          assignee=None)
    assert commands.bulk_act(warehouse, boss, "reject", {}, one, confirmed=2, note="dup",
                             assignee=None) == 2
    _, audit = commands.read_audit(warehouse, boss, actor="boss", before=None)
    assert audit.select("action", "note").rows() == [("rejected", "dup")] * 2
