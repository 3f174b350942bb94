"""Workbench accounts (`users`) and the trail of what was done to them (`account_audit`).

Passwords arrive hashed (`popdq.accounts`): no clear password reaches SQL. Every change
to an account writes its `account_audit` row in the same transaction.
"""

import datetime as dt

import duckdb
import polars as pl

from popdq.errors import NotFound, PopdqError
from warehouse.db import transaction


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def add_user(con: duckdb.DuckDBPyConnection, *, name: str, role: str, localities: list[str],
             password_hash: str, actor: str) -> None:
    with transaction(con):
        if con.execute("SELECT count(*) FROM users WHERE name = ?", [name]).fetchall()[0][0]:
            raise PopdqError(f"user {name!r} exists already (users reset-password, or another"
                             " name)")
        con.execute("INSERT INTO users (name, role, localities, password_hash, password_stamp,"
                    " disabled, created_at, created_by) VALUES (?, ?, ?, ?, 0, false, ?, ?)",
                    [name, role, localities, password_hash, _now(), actor])
        _note(con, actor, name, "added",
              f"{role}; {', '.join(localities) if localities else 'all localities'}")


def read_user(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, object] | None:
    """An account (its hash included), or None."""
    rows = con.sql("SELECT * FROM users WHERE name = ?", params=[name]).pl()
    return rows.row(0, named=True) if not rows.is_empty() else None


def list_users(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every account without its hash, by name."""
    return con.sql("SELECT name, role, array_to_string(localities, ' ') AS localities,"
                   " disabled, created_at, created_by FROM users ORDER BY name").pl()


def disable_user(con: duckdb.DuckDBPyConnection, name: str, *, actor: str) -> None:
    """A disabled account signs in no more, and its open sessions stop at their next request."""
    with transaction(con):
        _existing(con, name)
        con.execute("UPDATE users SET disabled = true WHERE name = ?", [name])
        _note(con, actor, name, "disabled", None)


def set_password(con: duckdb.DuckDBPyConnection, name: str, password_hash: str, *,
                 actor: str) -> None:
    """A new password; sessions made with the old one stop working (the stamp moves on)."""
    with transaction(con):
        _existing(con, name)
        con.execute("UPDATE users SET password_hash = ?, password_stamp = password_stamp + 1"
                    " WHERE name = ?", [password_hash, name])
        _note(con, actor, name, "password_reset", None)


def _existing(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if not con.execute("SELECT count(*) FROM users WHERE name = ?", [name]).fetchall()[0][0]:
        raise NotFound(f"no user {name!r}")


def _note(con: duckdb.DuckDBPyConnection, actor: str, name: str, action: str,
          detail: str | None) -> None:
    con.execute("INSERT INTO account_audit SELECT coalesce(max(event_id), 0) + 1, ?, ?, ?, ?, ?"
                " FROM account_audit", [_now(), actor, name, action, detail])


def account_audit(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql("SELECT * FROM account_audit ORDER BY event_id").pl()


def session_key(con: duckdb.DuckDBPyConnection, new_key: str) -> str:
    """The key that signs the workbench's session cookies: made once (`new_key`, the first
    time) and kept in the warehouse, owner-only like the rest of it, never in the code."""
    with transaction(con):
        found = con.execute("SELECT value FROM warehouse_meta WHERE key = 'web_session_key'"
                            ).fetchall()
        if found:
            return str(found[0][0])
        con.execute("INSERT INTO warehouse_meta VALUES ('web_session_key', ?)", [new_key])
    return new_key
