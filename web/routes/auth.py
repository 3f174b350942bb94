"""Signing in and out, and the health check (no session needed for these)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from popdq import commands
from web.access import workbench
from web.pages import render
from web.session import begin, check_origin, checked_form, end, safe_next

router = APIRouter()


@router.get("/health")
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    """A good name and password give a new session. Contract §5: the form is `username`
    and `password`, posted without a token (there is no session yet to hold one); a post
    from another site is refused by its Origin, and the cookie is SameSite=strict. After
    5 failures within 15 minutes for a name or from a client, 429 until the window passes."""
    check_origin(request)
    form = await request.form()
    name, password = str(form.get("username") or ""), str(form.get("password") or "")
    back = safe_next(str(form.get("next") or "/"))
    bench = workbench(request)
    keys = [f"user:{name.casefold()}", f"client:{request.client.host if request.client else ''}"]
    wait = bench.throttle.wait(keys)
    if wait:
        refused = render(request, "login.html", 429, next=back,
                         error=f"Too many failed attempts: try again in {int(wait // 60) + 1}"
                               " minutes.")
        refused.headers["Retry-After"] = str(int(wait) + 1)
        return refused
    who = await bench.call(commands.sign_in, bench.warehouse, name, password)
    if who is None:
        bench.throttle.failed(keys)
        return render(request, "login.html", 401, next=back,
                      error="Wrong user name or password, or the account is disabled.")
    bench.throttle.succeeded(keys[0])
    begin(request, who)
    return RedirectResponse(back, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    await checked_form(request)
    end(request)
    return RedirectResponse("/login", status_code=303)
