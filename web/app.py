"""The workbench's application: middleware (session, security headers, a log line per
request without personal data), the refusals, the routes, the static files."""

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from popdq import commands
from popdq.errors import BadParameter, Conflict, NotAllowed, NotFound, PopdqError, SignedOut
from warehouse.lock import WarehouseBusy
from web.access import Workbench
from web.pages import refusal
from web.routes import assets, audit, auth, dashboard, inbox, items
from web.session import SESSION_SECONDS, Forged, SignInFirst, checked_form, end
from web.throttle import Throttle

LOG = logging.getLogger("popdq.web")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none';"
                               " base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
"""Nothing from elsewhere runs, frames or receives a form; no page is framed by another site."""


def create_app(warehouse: Path, *, https_only: bool = False,
               throttle: Throttle | None = None) -> FastAPI:
    """The workbench of one warehouse. The cookie-signing key is the warehouse's own (made
    the first time); `https_only` keeps the cookie to HTTPS (behind a TLS proxy)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workbench = Workbench(Path(warehouse), throttle or Throttle())
    app.add_middleware(SessionMiddleware, secret_key=commands.web_session_key(warehouse),
                       session_cookie="popdq_session", max_age=SESSION_SECONDS,
                       same_site="strict", https_only=https_only)
    app.middleware("http")(_guard)
    for module in (auth, inbox, items, audit, dashboard, assets):
        app.include_router(module.router)
    app.add_api_route("/{path:path}", _no_such_form, methods=["POST"], include_in_schema=False)
    app.mount("/static", StaticFiles(packages=[("web", "static")]), name="static")
    _refusals(app)
    return app


async def _no_such_form(request: Request) -> Response:
    """A POST to an address that takes none: refused like any form without this session's
    CSRF token (403, nothing done); with one, there is nothing there (404)."""
    await checked_form(request)
    raise NotFound("no such form")


async def _guard(request: Request,
                 call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Security headers on every answer; one log line per request — the method, the route's
    pattern (never the path's values or the query string: filters may hold a name), the
    status and the time; an unexpected failure logged by its type only (its message may
    quote a value) and answered 500."""
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception as exc:
        LOG.error("%s %s failed: %s", request.method, _route(request), type(exc).__name__)
        response = Response("internal error", status_code=500, media_type="text/plain")
    took = (time.perf_counter() - started) * 1000
    response.headers.update(SECURITY_HEADERS)
    response.headers["Server-Timing"] = f"app;dur={took:.1f}"
    LOG.info("%s %s %d %.0fms", request.method, _route(request), response.status_code, took)
    return response


def _route(request: Request) -> str:
    """The route's pattern (`/items/{item_id}`), `/static/…` for a file, else `(no route)`:
    never the path as asked, which anyone can fill with anything."""
    route = request.scope.get("route")
    if route is not None:
        return str(getattr(route, "path_format", "?"))
    return "/static/…" if request.url.path.startswith("/static/") else "(no route)"


def _refusals(app: FastAPI) -> None:
    """How each refusal is answered: a page that says why in one line, with its status."""

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(f"/login?{urlencode({'next': exc.back_to})}", status_code=303)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, exc: SignedOut) -> Response:
        end(request)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forged)
    async def forged(request: Request, exc: Forged) -> Response:
        return refusal(request, 403, "Refused", f"This form was refused ({exc}): reload the"
                       " page and try again.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return refusal(request, 404, "Not found", "No such item.", back="/")

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return refusal(request, 403, "Not allowed", str(exc), back="/")

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return refusal(request, 409, "Changed meanwhile", str(exc),
                       back=request.url.path.rsplit("/", 1)[0]
                       if request.url.path.startswith("/items/") else "/")

    @app.exception_handler(WarehouseBusy)
    async def busy(request: Request, exc: WarehouseBusy) -> Response:
        return refusal(request, 503, "Busy", "The warehouse is busy (a nightly run is"
                       " publishing): nothing was done. Try again in a minute.",
                       headers={"Retry-After": "60"})

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> Response:
        return refusal(request, 400, "Not understood", str(exc), back="/")

    @app.exception_handler(PopdqError)
    async def refused(request: Request, exc: PopdqError) -> Response:
        return refusal(request, 400, "Refused", str(exc), back="/")
