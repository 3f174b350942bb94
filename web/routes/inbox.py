"""The inbox: the items of one's localities a filter matches, most urgent first, with the
counts and keyset paging; and bulk actions on a filter, counted and confirmed first."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from popdq import commands
from popdq.errors import BadParameter
from web.access import workbench
from web.filters import parse_filters, parse_key
from web.pages import render
from web.session import checked_form, claim

router = APIRouter()

PAGE = 50
BULK_VERBS = ("claim", "assign", "resolve", "reject")


@router.get("/")
async def inbox(request: Request) -> HTMLResponse:
    who = claim(request)
    filters = parse_filters(request.query_params)
    after = parse_key(request.query_params.get("after"))
    before = parse_key(request.query_params.get("before")) if after is None else None
    bench = workbench(request)
    found = await bench.call(commands.inbox, bench.warehouse, who, filters.chosen,
                             filters.locality, after=after, before=before, limit=PAGE)
    items = found.items.to_dicts()
    first, last = (items[0], items[-1]) if items else ({}, {})
    return render(
        request, "inbox.html", account=found.account, filters=filters, items=items,
        total=found.total, by_status=found.by_status,
        previous=filters.query(before=f"{first['priority']}.{first['item_id']}")
        if items and found.has_before else None,
        next=filters.query(after=f"{last['priority']}.{last['item_id']}")
        if items and found.has_after else None,
        bulk_verbs=BULK_VERBS)


def _verb(text: str) -> tuple[str, bool]:
    """A bulk verb as `act_on_items` knows it, and whether it claims for the user."""
    if text not in BULK_VERBS:
        raise BadParameter(f"unknown bulk action {text!r}")
    return ("assign", True) if text == "claim" else (text, False)


@router.get("/bulk")
async def bulk_preview(request: Request) -> HTMLResponse:
    """How many items the action would change, and a form to confirm it with a note."""
    who = claim(request)
    filters = parse_filters(request.query_params)
    verb, claiming = _verb(request.query_params.get("verb", ""))
    bench = workbench(request)
    account = await bench.call(commands.whoami, bench.warehouse, who)
    count = await bench.call(commands.bulk_count, bench.warehouse, who, verb, filters.chosen,
                             filters.locality)
    return render(request, "bulk.html", account=account, filters=filters,
                  verb=request.query_params["verb"], count=count,
                  needs_note=verb in ("resolve", "reject"),
                  needs_assignee=verb == "assign" and not claiming)


@router.post("/bulk")
async def bulk(request: Request) -> RedirectResponse:
    form = await checked_form(request)
    who = claim(request)
    filters = parse_filters({k[2:]: str(v) for k, v in form.items() if k.startswith("f_")})
    verb, claiming = _verb(str(form.get("verb") or ""))
    try:
        confirmed = int(str(form.get("count") or ""))
    except ValueError:
        raise BadParameter("the confirmed count is missing") from None
    bench = workbench(request)
    assignee = who.name if claiming else (str(form.get("assignee") or "").strip() or None)
    changed = await bench.call(commands.bulk_act, bench.warehouse, who, verb, filters.chosen,
                               filters.locality, confirmed=confirmed,
                               note=str(form.get("note") or "").strip() or None,
                               assignee=assignee)
    request.session["flash"] = f"{form.get('verb')}: {changed:,} items"
    return RedirectResponse(f"/?{filters.query()}", status_code=303)
