"""Schema migrations: a new popdq opens an old file and upgrades it."""

import shutil
from pathlib import Path

import duckdb
import pytest

from popdq.errors import PopdqError
from warehouse.db import MIGRATIONS, open_warehouse, read_migrations, schema_version


def migrations_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(str(MIGRATIONS), folder)
    return folder


def next_migration(name: str) -> str:
    return f"{len(read_migrations()) + 1:04d}_{name}.sql"


def test_new_file_gets_the_newest_schema(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert schema_version(con) == len(read_migrations())
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
                  .fetchall()}
    assert {"registry", "source_tax", "load_log", "quarantine", "runs"} <= tables


def test_an_old_file_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    folder = migrations_copy(tmp_path)
    db = tmp_path / "w.duckdb"
    with open_warehouse(db, migrations=folder) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('origin', 'test')")
    (folder / next_migration("add_note")).write_text(
        "ALTER TABLE warehouse_meta ADD COLUMN note VARCHAR;", encoding="utf-8"
    )
    with open_warehouse(db, migrations=folder) as con:
        assert schema_version(con) == len(read_migrations()) + 1
        assert con.execute("SELECT key, value, note FROM warehouse_meta").fetchall() == [
            ("origin", "test", None)
        ]


def test_a_failed_migration_leaves_the_file_at_its_old_version(tmp_path: Path) -> None:
    folder = migrations_copy(tmp_path)
    db = tmp_path / "w.duckdb"
    with open_warehouse(db, migrations=folder):
        pass
    broken = next_migration("broken")
    (folder / broken).write_text(
        "CREATE TABLE half_done (a INT); SELECT * FROM no_such_table;", encoding="utf-8"
    )
    with (
        pytest.raises(PopdqError, match=rf"migration {broken}\b.*failed"),
        open_warehouse(db, migrations=folder),
    ):
        pass
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert schema_version(con) == len(read_migrations())
        assert not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_a_file_from_a_newer_popdq_is_refused(tmp_path: Path) -> None:
    folder = migrations_copy(tmp_path)
    (folder / next_migration("future")).write_text("CREATE TABLE future (a INT);", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    with open_warehouse(db, migrations=folder):
        pass
    with pytest.raises(PopdqError, match="newer than this popdq knows"), open_warehouse(db):
        pass


def test_not_a_duckdb_file_is_a_one_line_error(tmp_path: Path) -> None:
    bogus = tmp_path / "w.duckdb"
    bogus.write_text("hello", encoding="utf-8")
    with pytest.raises(PopdqError, match="cannot open the warehouse"), open_warehouse(bogus):
        pass
