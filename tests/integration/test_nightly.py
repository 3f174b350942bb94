"""The nightly flow through the CLI: a stable queue, exact updates, locality reruns."""

import csv
import json
import os
import urllib.request
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest

from tests.integration.conftest import load_world, popdq, query

pytestmark = pytest.mark.usefixtures("shared_prefect")

FILES = ("registry", "social_insurance", "tax", "health_insurance")


def run(db: Path, *args: str) -> str:
    result = popdq("run", "--as-of", "2026-07-01", *args, "--warehouse", db)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def rewrite(path: Path, out: Path, change: dict[str, dict[str, str]], drop: set[str]) -> Path:
    """Copy a source CSV with some records changed and some dropped."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            if row["record_id"] not in drop:
                writer.writerow({**row, **change.get(row["record_id"], {})})
    return out


@pytest.fixture(scope="module")
def warehouse(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = load_world(world, tmp_path_factory.mktemp("nightly") / "w.duckdb")
    assert "queue: " in run(db)
    return db


ITEMS = "SELECT * EXCLUDE (last_seen_run) FROM queue_items ORDER BY item_id"


def test_an_unchanged_night_leaves_queue_and_exports_identical(
    warehouse: Path, tmp_path: Path
) -> None:
    before = query(warehouse, ITEMS)
    audits = query(warehouse, "SELECT count(*) FROM queue_audit")
    for name in ("matches", "discrepancies"):
        popdq("export", name, "--out", tmp_path / f"{name}-1.csv", "--warehouse", warehouse)
    assert "0 new, 0 updated, 0 reopened, 0 fixed at source" in run(warehouse)
    assert query(warehouse, ITEMS) == before
    assert query(warehouse, "SELECT count(*) FROM queue_audit") == audits
    for name in ("matches", "discrepancies"):
        popdq("export", name, "--out", tmp_path / f"{name}-2.csv", "--warehouse", warehouse)
        first = (tmp_path / f"{name}-1.csv").read_bytes()
        assert first == (tmp_path / f"{name}-2.csv").read_bytes()


def test_exports_of_one_locality_as_a_workbook(warehouse: Path, tmp_path: Path) -> None:
    csv_out, xlsx_out = tmp_path / "d.csv", tmp_path / "d.xlsx"
    for out in (csv_out, xlsx_out):
        assert popdq("export", "discrepancies", "--locality", "79", "--out", out,
                     "--warehouse", warehouse).returncode == 0
    with csv_out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    mine = cast(int, query(warehouse, "SELECT count(*) FROM findings WHERE province = '79'"
                           )[0][0])
    assert len(rows) - 1 == mine > 0
    sheet = openpyxl.load_workbook(xlsx_out, read_only=True).worksheets[0]
    cells = [["" if v is None else str(v) for v in row] for row in sheet.values]
    assert cells == rows  # the contract's columns, the same rows as the CSV


def test_a_locality_rerun_recomputes_only_that_locality(warehouse: Path) -> None:
    others = "SELECT * FROM matches WHERE province <> '79' OR province IS NULL ORDER BY ALL"
    before = query(warehouse, others)
    mine = query(warehouse, "SELECT * EXCLUDE (run_id) FROM matches WHERE province = '79'"
                            " ORDER BY ALL")
    out = run(warehouse, "--locality", "79")
    assert "0 new, 0 updated, 0 reopened, 0 fixed at source" in out
    assert query(warehouse, others) == before
    run_id = query(warehouse, "SELECT max(run_id) FROM runs")[0][0]
    assert query(warehouse, "SELECT * EXCLUDE (run_id) FROM matches WHERE province = '79'"
                            " ORDER BY ALL") == mine  # same rows a full run gives
    assert query(warehouse, "SELECT DISTINCT run_id FROM matches WHERE province = '79'"
                 ) == [(run_id,)]


def test_a_single_source_run_reuses_the_full_runs_model(warehouse: Path) -> None:
    models = query(warehouse, "SELECT count(*) FROM link_models")
    before = query(warehouse, ITEMS)
    assert "0 new, 0 updated, 0 reopened, 0 fixed at source" in run(warehouse, "--source", "tax")
    assert query(warehouse, "SELECT count(*) FROM link_models") == models  # nothing trained
    assert query(warehouse, ITEMS) == before


def test_changed_data_touches_exactly_the_affected_items(
    warehouse: Path, world: Path, tmp_path: Path
) -> None:
    open_items = dict(cast(list[tuple[str, int]], query(
        warehouse, "SELECT record_id, item_id FROM queue_items WHERE"
                   " source = 'tax' AND kind = 'name_mismatch'"
                   " AND status = 'open' ORDER BY record_id")))
    fixed = next(iter(open_items))  # its name will be corrected at source
    registry_name = query(warehouse, "SELECT registry_value FROM queue_items"
                          f" WHERE item_id = {open_items[fixed]}")[0][0]
    clean = query(warehouse, "SELECT record_id FROM matches m WHERE source = 'tax'"
                  " AND decision = 'match' AND NOT EXISTS (SELECT 1 FROM findings f"
                  " WHERE f.source = 'tax' AND f.record_id = m.record_id) ORDER BY 1 LIMIT 1")
    broken = cast(str, clean[0][0])  # gets a substantive name error
    new_name = "Zzyx Qwerty Vbnm"
    changed = rewrite(world / "tax.csv", tmp_path / "tax.csv",
                      {fixed: {"full_name": str(registry_name)},
                       broken: {"full_name": new_name}}, drop=set())
    before = {r[0]: r[1:] for r in query(
        warehouse, "SELECT item_id, status, source_value FROM queue_items")}
    assert popdq("load", "tax", changed, "--warehouse", warehouse).returncode == 0
    out = run(warehouse)
    after = {r[0]: r[1:] for r in query(
        warehouse, "SELECT item_id, status, source_value FROM queue_items")}
    new = set(after) - set(before)
    differing = {i for i in before if before[i] != after[i]}
    assert differing == {open_items[fixed]}
    assert after[open_items[fixed]][0] == "fixed_at_source"
    assert {query(warehouse, f"SELECT record_id FROM queue_items WHERE item_id = {i}")[0][0]
            for i in new} == {broken}
    assert "fixed at source" in out


def test_every_command_change_is_audited(warehouse: Path) -> None:
    item = query(warehouse, "SELECT item_id FROM queue_items WHERE status = 'open'"
                            " ORDER BY item_id LIMIT 1")[0][0]
    steps = [
        ("assign", str(item), "--to", "team-79"),
        ("resolve", str(item), "--note", "corrected"),
        ("reopen", str(item), "--note", "not corrected after all"),
        ("reject", str(item), "--note", "nickname"),
    ]
    for step in steps:
        result = popdq("queue", *step, "--by", "lan", "--warehouse", warehouse)
        assert result.returncode == 0, result.stderr
    rows = query(warehouse, "SELECT actor, action, old_status, new_status, note FROM queue_audit"
                            f" WHERE item_id = {item} AND actor = 'lan' ORDER BY audit_id")
    assert rows == [
        ("lan", "assigned", "open", "in_review", None),
        ("lan", "resolved", "in_review", "resolved", "corrected"),
        ("lan", "reopened", "resolved", "open", "not corrected after all"),
        ("lan", "rejected", "open", "rejected", "nickname"),
    ]
    refused = popdq("queue", "resolve", str(item), "--warehouse", warehouse)
    assert refused.returncode == 2 and "--note" in refused.stderr
    shown = popdq("queue", "show", str(item), "--warehouse", warehouse)
    assert shown.returncode == 0 and "why it linked" in shown.stdout
    assert "••••" in shown.stdout  # identifiers masked by default


def prefect(path: str, body: dict[str, object]) -> list[dict[str, Any]]:
    """POST to the shared Prefect server's API (PREFECT_API_URL)."""
    request = urllib.request.Request(f"{os.environ['PREFECT_API_URL']}{path}", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return cast(list[dict[str, Any]], json.loads(response.read()))


def test_a_run_shows_its_summary_findings_and_progress_in_prefect(warehouse: Path) -> None:
    """The module's first run (other modules' runs share the server: its report's path
    tells this one's artifacts)."""
    first = query(warehouse, "SELECT min(run_id) FROM runs")[0][0]
    every = prefect("/artifacts/filter", {"artifacts": {"key": {"any_": [
        "popdq-run-summary", "popdq-findings"]}}})
    report = (warehouse.parent / "reports" / f"run-{first:05d}.html").as_uri()
    summary = next(a for a in every if report in (a["data"] or ""))
    assert summary["type"] == "markdown"
    assert f"# popdq run {first} (incremental, as of 2026-07-01)" in summary["data"]
    for text in ("| tax |", "| correct (đúng) |", "Queue: ", "| match |", "| report |"):
        assert text in summary["data"], text
    findings = next(a for a in every if a["key"] == "popdq-findings"
                    and a["flow_run_id"] == summary["flow_run_id"])
    table = json.loads(findings["data"])
    assert set(table[0]) == {"criterion", "source", "province", "findings"}
    logs = [log["message"] for log in prefect("/logs/filter", {"logs": {
        "flow_run_id": {"any_": [summary["flow_run_id"]]}}})]
    assert any(message.startswith("validated registry:") for message in logs)
    assert any("records linked in" in message for message in logs)
