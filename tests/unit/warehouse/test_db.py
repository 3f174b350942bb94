"""Schema migrations: a new popdq opens an old file and upgrades it."""

import os
import shutil
import stat
from collections.abc import Iterator
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


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a shell: files group- and world-readable unless popdq says no."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_a_new_warehouse_and_its_wal_are_owner_only_from_creation(tmp_path: Path,
                                                                  umask_022: None) -> None:
    db = tmp_path / "new" / "w.duckdb"
    with open_warehouse(db) as con:
        con.execute("CHECKPOINT")  # the log of the migrations is folded in and removed
        con.execute("INSERT INTO warehouse_meta VALUES ('origin', 'test')")  # a new .wal
        while_open = modes(db.parent)
        assert os.umask(0o022) == 0o077  # held for the whole life of the connection
        os.umask(0o077)
    assert os.umask(0o022) == 0o022  # and given back afterwards
    assert "w.duckdb.wal" in while_open, while_open
    assert set(while_open.values()) == {0o600}, while_open
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert set(modes(db.parent).values()) == {0o600}


def test_nested_and_concurrent_opens_keep_the_umask_until_the_last_closes(
    tmp_path: Path, umask_022: None
) -> None:
    with open_warehouse(tmp_path / "a.duckdb"):
        with open_warehouse(tmp_path / "b.duckdb") as inner:
            inner.execute("INSERT INTO warehouse_meta VALUES ('k', 'v')")
        assert os.umask(0o077) == 0o077  # the inner close did not give it back
    assert os.umask(0o022) == 0o022
    assert set(modes(tmp_path).values()) == {0o600}


def test_an_old_world_readable_warehouse_is_made_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    db.chmod(0o644)
    with open_warehouse(db):
        assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_connections_never_install_or_load_extensions(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        settings = con.execute(
            "SELECT current_setting('autoinstall_known_extensions'),"
            " current_setting('autoload_known_extensions')").fetchall()
        assert settings == [(False, False)]
        with pytest.raises(duckdb.Error, match="httpfs"):
            con.execute("SELECT * FROM 'https://example.invalid/x.parquet'")
