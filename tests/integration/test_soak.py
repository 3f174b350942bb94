"""Twenty nights in a row on changing data: the queue stays consistent, reviewers' decisions
stick, and memory stays flat (issue: reliability).

Slow (about 10–15 minutes on 2 cores), so behind the `soak` marker and out of `make test`:
run it with `make soak` (`.venv/bin/pytest -m soak tests/integration/test_soak.py`). It
prints a table of the nights and writes the figures to bench/results/soak.json.

Night 1 loads a synthetic world and runs the flow. Before each later night the extracts
change as they do in life — in each source a few records are corrected to the registry's
value, renamed, removed, added (copies, and people of the registry), and a few records of
items a reviewer closed change again; in the registry a few people die, a few are added, a
birth date is corrected — and are loaded again. After each night a simulated reviewer
resolves, rejects and assigns items through `popdq queue`. After every step:

- one item per key (source, record_id, kind, field), items are never deleted;
- every item's status is the new_status of its last audit row, and each audit row starts
  where the one before it ended (so every status change has its row); every change seen
  between two steps has its rows;
- an item a reviewer resolved or rejected keeps its status and values unless its values
  changed: then it is reopened.

Memory: the peak RSS of each run (the largest step's, from the run record's `resources`,
and the whole process's, from os.wait4) of the last five nights stays within 1.5× the median
of nights 2–6 (night 1 trains the model). Wall times are printed, never asserted.
"""

import csv
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.integration.conftest import POPDQ, popdq

pytestmark = pytest.mark.soak

PERSONS, SEED, NIGHTS = 4000, 17, 20
FIRST_NIGHT = dt.date(2026, 7, 1)
SOURCES = ("social_insurance", "tax", "health_insurance")
CLOSED = ("resolved", "rejected")
MEMORY_BOUND = 1.5
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "soak.json"
QUEUE_LINE = re.compile(r"queue: ([\d,]+) new, ([\d,]+) updated, ([\d,]+) reopened, "
                        r"([\d,]+) fixed at source")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
SEX = {"M": "Nam", "F": "Nữ"}


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    """Read the warehouse between commands; the connection is closed before the next one."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def ok(*args: str | Path) -> str:
    result = popdq(*args)
    assert result.returncode == 0, f"popdq {' '.join(map(str, args[:3]))}: {result.stderr}"
    return result.stdout


@dataclass
class Extract:
    header: list[str]
    rows: list[dict[str, str]]

    @classmethod
    def read(cls, path: Path) -> "Extract":
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            return cls(list(reader.fieldnames or []), list(reader))

    def write(self, path: Path) -> Path:
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.rows)
        return path


def day_first(date: str) -> str:
    """A registry date as the sources write it (dd/mm/yyyy); partial dates as they are."""
    m = ISO_DATE.fullmatch(date)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else date


def change_sources(extracts: dict[str, Extract], db: Path, night: int,
                   rng: random.Random) -> None:
    """A night's changes to each source extract."""
    fixable = query(db, "SELECT source, record_id, field, registry_value FROM queue_items"
                    " WHERE status IN ('open', 'in_review') AND registry_value IS NOT NULL"
                    " AND kind IN ('name_mismatch', 'dob_mismatch') ORDER BY item_id")
    decided = query(db, "SELECT source, record_id FROM queue_items WHERE status IN"
                    " ('resolved', 'rejected') AND kind = 'name_mismatch' ORDER BY item_id")
    people = [p for p in extracts["registry"].rows if p["status"] == "alive"]
    given = [p["full_name"].split()[-1] for p in rng.sample(people, 50)]
    for kind in SOURCES:
        extract = extracts[kind]
        by_id = {r["record_id"]: r for r in extract.rows}
        fixes = [f for f in fixable if f[0] == kind and f[1] in by_id]
        for _, record_id, column, value in rng.sample(fixes, min(3, len(fixes))):
            by_id[record_id][column] = value if column == "full_name" else day_first(value)
        again = sorted({r for s, r in decided if s == kind and r in by_id})
        for record_id in rng.sample(again, min(2, len(again))):  # a decided item's values move
            by_id[record_id]["full_name"] += " Văn"
        for row in rng.sample(extract.rows, 3):
            row["full_name"] = " ".join([*row["full_name"].split()[:-1], rng.choice(given)])
        gone = {r["record_id"] for r in rng.sample(extract.rows, 4)}
        extract.rows = [r for r in extract.rows if r["record_id"] not in gone]
        for k, row in enumerate(rng.sample(extract.rows, 2)):  # the same person twice
            extract.rows.append({**row, "record_id": f"N{night:02d}D{k}-{row['record_id']}"})
        for k, person in enumerate(rng.sample(people, 2)):
            template = rng.choice(extract.rows)
            extract.rows.append({
                **template, "record_id": f"N{night:02d}P{k}-{template['record_id']}",
                "full_name": person["full_name"],
                "date_of_birth": day_first(person["date_of_birth"]),
                "id_number": person["person_id"], "province_code": person["province_code"],
                **({"commune_code": person["commune_code"]} if "commune_code" in template
                   else {}),
                **({"sex": SEX.get(person["sex"], person["sex"])} if "sex" in template else {}),
            })


def change_registry(registry: Extract, night: int, as_of: dt.date,
                    rng: random.Random) -> None:
    """A night's changes to the registry: deaths, new people, a corrected birth date."""
    alive = [p for p in registry.rows if p["status"] == "alive"]
    known = {p["person_id"] for p in registry.rows}
    for person in rng.sample(alive, 2):
        person.update(status="deceased", date_of_death=(as_of - dt.timedelta(days=1)).isoformat(),
                      updated_at=as_of.isoformat())
    for k, person in enumerate(rng.sample(alive, 2)):
        person_id = f"{person['person_id'][:6]}9{night:02d}{k:03d}"  # province, century, year
        other = rng.choice(registry.rows)
        if person_id not in known:
            registry.rows.append({
                **person, "person_id": person_id, "old_id_number": "",
                "full_name": " ".join([*person["full_name"].split()[:-1],
                                       other["full_name"].split()[-1]]),
                "status": "alive", "date_of_death": "", "updated_at": as_of.isoformat()})
    dated = [p for p in alive if (m := ISO_DATE.fullmatch(p["date_of_birth"])) and int(m[3]) < 28]
    person = rng.choice(dated)
    day = int(person["date_of_birth"][8:]) + 1
    person.update(date_of_birth=f"{person['date_of_birth'][:8]}{day:02d}",
                  updated_at=as_of.isoformat())


def review(db: Path, night: int, rng: random.Random) -> int:
    """A reviewer's evening: resolve, reject and assign a few items; returns how many."""
    items = query(db, "SELECT item_id, kind, status FROM queue_items"
                  " WHERE status IN ('open', 'in_review') ORDER BY item_id")
    open_ids = [i for i, _, status in items if status == "open"]
    names = [i for i, kind, status in items if status == "open" and kind == "name_mismatch"]
    resolve = set(rng.sample(open_ids, min(4, len(open_ids)))) | set(names[:1])
    rest = [i for i in open_ids if i not in resolve]
    reject = set(rng.sample(rest, min(2, len(rest))))
    rest = [i for i in rest if i not in reject]
    assign = set(rng.sample(rest, min(2, len(rest))))
    in_review = [i for i, _, status in items if status == "in_review"]
    resolve |= set(rng.sample(in_review, min(1, len(in_review))))
    for verb, ids, extra in (
        ("resolve", resolve, ("--note", f"night {night}: corrected in the source system")),
        ("reject", reject, ("--note", f"night {night}: not an error")),
        ("assign", assign, ("--to", f"team-{night % 3}")),
    ):
        if ids:
            ok("queue", verb, *map(str, sorted(ids)), *extra, "--by", "soak-reviewer",
               "--warehouse", db)
    return len(resolve) + len(reject) + len(assign)


Items = dict[int, tuple[Any, ...]]
"""item_id → (status, source_value, registry_value, (source, record_id, kind, field))."""


def snapshot(db: Path) -> tuple[Items, int]:
    rows = query(db, "SELECT item_id, status, source_value, registry_value, source, record_id,"
                 " kind, field FROM queue_items")
    last = query(db, "SELECT coalesce(max(audit_id), 0) FROM queue_audit")[0][0]
    return {r[0]: (r[1], r[2], r[3], tuple(r[4:])) for r in rows}, int(last)


def check_queue(db: Path) -> None:
    """One item per key; each item's audit is a chain that ends at its status."""
    duplicates = query(db, "SELECT source, record_id, kind, field, count(*) FROM queue_items"
                       " GROUP BY ALL HAVING count(*) > 1 LIMIT 5")
    assert not duplicates
    assert query(db, "SELECT count(*) = count(DISTINCT audit_id) FROM queue_audit")[0][0]
    broken = query(db, """
        SELECT item_id, audit_id, old_status, previous FROM (
            SELECT item_id, audit_id, old_status,
                   lag(new_status) OVER (PARTITION BY item_id ORDER BY audit_id) AS previous,
                   row_number() OVER (PARTITION BY item_id ORDER BY audit_id) AS n
            FROM queue_audit)
        WHERE (n = 1 AND old_status IS NOT NULL) OR (n > 1 AND old_status IS DISTINCT FROM previous)
        LIMIT 5""")
    assert not broken, "an audit row does not start where the item's last one ended"
    stray = query(db, """
        SELECT q.item_id, q.status, a.last FROM queue_items q
        LEFT JOIN (SELECT item_id, arg_max(new_status, audit_id) AS last FROM queue_audit
                   GROUP BY item_id) a USING (item_id)
        WHERE a.last IS DISTINCT FROM q.status LIMIT 5""")
    assert not stray, "an item's status is not the new_status of its last audit row"


def check_changes(db: Path, before: Items, last_audit: int) -> None:
    """Every item created or changed since `before` has audit rows newer than it, from the
    old status to the new one; no item disappeared."""
    after, _ = snapshot(db)
    assert set(before) <= set(after), "queue items were deleted"
    trails: dict[int, list[tuple[Any, ...]]] = {}
    for item_id, action, old, new in query(
            db, "SELECT item_id, action, old_status, new_status FROM queue_audit"
            " WHERE audit_id > ? ORDER BY audit_id", [last_audit]):
        trails.setdefault(item_id, []).append((action, old, new))
    for item_id, (status, *_) in after.items():
        trail = trails.get(item_id, [])
        if item_id not in before:
            assert trail and trail[0][0] == "created" and trail[-1][2] == status, item_id
        elif before[item_id][0] != status:
            assert trail and trail[0][1] == before[item_id][0] and trail[-1][2] == status, (
                item_id, before[item_id][0], status, trail)


def check_decisions_stick(db: Path, before: Items) -> int:
    """Items resolved or rejected before a night: unchanged, or reopened because their values
    changed (and then reopened whenever tonight's finding has other values). Returns how many
    were reopened."""
    after, _ = snapshot(db)
    tonight: dict[tuple[Any, ...], set[tuple[Any, Any]]] = {}
    for *key, source_value, registry_value in query(
            db, "SELECT source, record_id, kind, field, source_value, registry_value"
            " FROM findings"):
        tonight.setdefault(tuple(key), set()).add((source_value, registry_value))
    reopened = 0
    for item_id, (status, source_value, registry_value, key) in before.items():
        if status not in CLOSED:
            continue
        now_status, now_source, now_registry, _ = after[item_id]
        values = (source_value, registry_value)
        if now_status == status:
            assert (now_source, now_registry) == values, item_id
            assert not tonight.get(key) or values in tonight[key], (
                f"item {item_id}: its finding's values changed and it stayed {status}")
        else:
            assert now_status == "open", (item_id, status, now_status)
            assert (now_source, now_registry) != values, f"item {item_id} reopened unchanged"
            reopened += 1
    return reopened


def run_night(db: Path, as_of: dt.date) -> tuple[str, float, float]:
    """`popdq run --as-of` in its own process: stdout, wall seconds, the process's peak RSS
    (MB, os.wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [str(POPDQ), "run", "--as-of", as_of.isoformat(), "--warehouse", str(db)],
            stdout=out, stderr=err, env={**os.environ})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8"), err.read().decode("utf-8")
    assert process.returncode == 0, stderr
    return stdout, wall, usage.ru_maxrss / 1024


def test_twenty_nights_keep_the_queue_consistent_and_memory_flat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    world = tmp_path / "world"
    ok("synth", "--persons", str(PERSONS), "--seed", str(SEED), "--out", world)
    db = tmp_path / "w.duckdb"
    extracts = {kind: Extract.read(world / f"{kind}.csv") for kind in ("registry", *SOURCES)}
    nights: list[dict[str, Any]] = []
    reopened_total = 0
    for night in range(1, NIGHTS + 1):
        as_of = FIRST_NIGHT + dt.timedelta(days=night - 1)
        rng = random.Random(SEED * 1000 + night)
        folder = tmp_path / f"night-{night:02d}"
        folder.mkdir()
        if night > 1:
            change_sources(extracts, db, night, rng)
            change_registry(extracts["registry"], night, as_of, rng)
        for kind, extract in extracts.items():
            ok("load", kind, extract.write(folder / f"{kind}.csv"), "--warehouse", db)

        before, last_audit = snapshot(db) if night > 1 else ({}, 0)
        stdout, wall, process_mb = run_night(db, as_of)
        check_queue(db)
        check_changes(db, before, last_audit)
        reopened = check_decisions_stick(db, before)
        reopened_total += reopened
        run_id, counts, resources = query(
            db, "SELECT run_id, counts, resources FROM runs ORDER BY run_id DESC LIMIT 1")[0]
        changes = QUEUE_LINE.search(stdout)
        assert changes, stdout
        new, updated, reopened_said, fixed = (int(g.replace(",", "")) for g in changes.groups())
        assert reopened_said >= reopened

        before, last_audit = snapshot(db)
        reviewed = review(db, night, rng)
        check_queue(db)
        check_changes(db, before, last_audit)

        statuses = dict(query(db, "SELECT status, count(*) FROM queue_items GROUP BY status"))
        nights.append({
            "night": night, "as_of": as_of.isoformat(), "run_id": run_id,
            "relinked": sum(c["relinked"] for c in json.loads(counts).values()),
            "records": sum(c["records"] for c in json.loads(counts).values()),
            "queue": {"new": new, "updated": updated, "reopened": reopened_said,
                      "fixed_at_source": fixed},
            "reviewed": reviewed, "statuses": statuses, "wall_s": round(wall, 1),
            "peak_rss_mb": max(s["peak_rss_mb"] for s in json.loads(resources).values()),
            "process_peak_rss_mb": round(process_mb),
        })

    table = render(nights)
    with capsys.disabled():
        print(f"\n{table}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "persons": PERSONS, "seed": SEED, "nights": nights, "memory_bound": MEMORY_BOUND,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform()},
        "reopened_after_a_decision": reopened_total,
    }, indent=2) + "\n", encoding="utf-8")

    closed = nights[-1]["statuses"]
    assert sum(closed.get(s, 0) for s in CLOSED) > NIGHTS, "the reviewer's decisions stick"
    assert reopened_total > 0, "some decided items' values changed and they were reopened"
    for measure in ("peak_rss_mb", "process_peak_rss_mb"):
        baseline = statistics.median(n[measure] for n in nights[1:6])
        last = [n[measure] for n in nights[-5:]]
        assert max(last) <= MEMORY_BOUND * baseline, (measure, baseline, last)


def render(nights: list[dict[str, Any]]) -> str:
    lines = ["night  as of       relinked  queue: new  upd  reop  fixed  reviewed  wall s"
             "  peak RSS MB (run / process)"]
    for n in nights:
        q = n["queue"]
        lines.append(
            f"{n['night']:>5}  {n['as_of']}  {n['relinked']:>8}  {q['new']:>10}  {q['updated']:>3}"
            f"  {q['reopened']:>4}  {q['fixed_at_source']:>5}  {n['reviewed']:>8}"
            f"  {n['wall_s']:>6.1f}  {n['peak_rss_mb']:>8,} / {n['process_peak_rss_mb']:,}")
    return "\n".join(lines)
