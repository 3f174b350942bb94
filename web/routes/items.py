"""One item: shown side by side (masked; unmasking is its own audited action), and what a
reviewer does to it — claim, assign, resolve, reject, reopen, and for a link to review the
decisions the linker honours (confirm, not this person, another person)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from popdq import commands
from popdq.accounts import Claim
from popdq.contract import REVIEW_KIND
from popdq.errors import BadParameter, Conflict, NotFound
from warehouse.lifecycle import ACTIVE, REVIEWER_ACTIONS
from web.access import workbench
from web.item import explained, side_by_side
from web.pages import render
from web.session import checked_form, claim

router = APIRouter()

LARGEST_ID = 2**63 - 1
VERDICTS = {"confirm": "confirm", "not_this_person": "reject", "runner_up": "set",
            "another_person": "set"}
"""The buttons of a link to review → `popdq link`'s verdicts."""


def item_number(text: str) -> int:
    """An item id from a URL; anything else is no item (404), never a 422 that would tell
    the two apart."""
    if not text.isdigit() or not 0 < int(text) <= LARGEST_ID:
        raise NotFound(f"no queue item {text[:20]}")
    return int(text)


async def _page(request: Request, who: Claim, item_id: int, *, unmask: bool,
                conflict: Conflict | None = None, note: str | None = None) -> HTMLResponse:
    """The item's page; after a `conflict`, the item as it is now (409), the reason on top
    and the reviewer's note kept in the form, so nothing they wrote is lost."""
    bench = workbench(request)
    account, view = await bench.call(commands.open_item, bench.warehouse, who, item_id,
                                     unmask=unmask)
    item = view.item
    return render(request, "item.html", 409 if conflict else 200, account=account, item=item,
                  unmask=unmask, rows=side_by_side(view, unmask=unmask),
                  chart=explained(view.explanation), history=view.audit.to_dicts(),
                  active=item["status"] in ACTIVE, second=bool(view.second),
                  is_review=item["kind"] == REVIEW_KIND.name,
                  conflict=str(conflict) if conflict else None, note=note or "")


@router.get("/items/{item_id}")
async def show(request: Request, item_id: str) -> HTMLResponse:
    who = claim(request)
    return await _page(request, who, item_number(item_id), unmask=False)


@router.post("/items/{item_id}/unmask")
async def unmask(request: Request, item_id: str) -> HTMLResponse:
    """The item with identifiers and names in full: a deliberate, audited act (a POST,
    answered with the page itself, never a link that could be shared or prefetched)."""
    await checked_form(request)
    return await _page(request, claim(request), item_number(item_id), unmask=True)


def _version(form_value: object) -> int:
    try:
        return int(str(form_value))
    except ValueError:
        raise BadParameter("the form does not say which version of the item it was") from None


@router.post("/items/{item_id}/act")
async def act(request: Request, item_id: str) -> Response:
    form = await checked_form(request)
    who = claim(request)
    number = item_number(item_id)
    verb = str(form.get("verb") or "")
    if verb not in ("claim", *REVIEWER_ACTIONS):
        raise BadParameter(f"unknown action {verb!r}")
    assignee = who.name if verb == "claim" else (str(form.get("assignee") or "").strip()
                                                 or None)
    note = str(form.get("note") or "").strip() or None
    bench = workbench(request)
    try:
        await bench.call(commands.act_as, bench.warehouse, who,
                         "assign" if verb == "claim" else verb,
                         {number: _version(form.get("version"))}, note=note,
                         assignee=assignee)
    except Conflict as conflict:
        return await _page(request, who, number, unmask=False, conflict=conflict, note=note)
    request.session["flash"] = f"item {number}: {verb} done"
    return RedirectResponse(f"/items/{number}", status_code=303)


@router.post("/items/{item_id}/decide")
async def decide(request: Request, item_id: str) -> Response:
    form = await checked_form(request)
    who = claim(request)
    number = item_number(item_id)
    choice = str(form.get("decision") or "")
    if choice not in VERDICTS:
        raise BadParameter(f"unknown decision {choice!r}")
    person_id = str(form.get("person_id") or "").strip() or None
    if choice == "another_person" and person_id is None:
        raise BadParameter("choose a person: give their personal identification number")
    note = str(form.get("note") or "").strip() or None
    bench = workbench(request)
    try:
        decided = await bench.call(
            commands.decide_as, bench.warehouse, who, number, _version(form.get("version")),
            VERDICTS[choice], note=note,
            person_id=person_id if choice == "another_person" else None,
            runner_up=choice == "runner_up")
    except Conflict as conflict:
        return await _page(request, who, number, unmask=False, conflict=conflict, note=note)
    request.session["flash"] = (f"decision {decided.decision_id} recorded; the next run links"
                                " the record so")
    return RedirectResponse(f"/items/{number}", status_code=303)
