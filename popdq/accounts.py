"""Workbench accounts: roles, what each may do, their localities, and passwords.

Passwords are hashed with Argon2id (argon2-cffi's defaults: 64 MiB, 3 passes, a salt
per hash); a clear password never leaves this module's callers' memory. Any layer may
import this: it knows nothing of the warehouse or the web.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from popdq.errors import BadParameter
from popdq.localities import Locality

ROLES = ("reviewer", "steward", "auditor")
"""reviewer: works the items of their localities; steward: all items (or their localities'),
assigns to others; auditor: reads items and the audit trail, changes nothing."""
ACTING_ROLES = frozenset({"reviewer", "steward"})
ASSIGNING_ROLES = frozenset({"steward"})
AUDITING_ROLES = frozenset({"auditor", "steward"})
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""Argon2 hashes any length; a bound keeps one sign-in from costing much more than another."""
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")

_HASHER = PasswordHasher()  # Argon2id is argon2-cffi's default type


@dataclass(frozen=True)
class Claim:
    """Who a session says it is: the account and its password stamp when it signed in."""

    name: str
    stamp: int


@dataclass(frozen=True)
class Account:
    """A signed-in user, as checked at this request."""

    name: str
    role: str
    localities: tuple[Locality, ...]

    @property
    def scope(self) -> Sequence[Locality] | None:
        """The localities whose items this user sees; None for all (no locality given to a
        steward or an auditor). A reviewer always has at least one."""
        return self.localities or None

    @property
    def can_act(self) -> bool:
        return self.role in ACTING_ROLES

    @property
    def can_assign(self) -> bool:
        """Assign items to someone else (anyone who acts may claim an item for themself)."""
        return self.role in ASSIGNING_ROLES

    @property
    def can_audit(self) -> bool:
        return self.role in AUDITING_ROLES


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadParameter(f"{name!r} is not a user name (2-64 of a-z 0-9 . _ @ -, starting"
                           " with a letter or digit)")
    return name


def check_role(role: str, localities: Sequence[Locality]) -> None:
    """A known role; a reviewer needs at least one locality."""
    if role not in ROLES:
        raise BadParameter(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
    if role == "reviewer" and not localities:
        raise BadParameter("a reviewer needs at least one --locality (a province or commune)")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadParameter(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadParameter(f"a password has at most {MAX_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password is the hash's; with no hash (no such user) the same work is
    done against a dummy, so the answer takes as long either way."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy() -> str:
    return _HASHER.hash("popdq: no such user")
