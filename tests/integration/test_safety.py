"""Safety end to end: what popdq prints, writes and opens cannot be turned against anyone.

The warehouse is seeded directly (a registry and a tax extract loaded through the CLI,
then findings, a queue and a run record through the warehouse's own functions), so these
checks need no nightly run. One tax record and its finding hold escape codes, bidi
overrides and a formula, as a hostile or careless extract could.
"""

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from matching.discrepancies import FINDINGS_SCHEMA
from popdq.contract import DATASETS
from tests.integration.conftest import popdq
from warehouse.db import open_warehouse
from warehouse.findings import DISCREPANCY_COLUMNS, replace_findings
from warehouse.queue import sync_queue
from warehouse.runs import finish_run, start_run
from warehouse.summaries import summarise_run

EVIL_NAME = "\x1b[31mNguyễn\x1b[0m \u202eAn\x07\x08\x7f"
EVIL_NOTE = "done\x1b]0;owned\x07\x1b[2J\u2066ok\u2069\nsecond line"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                    "\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal raw (a newline between lines is fine)."""

REGISTRY = ("person_id,full_name,date_of_birth,sex,province_code,commune_code,status\n"
            "001090000001,Nguyễn Văn An,1990-01-02,M,01,00004,alive\n")


def tax_extract() -> str:
    """Two tax records, one of them hostile."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DATASETS["tax"].columns)
    blank = dict.fromkeys(DATASETS["tax"].columns, "")
    for row in ({"record_id": "T1", "tax_code": "0100000001", "full_name": EVIL_NAME,
                 "status": "active"},
                {"record_id": "T2", "tax_code": "0100000002", "full_name": "Lê Thị Cúc",
                 "status": "active"}):
        writer.writerow({**blank, **row}.values())
    return out.getvalue()


def finding(record_id: str, source_value: str, detail: str) -> dict[str, object]:
    return {"source": "tax", "record_id": record_id, "person_id": None,
            "criterion": "sufficient", "kind": "not_in_registry", "field": "person_id",
            "source_value": source_value, "registry_value": None, "province": "01",
            "commune": None, "detail": detail, "priority": 30, "group_id": None}


def seed(folder: Path) -> Path:
    """A warehouse with a registry, the tax extract, two findings, their queue items and
    one successful run."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (folder / "tax.csv").write_text(tax_extract(), encoding="utf-8")
    db = folder / "w.duckdb"
    for kind in ("registry", "tax"):
        loaded = popdq("load", kind, folder / f"{kind}.csv", "--warehouse", db)
        assert loaded.returncode == 0, loaded.stderr
    found = pl.DataFrame([finding("T1", EVIL_NAME, f"no registry person is {EVIL_NAME}"),
                          finding("T2", "=HYPERLINK(\"http://x\")", "plain")],
                         schema=FINDINGS_SCHEMA)
    with open_warehouse(db) as con:
        run_id = start_run(con, as_of=dt.date(2026, 7, 1), locality=None, source=None,
                           mode="full")
        replace_findings(con, run_id=run_id, source="tax", findings=found,
                         records=found.get_column("record_id"))
        sync_queue(con, run_id=run_id, sources=["tax"])
        summarise_run(con, run_id)
        finish_run(con, run_id, status="succeeded", timings={})
    return db


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def warehouse(seeded: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded warehouse, for a test that changes it."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(seeded, copy)
    return copy


def one_line_error(result: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    assert result.returncode != 0 if code is None else result.returncode == code, result
    assert result.stderr.startswith("popdq: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.stderr


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- 1. screen-safe output


def test_queue_views_show_escape_codes_and_bidi_overrides_escaped(warehouse: Path) -> None:
    listed = popdq("queue", "list", "--warehouse", warehouse)
    assert listed.returncode == 0, listed.stderr
    assert not UNSAFE.search(listed.stdout)
    assert "no registry person is \\x1b[31mNguyễn\\x1b[0m \\u202eAn\\x07\\x08\\x7f" in listed.stdout
    assigned = popdq("queue", "assign", "1", "--to", "team\x1b[8m", "--note", EVIL_NOTE,
                     "--by", "rev\u202eiewer", "--warehouse", warehouse)
    assert assigned.returncode == 0, assigned.stderr
    shown = popdq("queue", "show", "1", "--warehouse", warehouse)
    assert shown.returncode == 0, shown.stderr
    assert not UNSAFE.search(shown.stdout)
    assert "\\x1b[31mNguyễn\\x1b[0m \\u202eAn\\x07\\x08\\x7f" in shown.stdout  # the record
    assert "assigned to team\\x1b[8m" in shown.stdout
    history = shown.stdout.splitlines()[-1]  # the note's newline is shown, not obeyed
    assert history.endswith("rev\\u202eiewer assigned (open → in_review): done\\x1b]0;owned\\x07"
                            "\\x1b[2J\\u2066ok\\u2069\\x0asecond line")


def test_error_lines_are_escaped_and_stay_one_line(tmp_path: Path) -> None:
    result = popdq("load", "tax", tmp_path / "evil\x1b[2J\nname.csv",
                   "--warehouse", tmp_path / "w.duckdb")
    assert "evil\\x1b[2J\\x0aname.csv" in one_line_error(result)
    assert not UNSAFE.search(result.stderr.rstrip("\n"))


# ---------------------------------------------------------------- 2 and 3. exports


def test_export_to_stdout_is_the_csv_and_nothing_else(seeded: Path, tmp_path: Path) -> None:
    result = popdq("export", "discrepancies", "--out", "-", "--warehouse", seeded, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == DISCREPANCY_COLUMNS
    assert [row[DISCREPANCY_COLUMNS.index("source_value")] for row in rows[1:]] == [
        EVIL_NAME, "'=HYPERLINK(\"http://x\")"]  # neutralised; not a terminal, so bytes kept
    assert result.stderr == "2 discrepancies rows written to standard output\n"
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_export_to_a_file_neutralises_formulas(seeded: Path, tmp_path: Path) -> None:
    result = popdq("export", "queue", "--out", tmp_path / "q.csv", "--warehouse", seeded)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert stat.S_IMODE((tmp_path / "q.csv").stat().st_mode) == 0o600


# ---------------------------------------------------------------- 4. files popdq must not touch


@pytest.mark.parametrize("content", [b"person_id,full_name\n001,An\n", b""],
                         ids=["a CSV", "an empty file"])
def test_a_file_that_is_not_a_warehouse_is_refused_and_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    some = tmp_path / "some.csv"
    some.write_bytes(content)
    some.chmod(0o644)
    before = fingerprint(some)
    (tmp_path / "tax.csv").write_text(tax_extract(), encoding="utf-8")
    for command in (("load", "tax", tmp_path / "tax.csv"), ("export", "queue", "--out", "-"),
                    ("queue", "list")):
        result = popdq(*command, "--warehouse", some)
        assert "some.csv: not a popdq warehouse, or damaged" in one_line_error(result)
        assert result.stdout == ""
    assert fingerprint(some) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["some.csv", "tax.csv"]


@pytest.mark.parametrize("damage", ["truncated", "bit-rotted"])
def test_a_damaged_warehouse_is_refused_and_left_alone(seeded: Path, tmp_path: Path,
                                                       damage: str) -> None:
    db = tmp_path / "w.duckdb"
    data = bytearray(seeded.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[4096 + 100] ^= 0xFF  # a byte of the database header: its checksum fails
    db.write_bytes(bytes(data))
    before = fingerprint(db)
    for command in (("queue", "list"), ("queue", "assign", "1", "--to", "x")):
        result = popdq(*command, "--warehouse", db)
        assert "w.duckdb: not a popdq warehouse, or damaged" in one_line_error(result, 1)
    assert fingerprint(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_an_existing_warehouse_keeps_the_mode_its_owner_gave_it(warehouse: Path) -> None:
    warehouse.chmod(0o640)
    (warehouse.parent / "tax.csv").write_text(tax_extract(), encoding="utf-8")
    result = popdq("load", "tax", warehouse.parent / "tax.csv", "--warehouse", warehouse)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(warehouse.stat().st_mode) == 0o640


# ---------------------------------------------------------------- 5. read-only opening

READS = (("export", "queue", "--out", "-"), ("queue", "list"), ("queue", "show", "1"),
         ("report", "--out", "{tmp}/report.html"), ("validate",))


def run_reads(db: Path, tmp: Path) -> None:
    for command in READS:
        result = popdq(*(part.format(tmp=tmp) for part in command), "--warehouse", db)
        assert result.returncode == 0, (command, result.stderr)


def test_read_commands_open_the_warehouse_read_only(warehouse: Path, tmp_path: Path) -> None:
    """A reader holding the file shares it with readers only: popdq's read commands work
    beside it, a command that writes cannot (DuckDB's own file locks say which is which):
    it waits for the reader (POPDQ_BUSY_WAIT seconds), then says who holds the file."""
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        run_reads(warehouse, tmp_path)
        assigned = popdq("queue", "assign", "1", "--to", "x", "--warehouse", warehouse,
                         env={"POPDQ_BUSY_WAIT": "1"})
        assert "the warehouse is busy: another program" in one_line_error(assigned, 75)
    finally:
        reader.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file as on a read-only mount: immutable for root (who ignores modes), else
    read-only modes on the file and its folder."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"cannot make a file read-only for root here: {made.stderr!r}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    path.chmod(0o400)
    path.parent.chmod(0o500)
    try:
        yield
    finally:
        path.parent.chmod(0o700)
        path.chmod(0o600)


def test_read_commands_work_on_a_read_only_file_and_writes_say_why_not(
    warehouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = warehouse.read_bytes()
    with read_only(warehouse):
        run_reads(warehouse, out)
        assigned = popdq("queue", "assign", "1", "--to", "x", "--warehouse", warehouse)
        assert "the warehouse is read-only here" in one_line_error(assigned, 1)
        unmasked = popdq("queue", "show", "1", "--unmask", "--warehouse", warehouse)
        assert "the warehouse is read-only here" in one_line_error(unmasked, 1)
    assert warehouse.read_bytes() == before


# ---------------------------------------------------------------- 6. output folders


def test_synth_refuses_a_folder_with_files_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "world"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    (out / "registry.csv").write_text("old", encoding="utf-8")
    (out / "registry.csv").chmod(0o644)
    refused = popdq("synth", "--persons", "20", "--seed", "1", "--out", out)
    assert "--out" in one_line_error(refused, 2) and "--force" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "registry.csv"]
    forced = popdq("synth", "--persons", "20", "--seed", "1", "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["mine.txt", "registry.csv", "social_insurance.csv", "tax.csv", "health_insurance.csv",
         "truth.csv"])
    assert (out / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert (out / "registry.csv").read_text(encoding="utf-8").startswith("person_id,")
    assert stat.S_IMODE((out / "registry.csv").stat().st_mode) == 0o600  # a new file


def test_demo_refuses_before_it_writes_anything(tmp_path: Path, seeded: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    refused = popdq("demo", "--persons", "20", "--out", out,
                    "--warehouse", tmp_path / "demo.duckdb")
    assert "--force" in one_line_error(refused, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    foreign = tmp_path / "real.duckdb"
    shutil.copy(seeded, foreign)
    before = fingerprint(foreign)
    refused = popdq("demo", "--persons", "20", "--out", tmp_path / "new", "--force",
                    "--warehouse", foreign)
    assert "popdq demo did not create" in one_line_error(refused, 1)
    assert not (tmp_path / "new").exists() and fingerprint(foreign) == before


# ---------------------------------------------------------------- 7. bad parameters


def test_an_item_id_beyond_bigint_is_no_such_item(warehouse: Path) -> None:
    for command in (("queue", "assign", "100000000000000000000", "--to", "x"),
                    ("queue", "show", "99999999999999999999999")):
        result = popdq(*command, "--warehouse", warehouse)
        assert "no queue item" in one_line_error(result, 2)


def test_serve_refuses_a_bad_cron_before_it_says_it_serves(warehouse: Path) -> None:
    result = popdq("serve", "--cron", "not a cron", "--warehouse", warehouse)
    assert "'not a cron' is not a cron expression" in one_line_error(result, 2)
    assert result.stdout == ""


def test_run_refuses_a_day_that_is_not_in_the_calendar(warehouse: Path) -> None:
    result = popdq("run", "--as-of", "2026-02-30", "--warehouse", warehouse)
    assert "2026-02-30 is not a calendar date" in one_line_error(result, 2)
    result = popdq("run", "--as-of", "30/02/2026", "--warehouse", warehouse)
    assert "not a date written YYYY-MM-DD" in one_line_error(result, 2)
