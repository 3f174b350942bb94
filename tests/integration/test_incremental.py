"""Incremental nightly runs publish exactly what a full run publishes, and redo only what
changed (issue: a run costs what changed)."""

import csv
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.integration.conftest import load_world, popdq, query

pytestmark = pytest.mark.usefixtures("shared_prefect")

FILES = ("registry", "social_insurance", "tax", "health_insurance")
EXPORTS = ("matches", "discrepancies", "queue")


def run(db: Path, *args: str) -> str:
    result = popdq("run", "--as-of", "2026-07-01", *args, "--warehouse", db)
    assert result.returncode == 0, result.stderr
    return result.stdout


def exports(db: Path, out: Path) -> dict[str, bytes]:
    found = {}
    for name in EXPORTS:
        assert popdq("export", name, "--out", out / f"{name}.csv", "--warehouse", db
                     ).returncode == 0
        found[name] = (out / f"{name}.csv").read_bytes()
    return found


def unseen(queue: bytes) -> pl.DataFrame:
    """The queue export without the column that says which run last saw each item."""
    return pl.read_csv(queue, infer_schema=False).drop("last_seen_run")


def last_run(db: Path) -> dict[str, object]:
    run_id, mode, model_run_id, counts = query(
        db, "SELECT run_id, mode, model_run_id, counts FROM runs ORDER BY run_id DESC LIMIT 1")[0]
    return {"run_id": run_id, "mode": mode, "model_run_id": model_run_id,
            "counts": json.loads(str(counts))}


def relinked(db: Path) -> int:
    counts = last_run(db)["counts"]
    assert isinstance(counts, dict)
    return sum(int(c["relinked"]) for c in counts.values())


def edit(path: Path, out: Path, change: dict[str, dict[str, str]], drop: set[str],
         add: list[dict[str, str]]) -> Path:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    key = next(iter(rows[0]))
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            if row[key] not in drop:
                writer.writerow({**row, **change.get(row[key], {})})
        for row in add:
            writer.writerow({**rows[0], **row})
    return out


@pytest.fixture(scope="module")
def warehouse(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = load_world(world, tmp_path_factory.mktemp("incremental") / "w.duckdb")
    run(db)
    return db


def test_the_results_do_not_depend_on_the_partitions(warehouse: Path, tmp_path: Path) -> None:
    """A full run in partitions of 500 rows (about a dozen per dataset and step: validation,
    preparation, linking, findings) publishes what the run in one partition published."""
    shutil.copy(warehouse, tmp_path / "w.duckdb")
    result = popdq("run", "--as-of", "2026-07-01", "--full", "--warehouse",
                   tmp_path / "w.duckdb", env={"POPDQ_PARTITION_ROWS": "500"})
    assert result.returncode == 0, result.stderr
    (tmp_path / "one").mkdir()
    one, many = exports(warehouse, tmp_path / "one"), exports(tmp_path / "w.duckdb", tmp_path)
    assert one["matches"] == many["matches"]
    assert one["discrepancies"] == many["discrepancies"]
    assert_frame_equal(unseen(one["queue"]), unseen(many["queue"]))


def test_the_results_do_not_depend_on_the_runner(warehouse: Path, tmp_path: Path) -> None:
    """The partition tasks on a Dask LocalCluster of two worker processes (each with a
    memory limit), in partitions of 500 rows, publish what the local runner published."""
    shutil.copy(warehouse, tmp_path / "w.duckdb")
    result = popdq("run", "--as-of", "2026-07-01", "--full", "--executor", "dask",
                   "--warehouse", tmp_path / "w.duckdb",
                   env={"POPDQ_PARTITION_ROWS": "500", "POPDQ_MEMORY_LIMIT": "4GB"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # Dask's and Prefect's own logging stay off the terminal
    (tmp_path / "local").mkdir()
    local, dask = exports(warehouse, tmp_path / "local"), exports(tmp_path / "w.duckdb", tmp_path)
    assert local["matches"] == dask["matches"]
    assert local["discrepancies"] == dask["discrepancies"]
    assert_frame_equal(unseen(local["queue"]), unseen(dask["queue"]))
    (resources,) = query(tmp_path / "w.duckdb", "SELECT resources FROM runs"
                         " ORDER BY run_id DESC LIMIT 1")[0]
    workers = json.loads(str(resources))["workers"]
    assert len(workers) == 2, workers  # the two workers did every partition, the client none


def test_an_unchanged_night_and_an_identical_reload_redo_nothing(
    warehouse: Path, world: Path, tmp_path: Path,
) -> None:
    before = exports(warehouse, tmp_path)
    links = query(warehouse, "SELECT * FROM matches ORDER BY source, record_id")
    run(warehouse)
    assert (last_run(warehouse)["mode"], relinked(warehouse)) == ("incremental", 0)
    for name in ("registry", "tax"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", warehouse
                     ).returncode == 0
    run(warehouse)
    assert relinked(warehouse) == 0
    assert query(warehouse, "SELECT * FROM matches ORDER BY source, record_id") == links
    after = exports(warehouse, tmp_path)
    assert (after["matches"], after["discrepancies"]) == (before["matches"],
                                                         before["discrepancies"])
    assert_frame_equal(unseen(after["queue"]), unseen(before["queue"]))  # last_seen_run moved


def test_after_changes_an_incremental_run_publishes_what_a_full_run_does(
    warehouse: Path, world: Path, tmp_path: Path,
) -> None:
    with (world / "registry.csv").open(encoding="utf-8") as f:
        people = list(csv.DictReader(f))
    alive = [p for p in people if p["status"] == "alive"]
    died, corrected, twin = alive[3], alive[5], alive[7]
    registry = edit(world / "registry.csv", tmp_path / "registry.csv",
                    {died["person_id"]: {"status": "deceased", "date_of_death": "2026-03-01"},
                     corrected["person_id"]: {"date_of_birth": "1961-02-03"}},
                    drop=set(),
                    add=[{**twin, "person_id": "079299999999", "date_of_birth": "1999-09-09"}])
    with (world / "tax.csv").open(encoding="utf-8") as f:
        tax = list(csv.DictReader(f))
    extract = edit(world / "tax.csv", tmp_path / "tax.csv",
                   {r["record_id"]: {"full_name": r["full_name"] + " Văn"} for r in tax[:20]},
                   drop={r["record_id"] for r in tax[20:35]},
                   add=[{**r, "record_id": "NEW-" + r["record_id"]} for r in tax[40:45]])
    for name, path in (("registry", registry), ("tax", extract)):
        assert popdq("load", name, path, "--warehouse", warehouse).returncode == 0
    twin_db = tmp_path / "full" / "w.duckdb"
    twin_db.parent.mkdir()
    shutil.copy(warehouse, twin_db)

    out = run(warehouse)
    counted = last_run(warehouse)["counts"]
    assert isinstance(counted, dict)
    assert 0 < relinked(warehouse) < sum(int(c["records"]) for c in counted.values()) // 10
    assert "fixed at source" in out
    run(twin_db, "--full")
    assert last_run(twin_db)["mode"] == "full"
    assert exports(warehouse, tmp_path) == exports(twin_db, tmp_path / "full")


def test_retrain_makes_a_new_model_version_that_later_runs_use(warehouse: Path) -> None:
    models = int(str(query(warehouse, "SELECT count(*) FROM link_models")[0][0]))
    run(warehouse, "--retrain")
    trained = last_run(warehouse)
    assert trained["model_run_id"] == trained["run_id"]
    assert query(warehouse, "SELECT count(*) FROM link_models")[0][0] == models + 1
    run(warehouse)
    assert last_run(warehouse)["model_run_id"] == trained["run_id"]
    assert relinked(warehouse) == 0
