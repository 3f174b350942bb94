"""The report's chart and difference styles, served to the workbench (which draws the same
charts with the same macros) from the report package itself: one stylesheet, not two."""

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter()


@cache
def _charts_css() -> str:
    return resources.files("report").joinpath("templates", "charts.css").read_text("utf-8")


@router.get("/static/charts.css")
async def charts_css() -> Response:
    return Response(_charts_css(), media_type="text/css",
                    headers={"Cache-Control": "max-age=3600"})
