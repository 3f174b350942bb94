"""Opening the warehouse: one DuckDB file, owner-only, always at the newest schema."""

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from popdq.errors import PopdqError

MIGRATIONS = resources.files("warehouse") / "migrations"

_OWNER_ONLY = stat.S_IRUSR | stat.S_IWUSR

CONNECTION_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
"""Every connection popdq opens: no extension is fetched from the network or loaded behind
its back (a query that needs one fails instead)."""


def read_migrations(folder: Path | None = None) -> list[tuple[int, str, str]]:
    """The (version, name, sql) of every migration, in order; versions must be 1, 2, 3, …"""
    source = Path(str(folder or MIGRATIONS))
    found = sorted(
        (int(p.name.split("_", 1)[0]), p.name, p.read_text(encoding="utf-8"))
        for p in source.glob("[0-9][0-9][0-9][0-9]_*.sql")
    )
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise PopdqError(f"migrations in {source} are not numbered 1..n: {versions}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open warehouse (0 for a new, empty file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def migrate(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> int:
    """Upgrade the schema to the newest version, one transaction per migration."""
    migrations = read_migrations(folder)
    current = schema_version(con)
    if current > len(migrations):
        raise PopdqError(
            f"warehouse schema is version {current}, newer than this popdq knows "
            f"({len(migrations)}): upgrade popdq"
        )
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for version, name, sql in migrations[current:]:
        try:
            with transaction(con):
                con.execute(sql)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, current_timestamp)", [version, name]
                )
        except duckdb.Error as exc:
            raise PopdqError(f"migration {name} failed: {_first_line(exc)}") from exc
    return len(migrations)


def restrict_to_owner(path: Path) -> None:
    """Personal data: the file and its write-ahead log are readable by their owner only."""
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            os.chmod(p, _OWNER_ONLY)


class _OwnerOnlyUmask:
    """The process umask held at 0o077 while any holder needs it. The umask is process-wide
    and connections overlap (nested opens, the flow's threads), so the first holder sets it
    and the last one puts the old value back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved = 0

    def __enter__(self) -> None:
        with self._lock:
            if not self._holders:
                self._saved = os.umask(0o077)
                os.umask(self._saved | 0o077)
            self._holders += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._holders -= 1
            if not self._holders:
                os.umask(self._saved)


owner_only_files = _OwnerOnlyUmask()
"""`with owner_only_files:` — every file created meanwhile (by popdq or DuckDB: the
database, its write-ahead log, spill files) is owner-only from its creation."""


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with popdq's settings (`CONNECTION_CONFIG`); one-line errors."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=CONNECTION_CONFIG)
    except duckdb.Error as exc:
        raise PopdqError(f"{path}: cannot open the warehouse: {_first_line(exc)}") from exc


@contextmanager
def open_warehouse(
    path: Path, *, read_only: bool = False, migrations: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Connect, upgrade the schema if needed, and close on exit.

    The umask stays 0o077 until the connection is closed, not only while connecting:
    DuckDB creates the write-ahead log (`<warehouse>.wal`, personal data) at the first
    write, and that must be owner-only too.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise PopdqError(f"{path}: no warehouse here (load data first, or pass --warehouse)")
    with owner_only_files:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = connect(path, read_only=read_only)
        try:
            if not read_only:
                restrict_to_owner(path)  # a file made before popdq held the umask
                migrate(con, migrations)
            elif schema_version(con) != len(read_migrations(migrations)):
                raise PopdqError(
                    f"{path}: warehouse schema is out of date; run a load or run first")
            yield con
        finally:
            con.close()


_IN_TRANSACTION: set[int] = set()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, or ROLLBACK and re-raise: a failed write leaves the last good state.

    Nested use joins the outer transaction, so a run can publish all its results
    (links, findings, queue) as one unit while each writer stays atomic on its own.
    """
    if id(con) in _IN_TRANSACTION:
        yield
        return
    con.begin()
    _IN_TRANSACTION.add(id(con))
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    else:
        con.commit()
    finally:
        _IN_TRANSACTION.discard(id(con))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames visible to SQL under these names (zero-copy through Arrow) for the block."""
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
