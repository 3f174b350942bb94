"""Opening the warehouse: schema migrations, owner-only new files, and the files it refuses."""

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from popdq.errors import PopdqError
from warehouse.db import (
    MIGRATIONS,
    check_warehouse_file,
    open_warehouse,
    read_migrations,
    schema_version,
)


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


def fingerprint(path: Path) -> tuple[bytes, int, int]:
    """What popdq must leave as it was: the bytes, the mode and the time of change."""
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode), path.stat().st_mtime_ns


@pytest.mark.parametrize("content", [b"hello", b"", b"person_id,full_name\n" * 100,
                                     b"SQLite format 3\x00" + bytes(100)],
                         ids=["text", "empty", "csv", "sqlite"])
@pytest.mark.parametrize("read_only", [False, True])
def test_a_file_that_is_not_a_duckdb_database_is_refused_untouched(
    tmp_path: Path, content: bytes, read_only: bool
) -> None:
    bogus = tmp_path / "w.csv"
    bogus.write_bytes(content)
    bogus.chmod(0o644)
    before = fingerprint(bogus)
    with (pytest.raises(PopdqError, match=r"w\.csv: not a popdq warehouse, or damaged"),
          open_warehouse(bogus, read_only=read_only)):
        pass
    assert fingerprint(bogus) == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.csv"]


def test_a_folder_is_not_a_warehouse(tmp_path: Path) -> None:
    with pytest.raises(PopdqError, match="not a regular file"), open_warehouse(tmp_path):
        pass


def test_duckdb_files_are_told_by_their_magic_bytes(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    assert db.read_bytes()[8:12] == b"DUCK"
    assert check_warehouse_file(db) is True
    assert check_warehouse_file(tmp_path / "new.duckdb") is False


@pytest.mark.parametrize("damage", ["truncated", "header", "first block"])
@pytest.mark.parametrize("read_only", [False, True])
def test_a_damaged_warehouse_is_refused_untouched(tmp_path: Path, damage: str,
                                                  read_only: bool) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db) as con:
        con.execute("CREATE TABLE filler AS SELECT range AS n FROM range(100000)")
    data = bytearray(db.read_bytes())
    if damage == "truncated":
        data = data[:4096 + 100]
    else:
        data[{"header": 4096 + 50, "first block": 12288 + 50}[damage]] ^= 0xFF
    db.write_bytes(bytes(data))
    before = fingerprint(db)
    with (pytest.raises(PopdqError, match="not a popdq warehouse, or damaged"),
          open_warehouse(db, read_only=read_only)):
        pass
    assert fingerprint(db) == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_damage_found_while_reading_is_a_one_line_error(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db) as con:
        con.execute("CREATE TABLE filler AS SELECT range AS n FROM range(300000)")
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the table's data: opening does not read it
    db.write_bytes(bytes(data))
    with (pytest.raises(PopdqError, match=r"not a popdq warehouse, or damaged.*checksum"),
          open_warehouse(db, read_only=True) as con):
        con.execute("SELECT sum(n) FROM filler").fetchall()


def test_another_programs_duckdb_database_is_not_taken_over(tmp_path: Path) -> None:
    theirs = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(theirs))
    con.execute("CREATE TABLE sales (amount INT)")
    con.close()
    with pytest.raises(PopdqError, match="not a popdq warehouse"), open_warehouse(theirs):
        pass
    con = duckdb.connect(str(theirs), read_only=True)
    try:
        assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [
            ("sales",)]
    finally:
        con.close()


def test_an_empty_duckdb_database_becomes_a_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    with open_warehouse(db) as con:
        assert schema_version(con) == len(read_migrations())


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


def test_an_existing_warehouse_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    """popdq changes the permissions only of files it creates."""
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    db.chmod(0o640)
    with open_warehouse(db) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('k', 'v')")
    with open_warehouse(db, read_only=True):
        pass
    assert stat.S_IMODE(db.stat().st_mode) == 0o640


def test_read_only_opens_share_the_file_with_other_readers(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    before = fingerprint(db)
    with open_warehouse(db, read_only=True) as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("INSERT INTO warehouse_meta VALUES ('k', 'v')")
    assert fingerprint(db) == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]  # no .wal either


def test_read_only_open_of_a_missing_warehouse_creates_nothing(tmp_path: Path) -> None:
    with (pytest.raises(PopdqError, match="no warehouse here"),
          open_warehouse(tmp_path / "none" / "w.duckdb", read_only=True)):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_open_upgrades_an_old_schema_first(tmp_path: Path) -> None:
    folder = migrations_copy(tmp_path)
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    (folder / next_migration("add_note")).write_text(
        "ALTER TABLE warehouse_meta ADD COLUMN note VARCHAR;", encoding="utf-8")
    with open_warehouse(db, read_only=True, migrations=folder) as con:
        assert schema_version(con) == len(read_migrations()) + 1


def test_a_command_that_writes_says_when_the_warehouse_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)  # a read-only mount
    with (pytest.raises(PopdqError, match="the warehouse is read-only here"),
          open_warehouse(db)):
        pass
    with open_warehouse(db, read_only=True) as con:
        assert schema_version(con) == len(read_migrations())


def test_connections_never_install_or_load_extensions(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        settings = con.execute(
            "SELECT current_setting('autoinstall_known_extensions'),"
            " current_setting('autoload_known_extensions')").fetchall()
        assert settings == [(False, False)]
        with pytest.raises(duckdb.Error, match="httpfs"):
            con.execute("SELECT * FROM 'https://example.invalid/x.parquet'")


def test_duckdb_gets_its_share_of_the_memory_limit_and_spills_beside_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POPDQ_MEMORY_LIMIT", "10GB")
    with open_warehouse(tmp_path / "w.duckdb") as con:
        limit, spill = con.execute("SELECT current_setting('memory_limit'),"
                                   " current_setting('temp_directory')").fetchall()[0]
    assert limit == "4.0 GiB"  # 40 % of 10 GiB
    assert spill == str(tmp_path / "w.duckdb.tmp")
    monkeypatch.setenv("POPDQ_MEMORY_LIMIT", "plenty")
    with (pytest.raises(PopdqError, match="POPDQ_MEMORY_LIMIT='plenty' is not a size"),
          open_warehouse(tmp_path / "w.duckdb")):
        pass
