"""No personal data leaves the warehouse (Decree 13/2023), and everything popdq writes is
owner-only.

The package's two-night flow (conftest `flow`) on its own world and POPDQ_HOME: synth, the
four loads, a first night, a reviewer's actions, a second night on changed extracts (with
Prefect logging at INFO, as an operator may set it), `report`, `validate --docs` and the
three exports. Then every file under POPDQ_HOME (Prefect's SQLite database with the runs'
logs and artifacts, read column by column and byte by byte, its WAL, anything else), the run
reports, the on-demand report, the Data Docs folder, and the stdout and stderr of every
command are scanned
for the registry's 12-digit person_ids and full names (NFC, as written in registry.csv), and
also for the other identifiers of the world (old 9-digit ID numbers, the sources' ID
numbers, tax, social-insurance and card codes) and the names as the sources write them. Only
the warehouse, its `.wal` and `.work/`, and the exports may hold them.
The commands run with a permissive umask (022), so owner-only modes are popdq's doing.
"""

import html
import json
import os
import re
import sqlite3
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from popdq.divisions import load_divisions
from tests.integration.conftest import FILES, FLOW_PERSONS, Flow, browse, read_csv

SQLITE_HEADER = b"SQLite format 3\x00"
IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])[A-Z]{0,3}\d{9,15}(?![0-9A-Za-z])")
IDENTIFIERS = {"registry": ("person_id", "old_id_number"),
               "social_insurance": ("id_number", "bhxh_code"),
               "tax": ("id_number", "tax_code"), "health_insurance": ("id_number", "card_number")}
WORD_RUN = re.compile(r"[^\W\d_]+(?:[ \u00a0]+[^\W\d_]+)*")
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Secrets:
    person_ids: frozenset[str]
    """The registry's 12-digit person_ids."""
    identifiers: frozenset[str]
    """Those and every other identifier of the world (IDENTIFIERS)."""
    names: frozenset[str]
    """Full names of two words or more: the registry's and the sources', NFC."""
    longest: int
    """Words in the longest name."""


@pytest.fixture(scope="module")
def secrets(flow: Flow) -> Secrets:
    ids: set[str] = set()
    names: set[str] = set()
    for kind, columns in IDENTIFIERS.items():
        for row in read_csv(flow.world / f"{kind}.csv"):
            ids.update(row[c] for c in columns if IDENTIFIER.fullmatch(row[c]))
            names.add(" ".join(unicodedata.normalize("NFC", row["full_name"]).split()))
    places = {name.split(maxsplit=1)[1] for name in
              load_divisions().communes.get_column("name").to_list() if " " in name}
    names = {n for n in names if len(n.split()) >= 2} - places  # "Xã Nguyễn Huệ" is a place
    people = read_csv(flow.world / "registry.csv")
    assert len({p["person_id"] for p in people} & ids) == FLOW_PERSONS
    return Secrets(frozenset(p["person_id"] for p in people), frozenset(ids),
                   frozenset(names), max(len(n.split()) for n in names))


def readable(text: str) -> str:
    """The text as a person would read it: JSON escapes and HTML entities undone, NFC."""
    text = JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    return unicodedata.normalize("NFC", html.unescape(text))


def leaks(text: str, secrets: Secrets) -> list[str]:
    """The world's identifiers and full names that occur in a text."""
    text = readable(text)
    found = {m for m in IDENTIFIER.findall(text) if m in secrets.identifiers}
    for run in WORD_RUN.findall(text):
        words = run.split()
        for start in range(len(words)):
            for end in range(start + 2, min(len(words), start + secrets.longest) + 1):
                candidate = " ".join(words[start:end])
                if candidate in secrets.names:
                    found.add(candidate)
    return sorted(found)


def sqlite_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(table.column, value) of every text or blob cell of a SQLite database, read-only."""
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = con.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", errors="replace")
                    if isinstance(value, str):
                        yield f"{table}.{column}", value
    finally:
        con.close()


def files_under(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in [root, *root.rglob("*")] if p.is_file())


def test_no_person_id_or_name_leaves_the_warehouse(flow: Flow, secrets: Secrets) -> None:
    databases = [p for p in files_under(flow.home) if p.read_bytes()[:16] == SQLITE_HEADER]
    assert databases, "Prefect's database is under POPDQ_HOME"
    assert (flow.home / "prefect").is_dir()
    stored = {where.split(".")[0] for database in databases for where, _ in sqlite_texts(database)}
    assert {"artifact", "log"} <= stored, "the scan sees the runs' artifacts and logs"
    keys = {value for database in databases for where, value in sqlite_texts(database)
            if where == "artifact.key"}
    assert {"popdq-run-summary", "popdq-findings"} <= keys  # left by runs on the temporary server
    names = {value for database in databases for where, value in sqlite_texts(database)
             if where == "task_run.name"}
    # one task run per step and per partition, named for the UI (the first run prepares)
    assert {"normalise registry 0", "link tax 0", "discrepancies tax 0", "publish"} <= names
    reports = sorted((flow.warehouse.parent / "reports").glob("run-*.html"))
    assert len(reports) == 2
    scanned = files_under(flow.home, flow.docs, flow.report, *reports)
    found: dict[str, list[str]] = {}
    for path in scanned:  # every byte, whatever the file (the SQLite files and WAL too)
        if hits := leaks(path.read_bytes().decode("utf-8", errors="replace"), secrets):
            found[str(path.relative_to(flow.root))] = hits
    for database in databases:
        for where, value in sqlite_texts(database):
            if hits := leaks(value, secrets):
                found.setdefault(f"{database.name}: {where}", []).extend(hits)
    for command, output in flow.outputs:
        if hits := leaks(output, secrets):
            found[f"output of popdq {command}"] = hits
    assert not found, {where: hits[:3] for where, hits in found.items()}


def test_the_scan_would_see_a_leak(flow: Flow, secrets: Secrets) -> None:
    """The exports hold identifiers and names in full (they exist to be worked on): the same
    scan finds them there, so a clean scan above means something."""
    exported = "\n".join((flow.exports / f"{name}.csv").read_text(encoding="utf-8")
                         for name in ("matches", "discrepancies"))
    hits = leaks(exported, secrets)
    assert len(secrets.person_ids.intersection(hits)) > 100
    assert len(secrets.names.intersection(hits)) > 100
    assert leaks(json.dumps({"name": sorted(secrets.names)[0]}), secrets)  # \u escapes too
    assert leaks(html.escape(f"<td>{sorted(secrets.names)[-1]}</td>"), secrets)


def test_every_file_and_folder_popdq_created_is_owner_only(flow: Flow) -> None:
    created = [flow.world, flow.warehouse.parent, flow.report.parent, flow.docs, flow.exports,
               flow.home]
    paths = [p for root in created for p in [root, *root.rglob("*")]]
    assert flow.warehouse in paths and (flow.warehouse.parent / "w.duckdb.work") in paths
    assert (flow.warehouse.parent / "reports").is_dir()
    assert len([p for p in paths if p.is_relative_to(flow.exports)]) == 4
    assert any(p.name == "index.html" for p in paths if p.is_relative_to(flow.docs))
    assert any(p.suffix == ".db" for p in paths if p.is_relative_to(flow.home))
    loose = {str(p.relative_to(flow.root)): oct(stat.S_IMODE(p.lstat().st_mode))
             for p in paths if stat.S_IMODE(p.lstat().st_mode) & 0o077}
    assert not loose


EXTERNAL_ATTRIBUTE = re.compile(
    r"""<(?!a\b)(\w+)\b[^>]*?\b(?:src|href|srcset|data|poster)\s*=\s*["']?\s*(https?:)?//""",
    re.IGNORECASE)
EXTERNAL_CSS = re.compile(r"""url\(\s*["']?\s*(https?:)?//|@import\s+["']?(https?:)?//""",
                          re.IGNORECASE)
PROBE = """<pre id="popdq-probe"></pre>
<script>
  (function () {
    function style(selector, property) {
      const el = document.querySelector(selector);
      return el ? getComputedStyle(el).getPropertyValue(property) : null;
    }
    const rows = Array.from(document.querySelectorAll(
      ".ge-index-page-validation-results-table tbody tr[data-href]"));
    document.getElementById("popdq-probe").textContent = JSON.stringify({
      row: style(".row", "display"),
      alert: style(".alert-secondary", "background-color"),
      hiddenTab: style(".tab-pane:not(.active)", "display"),
      links: rows.map(function (tr) { return tr.getAttribute("data-href"); }),
    });
  })();
</script>
</body>"""


def test_data_docs_fetch_nothing_from_another_host(flow: Flow) -> None:
    site = flow.docs / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 9  # the index, four suites, four validations
    for path in [*pages, *site.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL_ATTRIBUTE.search(text), (path, EXTERNAL_ATTRIBUTE.search(text))
        assert not EXTERNAL_CSS.search(text), (path, EXTERNAL_CSS.search(text))


def test_data_docs_render_offline_with_their_local_styles(flow: Flow, chromium: Path) -> None:
    """The index, opened with every host unresolvable: the local stylesheet is applied (a
    Bootstrap grid row is a flex box, an alert has its background, an inactive tab is
    hidden) and the local script built the index's tables with links to existing pages."""
    index = flow.docs / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    probe = index.with_name("popdq-probe.html")  # beside it: the same relative assets
    page = index.read_text(encoding="utf-8").replace("</body>", PROBE, 1)
    descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as f:
            f.write(page)
        dom = browse(chromium, probe, "--host-resolver-rules=MAP * ~NOTFOUND",
                     "--dump-dom").stdout.decode("utf-8")
    finally:
        probe.unlink()
    found = re.search(r'<pre id="popdq-probe">(.*?)</pre>', dom, re.DOTALL)
    assert found and found[1], dom[-2000:]
    seen = json.loads(html.unescape(found[1]))
    assert seen["row"] == "flex"
    assert seen["alert"] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert seen["hiddenTab"] == "none"
    assert len(seen["links"]) == len(FILES)  # one validation result per dataset
    for link in seen["links"]:
        assert (index.parent / link).is_file()
