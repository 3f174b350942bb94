"""Workbench accounts in the warehouse: stored, changed, and every change in the trail."""

from pathlib import Path

import pytest

from popdq.errors import NotFound, PopdqError
from warehouse.db import open_warehouse
from warehouse.users import (
    account_audit,
    add_user,
    disable_user,
    list_users,
    read_user,
    session_key,
    set_password,
)


def test_accounts_are_added_changed_and_audited_and_never_listed_with_their_hash(
        tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        add_user(con, name="anna", role="reviewer", localities=["40", "01004"],
                 password_hash="$argon2id$h1", actor="root")
        with pytest.raises(PopdqError, match="exists already"):
            add_user(con, name="anna", role="steward", localities=[], password_hash="x",
                     actor="root")
        set_password(con, "anna", "$argon2id$h2", actor="root")
        disable_user(con, "anna", actor="boss")
        with pytest.raises(NotFound, match="no user 'bob'"):
            disable_user(con, "bob", actor="boss")
        found = read_user(con, "anna")
        assert found is not None
        assert (found["localities"], found["password_hash"], found["password_stamp"],
                found["disabled"]) == (["40", "01004"], "$argon2id$h2", 1, True)
        assert read_user(con, "bob") is None
        listed = list_users(con)
        assert "password_hash" not in listed.columns
        assert listed.select("name", "localities").rows() == [("anna", "40 01004")]
        assert account_audit(con).select("actor", "name", "action").rows() == [
            ("root", "anna", "added"), ("root", "anna", "password_reset"),
            ("boss", "anna", "disabled")]


def test_the_session_key_is_made_once_and_kept(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert session_key(con, "first") == "first"
        assert session_key(con, "second") == "first"
