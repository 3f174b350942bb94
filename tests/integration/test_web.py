"""The reviewers' workbench over HTTP (issue #13): sign-in, scope, CSRF, throttling,
sessions that end, conflicts, and web actions during a nightly run. One warehouse with a
run is built for the module; each test that changes it works on its own copy."""

import importlib
import pkgutil
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from playwright.sync_api import Page, sync_playwright

import web.routes
from popdq import commands
from popdq.localities import parse_locality
from tests.integration.conftest import POPDQ, load_world, query
from tests.integration.test_incremental import run
from web.app import create_app
from web.throttle import Throttle

pytestmark = pytest.mark.usefixtures("shared_prefect")

PASSWORD = "correct horse battery"
HOST = "http://127.0.0.1:8800"


@pytest.fixture(scope="module")
def built(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world loaded and run once, with a reviewer of province 40 (`rev40`), a steward
    (`boss`) and an auditor (`eve`)."""
    db = load_world(world, tmp_path_factory.mktemp("web") / "w.duckdb")
    run(db)
    commands.add_user(db, "rev40", "reviewer", [parse_locality("40")], PASSWORD, by="t")
    commands.add_user(db, "boss", "steward", [], PASSWORD, by="t")
    commands.add_user(db, "eve", "auditor", [], PASSWORD, by="t")
    return db


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    """This test's own copy of the built warehouse."""
    return Path(shutil.copy(built, tmp_path / "w.duckdb"))


def client(db: Path, throttle: Throttle | None = None) -> TestClient:
    return TestClient(create_app(db, throttle=throttle), base_url=HOST)


def signed_in(db: Path, name: str) -> TestClient:
    browser = client(db)
    answer = browser.post("/login", data={"username": name, "password": PASSWORD},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def form_of(browser: TestClient, path: str) -> dict[str, str]:
    """The CSRF token and item version a page's forms carry."""
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return {name: re.findall(f'name="{name}" value="([^"]*)"', page.text)[0]
            for name in ("csrf", "version") if f'name="{name}"' in page.text}


def item_in(db: Path, province: str, kind: str | None = None) -> int:
    found = query(db, "SELECT min(item_id) FROM queue_items WHERE status = 'open'"
                      f" AND province = '{province}'"
                      + (f" AND kind = '{kind}'" if kind else ""))
    assert found[0][0] is not None
    return int(str(found[0][0]))


def state(db: Path, item_id: int) -> tuple[object, ...]:
    return (*query(db, "SELECT status, assignee, version FROM queue_items"
                       f" WHERE item_id = {item_id}")[0],
            query(db, f"SELECT count(*) FROM queue_audit WHERE item_id = {item_id}")[0][0])


def every_route() -> list[APIRoute]:
    """The routes of every module of web.routes (a new one is checked too)."""
    found = []
    for module in pkgutil.iter_modules(web.routes.__path__):
        router = importlib.import_module(f"web.routes.{module.name}").router
        found += [route for route in router.routes if isinstance(route, APIRoute)]
    return found


def test_health_answers_and_every_page_asks_for_a_session(db: Path) -> None:
    browser = client(db)
    assert browser.get("/health").status_code == 200
    for path in ("/", f"/items/{item_in(db, '40')}", "/items/999999999", "/audit"):
        answer = browser.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    signed = signed_in(db, "boss")
    cookie = signed.cookies.get("popdq_session")
    assert cookie
    header = signed.post("/login", data={"username": "boss", "password": PASSWORD},
                         follow_redirects=False).headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "max-age=28800" in header


def test_a_reviewer_of_40_cannot_see_or_act_on_an_item_of_01(db: Path) -> None:
    theirs, ours = item_in(db, "01"), item_in(db, "40")
    browser = signed_in(db, "rev40")
    assert browser.get(f"/items/{ours}").status_code == 200
    missing = browser.get("/items/999999999")
    outside = browser.get(f"/items/{theirs}")
    assert (outside.status_code, missing.status_code) == (404, 404)
    assert outside.text == missing.text.replace("999999999", str(theirs))
    token = form_of(browser, f"/items/{ours}")["csrf"]
    before = state(db, theirs)
    for path, data in ((f"/items/{theirs}/act", {"verb": "resolve", "note": "x"}),
                       (f"/items/{theirs}/act", {"verb": "claim"}),
                       (f"/items/{theirs}/decide", {"decision": "confirm"}),
                       (f"/items/{theirs}/unmask", {})):
        forged = browser.post(path, data={"csrf": token, "version": "0", **data})
        assert forged.status_code == 404, path
    assert state(db, theirs) == before
    inbox = browser.get("/?locality=01").text
    assert re.search(r'id="total">0<', inbox)
    assert f'href="/items/{theirs}"' not in browser.get("/").text


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(db: Path) -> None:
    item = item_in(db, "40")
    browser, other = signed_in(db, "rev40"), signed_in(db, "boss")
    shown = form_of(browser, f"/items/{item}")
    before = state(db, item)
    for data, headers in (
            ({"version": shown["version"]}, {}),
            ({"version": shown["version"], "csrf": ""}, {}),
            ({"version": shown["version"], "csrf": form_of(other, "/")["csrf"]}, {}),
            ({**shown}, {"Origin": "https://elsewhere.example"})):
        refused = browser.post(f"/items/{item}/act", data={**data, "verb": "resolve",
                                                           "note": "forged"}, headers=headers)
        assert refused.status_code == 403
    assert state(db, item) == before
    posts = [route.path for route in every_route() if "POST" in (route.methods or set())
             and route.path != "/login"]
    assert {"/logout", "/bulk", "/items/{item_id}/act", "/items/{item_id}/decide",
            "/items/{item_id}/unmask"} <= set(posts)
    for path in posts:
        assert browser.post(path.replace("{item_id}", str(item)), data={"verb": "resolve",
                            "note": "x", "count": "1"}).status_code == 403, path
    for guessed in (f"/items/{item}", f"/items/{item}/resolve", "/queue"):  # no such forms
        assert browser.post(guessed, data={"note": "x"}).status_code == 403, guessed
        assert browser.post(guessed, data={"csrf": shown["csrf"]}).status_code == 404
    assert state(db, item) == before


def test_wrong_passwords_are_refused_then_throttled_until_the_window_passes(db: Path) -> None:
    now = [0.0]
    browser = client(db, Throttle(clock=lambda: now[0]))
    for _ in range(5):
        refused = browser.post("/login", data={"username": "rev40", "password": "not it at all"},
                               follow_redirects=False)
        assert refused.status_code == 401 and "popdq_session" not in refused.headers.get(
            "set-cookie", "")
    throttled = browser.post("/login", data={"username": "rev40", "password": PASSWORD},
                             follow_redirects=False)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 800
    now[0] = 15 * 60 + 1
    assert browser.post("/login", data={"username": "rev40", "password": PASSWORD},
                        follow_redirects=False).status_code == 303


def test_a_disabled_or_reset_account_s_session_stops_working(db: Path) -> None:
    browser, other = signed_in(db, "rev40"), signed_in(db, "boss")
    assert browser.get("/").status_code == 200
    result = subprocess.run([str(POPDQ), "users", "disable", "rev40", "--warehouse", str(db)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    stopped = browser.get("/", follow_redirects=False)
    assert stopped.status_code == 303 and stopped.headers["location"] == "/login"
    assert browser.post("/login", data={"username": "rev40", "password": PASSWORD},
                        follow_redirects=False).status_code == 401
    commands.reset_password(db, "boss", PASSWORD + "!", by="t")
    assert other.get("/", follow_redirects=False).status_code == 303


def test_two_reviewers_resolving_one_item_one_wins_the_other_sees_the_conflict(
        db: Path) -> None:
    item = item_in(db, "40")
    first, second = signed_in(db, "rev40"), signed_in(db, "boss")
    shown_first, shown_second = form_of(first, f"/items/{item}"), form_of(second, f"/items/{item}")
    won = first.post(f"/items/{item}/act", data={**shown_first, "verb": "resolve",
                                                  "note": "fixed at the commune"},
                     follow_redirects=False)
    assert won.status_code == 303
    lost = second.post(f"/items/{item}/act", data={**shown_second, "verb": "reject",
                                                    "note": "not an error"})
    assert lost.status_code == 409
    assert "changed since you opened it (now resolved)" in lost.text
    assert ">not an error</textarea>" in lost.text  # the loser's note is still in the form
    assert query(db, f"SELECT actor, action, note FROM queue_audit WHERE item_id = {item}"
                     " AND actor <> 'popdq-nightly'") == [
        ("rev40", "resolved", "fixed at the commune")]


def test_a_link_decision_on_the_web_is_the_one_popdq_link_makes(db: Path) -> None:
    item = int(str(query(db, "SELECT min(item_id) FROM queue_items WHERE kind = 'link_review'"
                             )[0][0]))
    source, record_id, proposed = query(db, "SELECT source, record_id, person_id FROM"
                                            f" queue_items WHERE item_id = {item}")[0]
    browser = signed_in(db, "boss")
    shown = form_of(browser, f"/items/{item}")
    decided = browser.post(f"/items/{item}/decide", data={**shown, "decision": "confirm",
                                                          "note": "same card"})
    assert decided.status_code == 200 and "decision 1 recorded" in decided.text
    assert query(db, "SELECT source, record_id, verdict, person_id, decided_by, note FROM"
                     " link_decisions") == [(source, record_id, "confirm", proposed, "boss",
                                             "same card")]
    assert state(db, item)[0] == "resolved"


def test_bulk_actions_count_then_act_on_what_was_confirmed(db: Path) -> None:
    kind, expected = query(db, "SELECT kind, count(*) AS n FROM queue_items WHERE province ="
                               " '40' AND status = 'open' GROUP BY kind ORDER BY n DESC")[0]
    browser = signed_in(db, "rev40")
    preview = browser.get(f"/bulk?kind={kind}&verb=claim")
    count = int(re.findall(r'id="bulk-count">([\d,]+)<', preview.text)[0].replace(",", ""))
    assert count == expected and count > 1
    token = re.findall(r'name="csrf" value="([^"]+)"', preview.text)[0]
    stale = browser.post("/bulk", data={"csrf": token, "verb": "claim", "count": count + 1,
                                        "f_kind": kind})
    assert stale.status_code == 409
    done = browser.post("/bulk", data={"csrf": token, "verb": "claim", "count": count,
                                       "f_kind": kind})
    assert done.status_code == 200 and f"claim: {count:,} items" in done.text
    assert query(db, "SELECT count(*) FROM queue_audit WHERE actor = 'rev40'"
                     " AND new_assignee = 'rev40'")[0][0] == count


def test_the_auditor_reads_the_trail_and_changes_nothing(db: Path) -> None:
    item = item_in(db, "40")
    reviewer = signed_in(db, "rev40")
    shown = form_of(reviewer, f"/items/{item}")
    reviewer.post(f"/items/{item}/act", data={**shown, "verb": "claim"})
    auditor = signed_in(db, "eve")
    trail = auditor.get("/audit?actor=rev40")
    assert trail.status_code == 200 and f'href="/items/{item}"' in trail.text
    people = auditor.get("/audit?people=1").text
    assert f'href="/items/{item}"' in people and "popdq-nightly" not in people
    assert reviewer.get("/audit").status_code == 403
    page = auditor.get(f"/items/{item}").text
    assert "/act" not in page and "/unmask" not in page
    token = re.findall(r'name="csrf" value="([^"]+)"', page)[0]
    refused = auditor.post(f"/items/{item}/act", data={"csrf": token, "verb": "resolve",
                                                        "version": state(db, item)[2],
                                                        "note": "x"})
    assert refused.status_code == 403


def test_the_inbox_pages_by_key_through_every_item_of_a_filter(db: Path) -> None:
    browser = signed_in(db, "boss")

    def page(path: str) -> tuple[list[int], dict[str, str]]:
        text = browser.get(path).text
        links = {rel: link.replace("&amp;", "&") for link, rel in
                 re.findall(r'href="(/\?[^"]+)" rel="(next|prev)"', text)}
        return [int(i) for i in re.findall(r'<td><a href="/items/(\d+)">', text)], links

    pages: list[list[int]] = []
    path = "/?source=tax&status=open"
    while path:
        ids, links = page(path)
        pages.append(ids)
        path = links.get("next", "")
    expected = [int(str(i)) for (i,) in query(
        db, "SELECT item_id FROM queue_items WHERE source = 'tax' AND status = 'open'"
            " ORDER BY priority, item_id")]
    assert [i for ids in pages for i in ids] == expected and len(pages) > 2
    second, links = page(page("/?source=tax&status=open")[1]["next"])
    assert second == pages[1] and page(links["prev"])[0] == pages[0]


def test_web_actions_during_a_nightly_run_all_complete_and_are_all_audited(db: Path) -> None:
    resolving = signed_in(db, "boss")
    items = [int(str(i)) for (i,) in query(
        db, "SELECT item_id FROM queue_items WHERE status = 'open' AND kind <> 'link_review'"
            " ORDER BY item_id LIMIT 400")]
    night = subprocess.Popen([str(POPDQ), "run", "--as-of", "2026-07-01", "--warehouse",
                              str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    done: list[int] = []
    during = 0
    while items and (night.poll() is None or len(done) < 5):
        item = items.pop(0)
        shown = form_of(resolving, f"/items/{item}")
        answer = resolving.post(f"/items/{item}/act", data={**shown, "verb": "resolve",
                                                            "note": "during the night"},
                                follow_redirects=False)
        assert answer.status_code == 303, answer.text
        done.append(item)
        during += night.poll() is None
    _, err = night.communicate(timeout=300)
    assert night.returncode == 0, err
    assert during >= 3, "the run ended before the reviewer could act during it"
    audited = {int(str(i)) for (i,) in query(
        db, "SELECT item_id FROM queue_audit WHERE actor = 'boss' AND action = 'resolved'"
            " AND note = 'during the night'")}
    assert audited == set(done)
    assert query(db, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == [("succeeded",)]
    assert {s for (s,) in query(db, "SELECT DISTINCT status FROM queue_items WHERE item_id IN"
                                    f" ({', '.join(map(str, done))})")} == {"resolved"}


def test_the_dashboard_shows_the_report_s_figures_for_one_s_localities(db: Path) -> None:
    records = query(db, "SELECT province, sum(records) FROM run_records WHERE run_id ="
                        " (SELECT max(run_id) FROM run_records) GROUP BY ALL")
    per_province = {str(p): int(str(n)) for p, n in records}
    mine = signed_in(db, "rev40").get("/dashboard").text
    headline = re.findall(r'Records checked</span><b>([\d,]+)</b>', mine)
    assert headline == [f"{per_province['40']:,}"]
    assert re.findall(r"<summary>([^<]+)</summary>", mine) == ["40 Nghệ An"]
    everything = signed_in(db, "boss").get("/dashboard").text
    assert re.findall(r'Records checked</span><b>([\d,]+)</b>', everything) == [
        f"{sum(per_province.values()):,}"]
    assert {"40 Nghệ An", "79 Thành phố Hồ Chí Minh"} <= set(
        re.findall(r"<summary>([^<]+)</summary>", everything))
    assert 'class="chart chart-lines"' in everything


def test_users_are_managed_from_the_command_line_in_one_line_each(db: Path) -> None:
    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(POPDQ), "users", *args, "--warehouse", str(db)],
                              input=stdin, capture_output=True, text=True, check=False)

    added = users("add", "lan", "--role", "reviewer", "--locality", "40", "--locality",
                  "01", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0 and "user lan added (reviewer; 40 01)" in added.stdout
    for args, stdin, says in (
            (("add", "lan2", "--role", "reviewer", "--password-stdin"), PASSWORD,
             "a reviewer needs at least one --locality"),
            (("add", "lan3", "--role", "root", "--password-stdin"), PASSWORD, "'root'"),
            (("add", "lan4", "--role", "steward", "--locality", "99", "--password-stdin"),
             PASSWORD, "unknown locality '99'"),
            (("add", "lan5", "--role", "steward", "--password-stdin"), "short\n",
             "at least 12 characters"),
            (("add", "lan", "--role", "steward", "--password-stdin"), PASSWORD, "exists")):
        refused = users(*args, stdin=stdin)
        assert refused.returncode != 0 and says in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    listed = users("list").stdout
    assert re.search(r"lan\s+reviewer\s+40 01\s+active", listed) and "argon2" not in listed
    assert users("reset-password", "lan", "--password-stdin",
                 stdin="another long password\n").returncode == 0
    assert commands.sign_in(db, "lan", "another long password") is not None
    assert query(db, "SELECT action FROM account_audit WHERE name = 'lan' ORDER BY event_id"
                 ) == [("added",), ("password_reset",)]


@dataclass(frozen=True)
class Served:
    url: str
    db: Path
    log: Path


@pytest.fixture(scope="module")
def served(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`popdq web` on a free port of localhost, on its own copy of the warehouse, its log
    (stdout and stderr) kept in a file."""
    folder = tmp_path_factory.mktemp("served")
    db = Path(shutil.copy(built, folder / "w.duckdb"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = folder / "web.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(POPDQ), "web", "--port", str(port), "--warehouse",
                                    str(db)], stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while f"workbench: {url}/" not in log.read_text(encoding="utf-8"):
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "popdq web did not say where it listens"
            time.sleep(0.1)
        with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
            assert answer.status == 200
        yield Served(url, db, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_in_a_browser_a_reviewer_filters_opens_sees_the_differences_and_resolves(
        served: Served, chromium: Path, tmp_path: Path) -> None:
    kind = str(query(served.db, "SELECT kind FROM queue_items WHERE province = '40' AND"
                                " kind IN ('name_mismatch', 'dob_mismatch') AND status = 'open'"
                                " GROUP BY kind ORDER BY count(*) DESC LIMIT 1")[0][0])
    shots: list[Path] = []

    def shot(page: Page, name: str) -> None:
        shots.append(tmp_path / f"{len(shots) + 1:02}-{name}.png")
        page.screenshot(path=str(shots[-1]), full_page=True)
        print(f"screenshot: {shots[-1]}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{served.url}/")
            assert "/login" in page.url
            page.fill("input[name=username]", "rev40")
            page.fill("input[name=password]", PASSWORD)
            page.click("button:text('Sign in')")
            page.select_option("select[name=kind]", kind)
            page.click("button:text('Filter')")
            rows = page.locator("table.items tbody tr")
            assert rows.count() > 0
            assert all(cell == kind for cell in page.locator(
                "table.items tbody tr td:nth-child(4)").all_inner_texts())
            shot(page, "inbox")
            page.locator("table.items tbody tr td a").first.click()
            item = int(page.url.rsplit("/", 1)[1])
            assert page.locator(".side-by-side tr.flagged mark.diff").count() > 0
            assert page.locator("svg.chart-waterfall rect").count() > 2
            shot(page, "item")
            page.fill("form.decide textarea[name=note]", "checked with the commune office")
            page.click("button:text('Resolve')")
            assert page.locator("#status").inner_text() == "resolved"
            history = page.locator(".history tbody tr").last.inner_text()
            assert "rev40" in history and "resolved" in history
            shot(page, "resolved")

            auditor = browser.new_page(viewport={"width": 1280, "height": 900})
            auditor.goto(f"{served.url}/login")
            auditor.fill("input[name=username]", "eve")
            auditor.fill("input[name=password]", PASSWORD)
            auditor.click("button:text('Sign in')")
            auditor.click("a:text('Audit trail')")
            row = auditor.locator("table.audit tbody tr").first.inner_text()
            assert "rev40" in row and "resolved" in row and str(item) in row
            assert "checked with the commune office" in row
            shot(auditor, "audit")
        finally:
            browser.close()
    assert query(served.db, "SELECT actor, action, note FROM queue_audit WHERE item_id ="
                            f" {item} ORDER BY audit_id DESC LIMIT 1") == [
        ("rev40", "resolved", "checked with the commune office")]
    assert all(path.stat().st_size > 10_000 for path in shots)


def test_the_server_log_holds_no_id_number_or_name(served: Served) -> None:
    item = item_in(served.db, "40", "name_mismatch")
    person, record = query(served.db, "SELECT person_id, record_id FROM queue_items"
                                      f" WHERE item_id = {item}")[0]
    name = str(query(served.db, f"SELECT full_name FROM registry WHERE person_id = '{person}'"
                     )[0][0])
    with httpx.Client(base_url=served.url, follow_redirects=True) as browser:
        assert browser.post("/login", data={"username": "rev40", "password": PASSWORD}
                            ).status_code == 200
        token = re.findall(r'name="csrf" value="([^"]+)"', browser.get(f"/items/{item}").text)[0]
        unmasked = browser.post(f"/items/{item}/unmask", data={"csrf": token})
        shown = re.sub(r"<[^>]+>", "", unmasked.text)  # marked differences cut a name
        assert unmasked.status_code == 200 and name in shown and str(person) in shown
        browser.get("/", params={"assignee": name, "locality": "40"})
        browser.get(f"/items/{name}")
        browser.post("/login", data={"username": name, "password": str(person)})
    time.sleep(0.5)
    log = served.log.read_text(encoding="utf-8")
    assert "GET /items/{item_id} 200" in log and "POST /items/{item_id}/unmask 200" in log
    for secret in (name, *name.split()[-1:], str(person), str(record)):
        assert secret not in log
    assert not re.search(r"\d{9,}", log)
    assert query(served.db, "SELECT actor, action FROM queue_audit WHERE item_id ="
                            f" {item} ORDER BY audit_id DESC LIMIT 1") == [
        ("rev40", "viewed_unmasked")]
