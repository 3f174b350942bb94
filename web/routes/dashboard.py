"""A dashboard per scope: the reviewers' report's headline, league table and trends for the
signed-in user's localities — the report's own figures (`report.figures`) and charts
(`report.charts`), in English."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from popdq import commands
from popdq.contract import CRITERIA
from report import charts
from report.i18n import language
from web.access import workbench
from web.pages import render
from web.session import claim

router = APIRouter()

WORDS = language("en")


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
    t = WORDS.words
    runs = [str(t["run_label"]).format(run=r) for r in found.trends.run_ids]
    queue_names = {"active": t["queue_active"], "opened": t["queue_opened"],
                   "closed_by_reviewers": t["queue_closed"], "fixed_at_source": t["queue_fixed"]}
    return {
        "rates": charts.lines(
            runs, [charts.Series(t["criteria"][c], c, found.trends.rates[c]) for c in CRITERIA],
            title=t["trend_findings"], y_label=t["per_thousand"],
            tick_format=lambda v: WORDS.number(v, 1)),
        "queue": charts.lines(
            runs, [charts.Series(queue_names[k], f"series-{i}", [float(v) for v in values])
                   for i, (k, values) in enumerate(found.trends.queue.items(), start=1)],
            title=t["trend_queue"], y_label=t["queue"], tick_format=WORDS.number),
        "scores": {row.code: charts.sparkline(row.scores, title=f"{t['score']}: {row.code}")
                   for row in found.league},
    }
