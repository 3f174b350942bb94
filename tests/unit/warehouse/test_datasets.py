"""Loading datasets into a real DuckDB file: atomic replace and the load log."""

import stat
from pathlib import Path

import duckdb
import polars as pl
import pytest

from popdq.contract import DATASETS
from popdq.errors import PopdqError
from warehouse.datasets import (
    dataset_versions,
    load_file,
    read_dataset,
    read_partition,
    read_slices,
    replace_dataset,
)
from warehouse.db import open_warehouse
from warehouse.readers import Extract

HEADER = "person_id,full_name,date_of_birth,sex,province_code,commune_code,status"


def registry_csv(path: Path, *ids: str) -> Path:
    """A registry extract; short ids are written as the 12-digit person_ids they stand for."""
    rows = [f"{i.zfill(12) if i else i},Nguyễn Văn An,1990-01-02,M,01,00004,alive" for i in ids]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_load_replaces_the_dataset_and_logs_counts(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db) as con:
        first = load_file(con, "registry", registry_csv(tmp_path / "a.csv", "1", "2", "2"),
                             loaded_by="tester")
        second = load_file(con, "registry", registry_csv(tmp_path / "b.csv", "3"),
                              loaded_by="tester", allow_shrink=True)  # 2 → 1 rows: on purpose
        assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (3, 2, 1)
        assert read_dataset(con, "registry")["person_id"].to_list() == ["000000000003"]
        assert dataset_versions(con) == {
            "registry": second.load_id, "social_insurance": None, "tax": None,
            "health_insurance": None,
        }
        log = con.execute(
            "SELECT file_name, rows_read, rows_loaded, rows_quarantined, loaded_by, length(sha256)"
            " FROM load_log ORDER BY load_id"
        ).fetchall()
        assert log == [("a.csv", 3, 2, 1, "tester", 64), ("b.csv", 1, 1, 0, "tester", 64)]
        assert con.execute("SELECT line_number, reason FROM quarantine").fetchall() == [
            (4, "duplicate person_id (first at line 3)")
        ]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_refused_file_keeps_the_previous_version(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text("full_name,status\nA,alive\n", encoding="utf-8")
    with open_warehouse(db) as con:
        load_file(con, "registry", registry_csv(tmp_path / "a.csv", "1"), loaded_by="t")
        with pytest.raises(PopdqError, match="missing required column"):
            load_file(con, "registry", bad, loaded_by="t")
        assert read_dataset(con, "registry")["person_id"].to_list() == ["000000000001"]
        assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(1,)]


def test_failure_inside_the_transaction_rolls_back_everything(tmp_path: Path) -> None:
    """A database error after the old rows were deleted must leave them in place."""
    db = tmp_path / "w.duckdb"
    dataset = DATASETS["registry"]
    rows = pl.DataFrame(
        {"line_number": [2], **{c: [None] for c in dataset.columns}, "extra": [None]},
        schema={"line_number": pl.Int64, **{c: pl.String for c in dataset.columns},
                "extra": pl.String},
    )  # person_id NULL violates the table's NOT NULL: fails after DELETE ran
    with open_warehouse(db) as con:
        load_file(con, "registry", registry_csv(tmp_path / "a.csv", "1"), loaded_by="t")
        with pytest.raises(PopdqError, match="previous version kept"):
            replace_dataset(con, dataset, Extract("x.csv", "csv", rows, []), sha256="0" * 64,
                            loaded_by="t")
        assert read_dataset(con, "registry")["person_id"].to_list() == ["000000000001"]
        assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(1,)]


def test_unknown_kind_is_refused_before_any_sql(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con, pytest.raises(PopdqError,
                                                                     match="unknown dataset"):
        load_file(con, "registry; DROP TABLE runs", tmp_path / "a.csv", loaded_by="t")


def registry_versions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """(file, rows loaded) of every version in the load log, oldest first."""
    return con.execute(
        "SELECT file_name, rows_loaded FROM load_log WHERE dataset = 'registry' ORDER BY load_id"
    ).fetchall()


def test_a_file_that_shrinks_a_dataset_by_more_than_a_tenth_is_refused(tmp_path: Path) -> None:
    ten = [f"{i:012d}" for i in range(1, 11)]
    with open_warehouse(tmp_path / "w.duckdb") as con:
        load_file(con, "registry", registry_csv(tmp_path / "ten.csv", *ten), loaded_by="t")
        with pytest.raises(PopdqError) as refused:
            load_file(con, "registry", registry_csv(tmp_path / "eight.csv", *ten[:8]),
                      loaded_by="t")
        assert str(refused.value) == (
            "eight.csv: registry would shrink by 20.0% (more than 10%): the loaded version has"
            " 10 rows, this file has 8; nothing changed (pass --allow-shrink to load it anyway)")
        assert read_dataset(con, "registry").height == 10
        assert registry_versions(con) == [("ten.csv", 10)]
        load_file(con, "registry", registry_csv(tmp_path / "nine.csv", *ten[:9]), loaded_by="t")
        load_file(con, "registry", registry_csv(tmp_path / "eight.csv", *ten[:8]), loaded_by="t",
                  allow_shrink=True)
        assert registry_versions(con) == [("ten.csv", 10), ("nine.csv", 9), ("eight.csv", 8)]


def test_a_file_that_would_leave_a_dataset_empty_is_refused(tmp_path: Path) -> None:
    header_only = registry_csv(tmp_path / "header.csv")
    all_bad = registry_csv(tmp_path / "bad.csv", "", "")  # every row has an empty key
    with open_warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(PopdqError, match=r"registry would be left empty: none is loaded yet"
                           r", this file has no loadable rows \(a header only\); nothing"):
            load_file(con, "registry", header_only, loaded_by="t")
        load_file(con, "registry", registry_csv(tmp_path / "a.csv", "1", "2"), loaded_by="t")
        with pytest.raises(PopdqError, match=r"bad\.csv: registry would be left empty: the loaded"
                           r" version has 2 rows, this file has no loadable rows \(2 read, all"
                           r" quarantined\); nothing changed"):
            load_file(con, "registry", all_bad, loaded_by="t")
        assert registry_versions(con) == [("a.csv", 2)]
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
        emptied = load_file(con, "registry", header_only, loaded_by="t", allow_shrink=True)
        assert (emptied.rows_read, emptied.rows_loaded) == (0, 0)
        assert read_dataset(con, "registry").is_empty()


def test_a_dataset_is_read_whole_in_slices_or_in_key_partitions(tmp_path: Path) -> None:
    ids = [f"0012{i:08d}" for i in range(1, 40)]
    with open_warehouse(tmp_path / "w.duckdb") as con:
        load_file(con, "registry", registry_csv(tmp_path / "r.csv", *ids), loaded_by="t")
        whole = read_dataset(con, "registry", columns=DATASETS["registry"].columns)
        assert pl.concat(read_slices(con, "registry", 7)).equals(whole)
        assert [part.height for part in read_slices(con, "registry", 13)] == [13, 13, 13]
        parts = [read_partition(con, "registry", part, 3) for part in range(3)]
        assert sorted(pl.concat(parts).get_column("person_id")) == ids
        assert all(part.height for part in parts)
        with pytest.raises(ValueError, match="no column 'line'"):
            read_dataset(con, "registry", columns=["person_id", "line"])
        assert list(read_slices(con, "tax", 7)) == []
        (empty,) = read_slices(con, "tax", 7, at_least_one=True)  # one slice to prepare
        assert (empty.height, empty.columns) == (0, list(DATASETS["tax"].columns))
