"""Rendering pages: the Jinja2 environment (autoescape on), what every page is given, and
the pages that answer a refusal."""

from functools import cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from popdq.contract import CRITERIA, QUEUE_KINDS, SOURCE_KINDS
from popdq.divisions import load_divisions
from report.i18n import language
from warehouse.lifecycle import STATUSES

_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.PackageLoader("web", "templates"),
                                jinja2.PackageLoader("report", "templates")]),
    autoescape=True, undefined=jinja2.StrictUndefined)
"""The workbench's templates, and the report's (its chart and difference macros,
`charts.html`, drawn the same way in both)."""
TEMPLATES = Jinja2Templates(env=_ENV)

WORDS = language("en")
"""The workbench's words and number formats where it shows the report's figures and charts."""

NO_STORE = {"Cache-Control": "no-store"}
"""Pages hold personal data: no cache, shared or private, keeps them."""


@cache
def _province_names() -> dict[str, str]:
    return load_divisions().province_names


def place_name(code: str | None) -> str:
    """A province's code with its name (`79 Hồ Chí Minh`); a commune's code as it is."""
    if not code:
        return ""
    name = _province_names().get(code)
    return f"{code} {name}" if name else code


_ENV.globals.update(SOURCE_KINDS=SOURCE_KINDS, QUEUE_KINDS=list(QUEUE_KINDS),
                    CRITERIA=CRITERIA, STATUSES=STATUSES, place_name=place_name)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, given the signed-in account (if any), the session's CSRF token and the
    message left by the previous request (shown once)."""
    context.setdefault("account", None)
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    csrf = request.session.get("csrf", "") if "session" in request.scope else ""
    return TEMPLATES.TemplateResponse(request, template, {**context, "csrf": csrf,
                                                          "flash": flash},
                                      status_code=status, headers=NO_STORE)


def refusal(request: Request, status: int, title: str, message: str,
            back: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    response = render(request, "error.html", status, title=title, message=message,
                      back=back)
    response.headers.update(headers or {})
    return response
