"""Roles, names and passwords of workbench accounts (popdq.accounts)."""

import pytest

from popdq.accounts import Account, check_name, check_role, hash_password, verify_password
from popdq.errors import BadParameter
from popdq.localities import parse_locality


def test_passwords_are_argon2id_hashes_that_verify_only_the_right_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "correct horse battery")
    with pytest.raises(BadParameter, match="at least 12 characters"):
        hash_password("short")


def test_names_and_roles_are_checked_at_the_boundary() -> None:
    assert check_name("anna.nguyen") == "anna.nguyen"
    for bad in ("A", "anna nguyen", "-anna", "x" * 65, "Anna"):
        with pytest.raises(BadParameter):
            check_name(bad)
    with pytest.raises(BadParameter, match="unknown role 'admin'"):
        check_role("admin", [])
    with pytest.raises(BadParameter, match="a reviewer needs at least one --locality"):
        check_role("reviewer", [])
    check_role("steward", [])


def test_what_each_role_may_do() -> None:
    places = (parse_locality("40"),)
    reviewer, steward, auditor = (Account("a", "reviewer", places), Account("s", "steward", ()),
                                  Account("x", "auditor", ()))
    assert (reviewer.scope, steward.scope) == (places, None)
    assert [(a.can_act, a.can_assign, a.can_audit) for a in (reviewer, steward, auditor)] == [
        (True, False, False), (True, True, True), (False, False, True)]
