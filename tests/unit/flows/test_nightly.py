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
from popdq.errors import BadParameter, PopdqError
from popdq.localities import parse_locality
from warehouse.datasets import load_file
from warehouse.db import open_warehouse

AS_OF = dt.date(2026, 7, 1)
SOURCES = ["social_insurance", "tax", "health_insurance"]


@dataclass(frozen=True)
class Night:
    warehouse: Path
    run_id: int
    prepared: nightly.Prepared
    model_json: str
    links: dict[str, nightly.Links]
    findings: dict[str, pl.DataFrame]


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
    run_id = nightly.open_run.fn(warehouse, AS_OF, None, None)
    sources = nightly.check_datasets.fn(warehouse, None)
    nightly.validate.fn(warehouse, run_id, ["registry", *sources])
    prepared = nightly.normalise.fn(warehouse, sources, None)
    model_json = nightly.train_model.fn(prepared)
    links = nightly.link_records.fn(model_json, prepared)
    findings = nightly.find_discrepancies.fn(warehouse, run_id, prepared, links, AS_OF)
    return Night(warehouse, run_id, prepared, model_json, links, findings)


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


def test_validate_stores_results_for_every_dataset(night: Night) -> None:
    stored = count(night.warehouse, "SELECT count(DISTINCT dataset) FROM validation_results"
                                    f" WHERE run_id = {night.run_id}")
    assert stored == 4


def test_normalise_prepares_every_record_once(night: Night) -> None:
    for kind in SOURCES:
        records = night.prepared.records[kind]
        assert records.height == night.prepared.rows[kind].height > 0
        assert records["record_id"].is_unique().all()
    assert night.prepared.registry["person_id"].is_unique().all()


def test_normalise_for_a_locality_reads_that_localitys_records_only(night: Night) -> None:
    place = parse_locality("01")
    local = nightly.normalise.fn(night.warehouse, SOURCES, place)
    for kind in SOURCES:
        assert local.records[kind]["province"].unique().to_list() in ([], ["01"])
        assert 0 < local.records[kind].height < night.prepared.records[kind].height


def test_link_and_find_discrepancies_cover_every_record(night: Night) -> None:
    for kind in SOURCES:
        matches = night.links[kind].matches
        assert sorted(matches["record_id"]) == sorted(night.prepared.records[kind]["record_id"])
        assert set(night.findings[kind]["source"]) <= {kind}


def test_reuse_model_refuses_before_any_full_run(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb"):
        pass
    with pytest.raises(PopdqError, match="no full run yet"):
        nightly.reuse_model.fn(tmp_path / "w.duckdb", SOURCES)


def test_publish_report_and_close_write_the_run(night: Night) -> None:
    summary = nightly.publish.fn(night.warehouse, night.run_id, night.model_json,
                                 night.prepared, night.links, night.findings, None)
    total = sum(f.height for f in night.findings.values())
    assert summary.created == count(night.warehouse, "SELECT count(*) FROM queue_items") > 0
    assert count(night.warehouse, "SELECT count(*) FROM findings") == total
    assert nightly.reuse_model.fn(night.warehouse, SOURCES) == night.model_json
    nightly.close_run.fn(night.warehouse, night.run_id, "succeeded", {"publish": 1.0}, None)
    report = nightly.write_report.fn(night.warehouse, night.run_id)
    assert report.name == f"run-{night.run_id:05d}.html" and report.stat().st_size > 0
    assert count(night.warehouse, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == 1


def test_the_flow_refuses_a_bad_locality_before_it_opens_a_run(night: Night) -> None:
    runs = count(night.warehouse, "SELECT count(*) FROM runs")
    with pytest.raises(BadParameter, match="unknown locality '999'"):
        nightly.nightly.fn(night.warehouse, AS_OF, "999", None)
    assert count(night.warehouse, "SELECT count(*) FROM runs") == runs
