"""The audit trail of the items of one's localities, newest first: who, when, what, why."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from popdq import commands
from popdq.errors import BadParameter
from web.access import workbench
from web.pages import render
from web.session import claim

router = APIRouter()

PAGE = 100


@router.get("/audit")
async def audit(request: Request) -> HTMLResponse:
    who = claim(request)
    actor = request.query_params.get("actor", "").strip() or None
    raw = request.query_params.get("before", "")
    if raw and not raw.isdigit():
        raise BadParameter(f"{raw[:20]!r} is not a page of the audit trail")
    people = request.query_params.get("people") == "1"
    bench = workbench(request)
    account, rows = await bench.call(commands.read_audit, bench.warehouse, who, actor=actor,
                                     before=int(raw) if raw else None, limit=PAGE,
                                     people_only=people)
    entries = rows.to_dicts()
    older = entries[-1]["audit_id"] if len(entries) == PAGE else None
    return render(request, "audit.html", account=account, entries=entries, actor=actor or "",
                  people=people, older=older)
