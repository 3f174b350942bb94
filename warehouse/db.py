"""Opening the warehouse: one DuckDB file, owner-only, always at the newest schema.

popdq opens only a file that is a DuckDB database (or a new path), checked by its header
before DuckDB touches it, and changes the permissions of no file it did not create.
Another process holding the file is waited for, for a bounded time (`warehouse.lock`);
a full disk is said in popdq's words, and leaves the last good state.
"""

import errno
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from popdq.errors import PopdqError
from popdq.settings import memory_limit
from warehouse.lock import (
    HOLDER_WAIT,
    OTHERS_WAIT,
    POLL_SECONDS,
    Hold,
    WarehouseBusy,
    busy_message,
    busy_wait,
    describe_holder,
    hold,
    holds,
)

MIGRATIONS = resources.files("warehouse") / "migrations"

DUCKDB_MAGIC = b"DUCK"
"""DuckDB files start with the checksum of their main header (8 bytes), then these four
bytes (DuckDB's storage docs; MagicBytes::CheckMagicBytes in its source)."""
_MAGIC_AT = 8

CONNECTION_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
"""Every connection popdq opens: no extension is fetched from the network or loaded behind
its back (a query that needs one fails instead)."""
DUCKDB_MEMORY_SHARE = 0.4
"""DuckDB's part of POPDQ_MEMORY_LIMIT: the rest is for the polars frames a run holds while
it writes (DuckDB spills to `<warehouse>.tmp/` beyond it)."""


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


def check_warehouse_file(path: Path) -> bool:
    """Whether a warehouse exists at path. Anything there must be a DuckDB database, which
    is told by its header before DuckDB opens (and could write to) it: a CSV or an empty
    file passed as --warehouse by mistake is left exactly as it was."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PopdqError(f"{path}: cannot read the warehouse: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        raise PopdqError(f"{path}: not a popdq warehouse (not a regular file)")
    try:
        with path.open("rb") as file:
            head = file.read(_MAGIC_AT + len(DUCKDB_MAGIC))
    except OSError as exc:
        raise PopdqError(f"{path}: cannot read the warehouse: {exc.strerror}") from exc
    if head[_MAGIC_AT:] != DUCKDB_MAGIC:
        raise PopdqError(f"{path}: not a popdq warehouse, or damaged (not a DuckDB database"
                         f"{', an empty file' if not head else ''}); left as it was")
    return True


def check_writable(path: Path) -> None:
    """A command that writes needs the file and its folder (for the `.wal`) writable: on a
    read-only mount or file, say so rather than fail inside DuckDB."""
    for place in (path, path.parent):
        if not os.access(place, os.W_OK):
            raise PopdqError(f"{path}: the warehouse is read-only here, and this command "
                             "changes it (export, queue list/show, report and validate only read)")


def refuse_foreign(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB database of someone else's (tables, but not popdq's schema_version) is not
    ours to add tables to."""
    tables = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    if tables and "schema_version" not in tables:
        raise PopdqError(f"{path}: not a popdq warehouse (a DuckDB database of other tables); "
                         "left as it was")


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


def connection_config(path: Path) -> dict[str, str | bool | int | float | list[str]]:
    """`CONNECTION_CONFIG`, and DuckDB's share of the memory limit with where it spills."""
    return {**CONNECTION_CONFIG,
            "memory_limit": f"{int(memory_limit() * DUCKDB_MEMORY_SHARE) >> 20}MiB",
            "temp_directory": str(Path(path).with_name(Path(path).name + ".tmp"))}


def connect(path: Path, *, read_only: bool = False,
            wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with popdq's settings (`CONNECTION_CONFIG`); one-line errors.
    A DuckDB file that DuckDB cannot read (truncated, a bad checksum) is called damaged.

    DuckDB refuses at once a file another process has open for writing (or any process,
    to a writer); popdq tries again for `wait` seconds (default: long for a process that
    holds the warehouse's lock, a run or a load; short for the others), then says in its
    own words what holds it."""
    if wait is None:
        wait = busy_wait(HOLDER_WAIT if holds(path) else OTHERS_WAIT)
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=connection_config(path))
        except duckdb.Error as exc:
            reason = _first_line(exc)
            if _is_damage(reason):
                raise PopdqError(f"{path}: not a popdq warehouse, or damaged ({reason}); "
                                 "left as it was") from exc
            holder = lock_holder(reason)
            if holder is None:
                raise PopdqError(f"{path}: cannot open the warehouse: {reason}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseBusy(busy_message(path, describe_holder(path, holder), wait)
                                    ) from None
        time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))


def lock_holder(reason: str) -> int | None:
    """The process DuckDB names as holding the file (0 when it names none), or None when
    the error is not about another process holding it."""
    if "Could not set lock on file" not in reason:
        return None
    named = re.search(r"\(PID (\d+)\)", reason)
    return int(named[1]) if named else 0


def is_disk_full(exc: BaseException) -> bool:
    """Whether a failure (or one that led to it) was a full disk, whoever reported it:
    DuckDB, polars or the operating system."""
    return any(getattr(seen, "errno", None) == errno.ENOSPC or _NO_SPACE in str(seen)
               for seen in _chain(exc))


_NO_SPACE = "No space left on device"


def _chain(exc: BaseException) -> list[BaseException]:
    """A failure and those that led to it (raised `from` them, or while handling them)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def disk_full(folder: Path | None) -> str:
    """A full disk, in popdq's words: where, and how much is left."""
    if folder is None:
        return "no space left on the disk: free some space and try again"
    try:
        stats = os.statvfs(folder)
        left = f" ({stats.f_bavail * stats.f_frsize / 1024:,.0f} KB free)"
    except OSError:
        left = ""
    return f"no space left on the disk holding {folder}{left}: free some space and try again"


def failure_reason(exc: BaseException, where: Path | None = None) -> str:
    """Why a write failed, in one line: a full disk in popdq's words (DuckDB's would be
    "Current transaction is aborted", or name its log file), anything else as said.
    `where`: the folder being written to, if the failure does not name it."""
    if not is_disk_full(exc):
        return _first_line(exc)
    said = next((str(seen) for seen in _chain(exc) if _NO_SPACE in str(seen)), "")
    written = re.search(r'"([^"]+)"', said)  # DuckDB names the file it could not write
    return disk_full(Path(written[1]).parent if written else where)


def _is_damage(reason: str) -> bool:
    """DuckDB's words for a file it cannot make sense of, as opposed to one it may not open
    now (a lock held by another process, a permission)."""
    return any(sign in reason for sign in (
        "Corrupt database file", "Could not read enough bytes", "not a valid DuckDB database",
        "Serialization Error"))


@contextmanager
def hold_warehouse(path: Path, what: str, **note: object) -> Iterator[Hold]:
    """Hold the warehouse for a run or a load (`warehouse.lock`): wait, for a bounded
    time, while another run or load holds it; `what` and `note` tell waiters who holds it.
    A file that is not a warehouse, or a read-only one, is refused first: no lock file is
    made beside it."""
    path = Path(path)
    if check_warehouse_file(path):
        check_writable(path)
    with owner_only_files:
        path.parent.mkdir(parents=True, exist_ok=True)
    with hold(path, what, note=note) as held:  # the lock file is made owner-only (0600)
        yield held


@contextmanager
def open_warehouse(
    path: Path, *, read_only: bool = False, migrations: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Connect, upgrade the schema if needed, and close on exit.

    read_only opens the file read-only (a read-only mount will do), upgrading an old
    schema first only if the file may be written. The umask stays 0o077 until the
    connection is closed, not only while connecting: DuckDB creates the write-ahead log
    (`<warehouse>.wal`, personal data) at the first write, and that must be owner-only too.
    A new file is owner-only from its creation; an existing one keeps the mode its owner
    gave it. Another process holding the file is waited for (`connect`); a full disk
    while the connection is open is one line, and what was being written is rolled back.
    """
    path = Path(path)
    exists = check_warehouse_file(path)
    if read_only and not exists:
        raise PopdqError(f"{path}: no warehouse here (load data first, or pass --warehouse)")
    if exists and not read_only:
        check_writable(path)
    with owner_only_files:
        if not exists:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = connect(path, read_only=read_only)
        try:
            refuse_foreign(con, path)
            if not read_only:
                migrate(con, migrations)
            elif _needs_upgrade(con, path, migrations):
                con.close()
                _upgrade(path, migrations)
                con = connect(path, read_only=True)
            yield con
        except duckdb.Error as exc:
            if _is_damage(_first_line(exc)):  # a bad block found only when it is read
                raise PopdqError(f"{path}: not a popdq warehouse, or damaged "
                                 f"({_first_line(exc)})") from exc
            if is_disk_full(exc):
                raise PopdqError(f"{path}: {disk_full(path.parent)}") from exc
            raise
        finally:
            _close(con, path)


def _close(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Close, which folds the write-ahead log into the file: on a full disk that fails, and
    the log stays to be replayed at the next open (nothing is lost)."""
    try:
        con.close()
    except duckdb.Error as exc:
        if is_disk_full(exc):
            raise PopdqError(f"{path}: {disk_full(path.parent)}") from exc
        raise


def _needs_upgrade(con: duckdb.DuckDBPyConnection, path: Path, migrations: Path | None) -> bool:
    """Whether a file opened read-only is older than this popdq (newer is refused)."""
    current, known = schema_version(con), len(read_migrations(migrations))
    if current > known:
        raise PopdqError(f"{path}: warehouse schema is version {current}, newer than this "
                         f"popdq knows ({known}): upgrade popdq")
    return current < known


def _upgrade(path: Path, migrations: Path | None) -> None:
    """Bring an old warehouse to the newest schema before reading it, if it may be written."""
    if not all(os.access(place, os.W_OK) for place in (path, path.parent)):
        raise PopdqError(f"{path}: warehouse schema is out of date and the file is read-only "
                         "here; run a load or run where it can be written first")
    with open_warehouse(path, migrations=migrations):
        pass


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
        con.commit()  # a commit that fails (a full disk) is rolled back like any failure
    except BaseException:
        _roll_back(con)
        raise
    finally:
        _IN_TRANSACTION.discard(id(con))


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back a failed transaction; one DuckDB has already ended (a failed commit) has
    nothing left to roll back, and the first failure is the one to report."""
    with suppress(duckdb.Error):
        con.rollback()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames visible to SQL under these names (zero-copy through Arrow) for the block."""
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        yield
    finally:
        for name in frames:
            with suppress(duckdb.Error):  # an aborted transaction: what aborted it counts
                con.unregister(name)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
