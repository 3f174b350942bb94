"""A full disk while the warehouse is written: one line in popdq's words, nothing half
written. The disk is a real, small tmpfs (mounting one needs root: skipped otherwise)."""

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from popdq.errors import PopdqError
from tests.conftest import small_tmpfs
from warehouse.db import disk_full, failure_reason, is_disk_full, open_warehouse, transaction


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", "16m") as mount:
        yield mount


def test_a_write_that_fills_the_disk_is_rolled_back_and_said_in_one_line(
    small_disk: Path,
) -> None:
    db = small_disk / "w.duckdb"
    with open_warehouse(db) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('kept', 'yes')")
    stats = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 50_000))
    with pytest.raises(PopdqError) as full, open_warehouse(db) as con, transaction(con):
        con.execute("INSERT INTO warehouse_meta SELECT 'k' || i, repeat('x', 200)"
                    " FROM range(200000) t(i)")
    assert str(full.value).startswith(f"{db}: no space left on the disk holding {small_disk} (")
    assert str(full.value).endswith(" KB free): free some space and try again")
    (small_disk / "filler").unlink()
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT * FROM warehouse_meta").fetchall() == [("kept", "yes")]


def aborted_after(failure: str) -> duckdb.Error:
    """What DuckDB raises when cleaning up after a failed write: the failure is its context."""
    try:
        try:
            raise duckdb.TransactionException(failure)
        except duckdb.Error:
            raise duckdb.TransactionException(  # noqa: B904 (raised while handling, as DuckDB's)
                "TransactionContext Error: Current transaction is aborted (please ROLLBACK)")
    except duckdb.Error as exc:
        return exc


def test_a_full_disk_is_told_whoever_reported_it_and_whatever_followed() -> None:
    aborted = aborted_after('TransactionContext Error: Failed to commit: Could not write file '
                            '"/srv/popdq/w.duckdb.wal": No space left on device')
    assert is_disk_full(aborted)
    assert failure_reason(aborted).startswith("no space left on the disk holding /srv/popdq")
    assert is_disk_full(OSError(28, "No space left on device"))
    assert not is_disk_full(aborted_after("IO Error: Permission denied"))
    assert failure_reason(duckdb.IOException("IO Error: Permission denied\nmore")) == (
        "IO Error: Permission denied")
    assert disk_full(None) == "no space left on the disk: free some space and try again"
