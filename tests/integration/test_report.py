"""The reviewers' report of a two-run history, read in a real browser as a reviewer reads it.

The history is the package's two-night flow (conftest `flow`): between the nights a
reviewer resolved, rejected and assigned items, and the tax extract changed (records gone,
names retyped, new records) as did the registry. Chromium (Debian's, driven by
Playwright) opens the file offline; screenshots are saved under the test's folder.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Page, sync_playwright

from popdq.divisions import load_divisions
from tests.integration.conftest import Flow, popdq, query

pytestmark = [pytest.mark.usefixtures("shared_prefect"), pytest.mark.browser]

CRITERIA_VI = ("Đúng", "Đủ", "Sạch", "Sống")
FULL_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture(scope="module")
def warehouse(flow: Flow) -> Path:
    """The warehouse of the package's two-night flow (conftest `flow`)."""
    return flow.warehouse


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = launched.new_page(viewport={"width": 1400, "height": 1000})
        page.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())  # offline
        try:
            yield page
        finally:
            launched.close()


def report(db: Path, out: Path, *args: str) -> str:
    result = popdq("report", *args, "--out", out, "--warehouse", db)
    assert result.returncode == 0, result.stderr
    return out.read_text(encoding="utf-8")


def test_a_reviewer_reads_the_morning_report_at_a_glance(
    warehouse: Path, browser: Page, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    html = report(warehouse, out)
    nightly = warehouse.parent / "reports" / "run-00002.html"
    assert out.read_bytes() == nightly.read_bytes()  # the run's own report: same bytes
    page = browser
    page.goto(out.as_uri())

    cards = page.locator("#headline .criteria .card .label").all_inner_texts()
    assert cards == list(CRITERIA_VI)
    assert page.locator("#headline .queue .card").count() == 4  # active and throughput
    assert "đã sửa tại nguồn" in page.locator("#headline .queue-status").inner_text()
    assert "so với lần chạy 1" in page.locator("header").inner_text()

    provinces = page.locator("table.league > tbody.province:not(.unknown)")
    assert provinces.count() == 34
    scores = [float(s) for s in provinces.evaluate_all(
        "bodies => bodies.map(b => b.dataset.score)") if s]
    assert len(scores) > 20 and scores == sorted(scores)  # worst first
    assert "/1.000" in page.locator("table.league > thead").inner_text()
    first = provinces.first.locator("tr.main td").all_inner_texts()
    assert re.fullmatch(r"\d+,\d", first[3])  # a rate per 1,000, with a decimal comma

    drawn = page.locator("svg.chart").evaluate_all(
        "svgs => svgs.filter(s => s.querySelector('rect, polyline, circle, line')).length")
    assert drawn >= 4
    trend = page.locator("#trends svg.chart-lines").first
    assert trend.locator("text").all_text_contents().count("Lần 2") == 1
    assert trend.locator("circle").count() == 2 * len(CRITERIA_VI)  # two runs, four criteria

    province = provinces.first
    communes = province.locator("tr.communes")
    assert communes.is_hidden()
    province.locator("button.drill").click()
    assert communes.is_visible()
    assert communes.locator("tr.commune").count() >= 1

    page.locator("table.league th[data-key=records]").click()
    records = [int(r) for r in provinces.evaluate_all(
        "bodies => bodies.map(b => b.dataset.records)")]
    assert records == sorted(records)

    values = page.locator("#kinds .side-by-side .value").all_inner_texts()
    assert any("••••••••" in v for v in values)  # identifiers masked
    assert any(re.fullmatch(r"([A-ZĐ]\. )+\w+", v.strip()) for v in values)  # N. V. An
    assert page.locator("#kinds mark").count() > 0  # differing characters highlighted
    assert page.locator("#kinds svg.chart-waterfall").count() > 0  # match explanations
    assert not FULL_ID.search(html)

    desktop, printed = tmp_path / "report-desktop.png", tmp_path / "report-print.png"
    page.screenshot(path=str(desktop), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(printed), full_page=True)
    page.emulate_media(media="screen")
    print(f"screenshots: {desktop} {printed}")
    assert desktop.stat().st_size > 50_000 and printed.stat().st_size > 50_000


def test_no_full_id_or_name_in_the_default_report(warehouse: Path, tmp_path: Path) -> None:
    html = report(warehouse, tmp_path / "report.html")
    ids = {cast(str, r[0]) for r in query(warehouse, "SELECT person_id FROM registry")}
    names = {cast(str, r[0]) for r in query(
        warehouse, "SELECT full_name FROM registry WHERE len(string_split(full_name, ' ')) >= 3")}
    places = {name.split(maxsplit=1)[1] for name in
              load_divisions().communes.get_column("name").to_list()}  # "Xã Nguyễn Văn Linh"
    names -= places
    assert len(names) > 1000  # names of three parts and more tell a person apart
    assert not FULL_ID.search(html)
    assert not [i for i in ids if i in html]
    assert not [n for n in names if n in html]
    assert not [n for n in names if n.upper() in html]


def test_english_and_unmasked_copies(warehouse: Path, tmp_path: Path) -> None:
    english = report(warehouse, tmp_path / "en.html", "--lang", "en")
    assert all(c in english for c in ("Correct", "Sufficient", "Clean", "Alive"))
    assert "Provinces ranked" in english and "/1,000" in english
    before = cast(int, query(warehouse, "SELECT count(*) FROM report_disclosures")[0][0])
    full = report(warehouse, tmp_path / "full.html", "--unmasked", "--by", "operator-b")
    assert FULL_ID.search(full)
    assert full.count("BẢN ĐẦY ĐỦ THÔNG TIN CÁ NHÂN") >= 2  # banner on every page, and footer
    rows = query(warehouse, "SELECT actor, run_id, file_name FROM report_disclosures"
                            " ORDER BY disclosed_at DESC LIMIT 1")
    assert query(warehouse, "SELECT count(*) FROM report_disclosures")[0][0] == before + 1
    assert rows == [("operator-b", 2, "full.html")]


def test_a_locality_report_shows_that_locality(warehouse: Path, tmp_path: Path) -> None:
    html = report(warehouse, tmp_path / "79.html", "--locality", "79")
    assert "Địa bàn 79 (Thành phố Hồ Chí Minh)" in html
    assert html.count('<tbody class="province') == 1
    commune = cast(str, query(warehouse, "SELECT min(commune) FROM matches")[0][0])
    html = report(warehouse, tmp_path / "commune.html", "--locality", commune)
    assert html.count('<tr class="commune">') == 1  # its own row in its province's drill-down
    assert "Số liệu tổng quan và xu hướng được lưu theo tỉnh" in html
    refused = popdq("report", "--lang", "fr", "--out", tmp_path / "x.html",
                    "--warehouse", warehouse)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
