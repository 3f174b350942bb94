"""Each task of the nightly flow, called as a plain function (`task.fn`) on a real warehouse.

The flow itself runs through Prefect in tests/integration; here each step is
checked on its own: what it reads, what it returns, what it writes.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

import synth
from flows import nightly
from flows.clock import Clock
from popdq.contract import DATASETS
from popdq.errors import BadParameter, PopdqError
from popdq.localities import parse_locality
from warehouse.datasets import load_file
from warehouse.db import open_warehouse
from warehouse.reporting import source_names

AS_OF = dt.date(2026, 7, 1)
SOURCES = ["social_insurance", "tax", "health_insurance"]


@dataclass(frozen=True)
class Night:
    warehouse: Path
    run_id: int
    prepared: nightly.Prepared
    numbers: pl.DataFrame
    model: nightly.Model
    work: dict[str, nightly.Work]
    links: dict[str, nightly.Linked]
    found: dict[str, nightly.Found]


def count(warehouse: Path, sql: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """A 2,000-person world loaded, then every step of one full run in order."""
    folder = tmp_path_factory.mktemp("night")
    files = synth.write_world(synth.generate_world(2000, 11), folder / "world")
    warehouse = folder / "w.duckdb"
    with open_warehouse(warehouse) as con:
        for kind in ("registry", *SOURCES):
            load_file(con, kind, files[kind], loaded_by="test")
    run_id = nightly.open_run.fn(warehouse, AS_OF, None, None, "incremental")
    sources = nightly.check_datasets.fn(warehouse, None)
    assert nightly.validate.fn(warehouse, run_id, ["registry", *sources], False) == [
        "registry", *sources]
    prepared = nightly.prepare(warehouse, run_id, sources, None, False)
    numbers = nightly.gather_evidence.fn(prepared)
    assert numbers.height > 0
    model = nightly.choose_model.fn(warehouse, prepared, numbers, partial=False, retrain=False)
    work = nightly.plan_work.fn(warehouse, prepared, model, numbers, locality=None,
                                everything=False)
    links = nightly.link_records(warehouse, run_id, model, prepared, work)
    found = nightly.find_discrepancies(warehouse, run_id, prepared, work, links, AS_OF)
    return Night(warehouse, run_id, prepared, numbers, model, work, links, found)


def test_open_run_records_a_running_run(night: Night) -> None:
    assert count(night.warehouse,
                 f"SELECT count(*) FROM runs WHERE run_id = {night.run_id}") == 1


def test_check_datasets_names_the_sources_and_refuses_what_is_missing(
    night: Night, tmp_path: Path,
) -> None:
    assert nightly.check_datasets.fn(night.warehouse, None) == SOURCES
    assert nightly.check_datasets.fn(night.warehouse, "tax") == ["tax"]
    with open_warehouse(tmp_path / "empty.duckdb"):
        pass
    with pytest.raises(PopdqError, match="the registry is not loaded"):
        nightly.check_datasets.fn(tmp_path / "empty.duckdb", None)


def test_validate_keeps_results_per_dataset_version_and_does_not_repeat(night: Night) -> None:
    stored = count(night.warehouse, "SELECT count(DISTINCT dataset) FROM validation_results"
                                    f" WHERE run_id = {night.run_id}")
    assert stored == 4
    kinds = ["registry", *SOURCES]
    assert nightly.validate.fn(night.warehouse, night.run_id + 1, kinds, False) == []
    assert nightly.validate.fn(night.warehouse, night.run_id + 1, ["tax"], True) == ["tax"]


def test_prepare_prepares_every_record_once_and_keeps_it(night: Night) -> None:
    for kind in SOURCES:
        records = night.prepared.read(kind)
        assert records.height == night.prepared.rows(kind) > 0
        assert records["record_id"].is_unique().all() and "row_hash" in records.columns
    assert night.prepared.read("registry")["person_id"].is_unique().all()
    kept = list((night.warehouse.parent / "w.duckdb.work").glob("*.parquet"))
    assert sorted(p.name.split("-")[0] for p in kept if not p.name.endswith("-keys.parquet")
                  ) == sorted(["registry", *SOURCES])


def test_prepare_for_a_locality_reads_that_localitys_records_only(night: Night) -> None:
    place = parse_locality("01")
    local = nightly.prepare(night.warehouse, night.run_id, SOURCES, place, False)
    for kind in SOURCES:
        assert local.read(kind, ["province"])["province"].unique().to_list() in ([], ["01"])
        assert 0 < local.rows(kind) < night.prepared.rows(kind)
    run_id = night.run_id + 100  # a spool of its own
    work = nightly.plan_work.fn(night.warehouse, local, night.model, night.numbers,
                                locality=place, everything=True)
    links = nightly.link_records(night.warehouse, run_id, night.model, local, work)
    nightly.find_discrepancies(night.warehouse, run_id, local, work, links, AS_OF)
    spool = night.warehouse.parent / "w.duckdb.work" / f"run-{run_id:05d}"
    read = {path.name: pl.read_parquet(path) for path in sorted(spool.glob("*.parquet"))
            if path.name.endswith(("-records.parquet", "-rows.parquet"))}
    assert any(name.startswith("link-") for name in read)
    assert any(name.startswith("find-") for name in read)
    for name, rows in read.items():  # what the link and findings tasks read of the sources
        mine = local.read(name.split("-")[1], ["record_id"]).get_column("record_id")
        assert rows.get_column("record_id").is_in(mine.implode()).all(), name


def test_a_first_run_links_and_judges_every_record(night: Night) -> None:
    assert night.model.run_id is None, "no model yet: this run trains one"
    for kind in SOURCES:
        every = sorted(night.prepared.read(kind, ["record_id"])["record_id"])
        assert sorted(night.work[kind].relink) == every
        assert sorted(night.links[kind].matches["record_id"]) == every
        assert sorted(night.found[kind].records) == every
        assert set(night.found[kind].findings["source"]) <= {kind}


def test_a_partial_run_refuses_before_any_full_run(night: Night, tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb"):
        pass
    with pytest.raises(PopdqError, match="no full run yet"):
        nightly.choose_model.fn(tmp_path / "w.duckdb", night.prepared, night.numbers,
                                partial=True, retrain=False)


def test_publish_report_and_close_write_the_run(night: Night) -> None:
    summary = nightly.publish.fn(night.warehouse, night.run_id, night.model,
                                 night.prepared.versions, night.work, night.links, night.found,
                                 None)
    total = sum(f.findings.height for f in night.found.values())
    assert summary.created == count(night.warehouse, "SELECT count(*) FROM queue_items") > 0
    assert count(night.warehouse, "SELECT count(*) FROM findings") == total
    again = nightly.choose_model.fn(night.warehouse, night.prepared, night.numbers,
                                    partial=True, retrain=False)
    assert (again.json, again.run_id) == (night.model.json, night.run_id)
    unchanged = nightly.plan_work.fn(night.warehouse, night.prepared, again, night.numbers,
                                     locality=None, everything=False)
    assert all(w.relink.is_empty() and w.removed.is_empty() for w in unchanged.values())
    nightly.close_run.fn(night.warehouse, night.run_id, "succeeded", Clock(), None)
    report = nightly.write_report.fn(night.warehouse, night.run_id)
    assert report.name == f"run-{night.run_id:05d}.html" and report.stat().st_size > 0
    with open_warehouse(night.warehouse) as con:  # clean-data figures count records
        names = source_names(con, None)
    assert names.height < names.get_column("records").sum() == sum(
        count(night.warehouse, f"SELECT count(*) FROM {DATASETS[kind].table}")
        for kind in SOURCES)
    assert count(night.warehouse, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == 1


def test_the_flow_refuses_a_bad_locality_before_it_opens_a_run(night: Night) -> None:
    runs = count(night.warehouse, "SELECT count(*) FROM runs")
    with pytest.raises(BadParameter, match="unknown locality '999'"):
        nightly.nightly.fn(night.warehouse, AS_OF, "999", None)
    assert count(night.warehouse, "SELECT count(*) FROM runs") == runs
