"""A dashboard per scope: the reviewers' report's headline, league table and trends for the
signed-in user's localities — the report's own figures (`report.figures`) and charts
(`report.charts`), in English."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from popdq import commands
from popdq.contract import CRITERIA
from report import drawing
from web.access import workbench
from web.pages import WORDS, render
from web.session import claim

router = APIRouter()


@router.get("/dashboard")
async def dashboard(request: Request) -> HTMLResponse:
    who = claim(request)
    bench = workbench(request)
    found = await bench.call(commands.dashboard, bench.warehouse, who)
    if found is None:
        account = await bench.call(commands.whoami, bench.warehouse, who)
        return render(request, "dashboard.html", account=account, found=None)
    return render(request, "dashboard.html", account=found.account, found=found,
                  t=WORDS.words, fmt=WORDS, criteria=list(CRITERIA),
                  drawn=_charts(found))


def _charts(found: commands.Dashboard) -> dict[str, Any]:
    return {**drawing.trend_charts(found.trends, WORDS),
            "provinces": drawing.province_charts(found.league, found.trends.run_ids, WORDS)}
