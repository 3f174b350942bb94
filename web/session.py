"""Who is signed in, and the checks every request passes: the session, the CSRF token,
the origin of a form.

The session is Starlette's signed cookie (itsdangerous; HttpOnly, SameSite=strict,
Max-Age): it holds the account name, the account's password stamp, when it began and the
CSRF token, nothing else. Starlette renews the cookie with every answer, so its Max-Age
only ends an idle session; `claim` ends any session `SESSION_SECONDS` after sign-in.
Every use case checks the account again on its own connection (`popdq.commands._account`):
a disabled account, or one whose password was reset, stops at its next request.
"""

import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import FormData

from popdq.accounts import Claim


class SignInFirst(Exception):
    """A page that needs a session was asked for without one: go to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__("sign in first")
        self.back_to = back_to


class Forged(Exception):
    """A form without this session's CSRF token, or posted from another site."""


SESSION_SECONDS = 8 * 3600
"""A session ends this long after sign-in (a working day), however busy it is."""


def claim(request: Request, now: Callable[[], float] = time.time) -> Claim:
    """The session's claim, or SignInFirst (back to this page after) when there is none
    or it began more than `SESSION_SECONDS` ago."""
    name, stamp = request.session.get("user"), request.session.get("stamp")
    began = request.session.get("began")
    if not (isinstance(name, str) and isinstance(stamp, int) and isinstance(began, int)):
        raise SignInFirst(request.url.path)
    if now() - began > SESSION_SECONDS:
        request.session.clear()
        raise SignInFirst(request.url.path)
    return Claim(name, stamp)


def begin(request: Request, who: Claim) -> None:
    """A new session for a good sign-in: nothing of the one before it is kept."""
    request.session.clear()
    request.session.update(user=who.name, stamp=who.stamp, began=int(time.time()),
                           csrf=secrets.token_urlsafe(32))


def end(request: Request) -> None:
    request.session.clear()


def check_origin(request: Request) -> None:
    """A browser says where a form was posted from (Origin, else Referer): from another
    site it is refused. A client that says neither (a script) is judged by its token."""
    said = request.headers.get("origin") or request.headers.get("referer")
    if said and said != "null" and urlsplit(said).netloc != request.headers.get("host"):
        raise Forged("posted from another site")
    if said == "null":
        raise Forged("posted from an opaque origin")


async def checked_form(request: Request) -> FormData:
    """A posted form that carries this session's CSRF token (and comes from this site)."""
    check_origin(request)
    form = await request.form()
    sent, expected = form.get("csrf"), request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str)
            and hmac.compare_digest(sent.encode(), expected.encode())):
        raise Forged("no valid CSRF token")
    return form


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
