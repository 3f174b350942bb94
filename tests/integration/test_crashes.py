"""Crashes, a full disk and writers at once (the reliability issue): whatever happens to a
load or a run, the warehouse keeps its last good state, the next run publishes what an
uninterrupted run would, and every refusal is one line in popdq's own words.

Processes are real and so are their ends: `popdq` subprocesses, killed with SIGKILL or
frozen with SIGSTOP at a step they are seen to be in: the run's current step is in the
lock file beside the warehouse (written after the run record), and /proc says whether
the process has the warehouse open or is writing. Nothing here waits a fixed time.
"""

import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from popdq import commands
from tests.conftest import small_tmpfs
from tests.integration.conftest import POPDQ, Server, popdq, query, write_csv
from warehouse.lock import lock_path, read_note

FILES = ("registry", "social_insurance", "tax", "health_insurance")
EXPORTS = ("matches", "discrepancies", "queue")
AS_OF = ("--as-of", "2026-07-01")
PATIENCE = 120.0
"""The longest any wait here lasts before the test fails (it never passes by waiting)."""


# ---------------------------------------------------------------- processes


def wait_until(ready: Callable[[], bool], what: str, seconds: float = PATIENCE,
               every: float = 0.01) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(every)


def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`popdq …` in the background."""
    return subprocess.Popen([str(POPDQ), *map(str, args)], env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=PATIENCE)
    return process.returncode, out, err


def state(pid: int) -> str | None:
    """The process's state letter (R, S, T, Z, …), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    return state(pid) not in (None, "Z")  # a zombie has ended; only its parent may reap it


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def has_open(pid: int, path: Path) -> bool:
    """Whether the process has this file open."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    target = str(path.resolve())
    for fd in fds:
        try:
            if os.readlink(fd) == target:
                return True
        except OSError:
            continue
    return False


def written(pid: int) -> int:
    """Bytes the process has written so far (any file)."""
    try:
        lines = Path(f"/proc/{pid}/io").read_text().splitlines()
    except OSError:
        return 0
    return next(int(line.split()[1]) for line in lines if line.startswith("wchar:"))


def step_of(db: Path, pid: int) -> str | None:
    """The step the run of this process is at, as the lock file says."""
    note = read_note(db)
    return str(note["step"]) if note.get("pid") == pid and note.get("step") else None


def holds_lock(pid: int, path: Path) -> bool:
    """Whether the process holds DuckDB's lock on this file (an fcntl lock, /proc/locks):
    having it open is not enough, a process may be reading its header before it connects."""
    inode = path.stat().st_ino
    with open("/proc/locks", encoding="ascii") as locks:
        return any(fields[4] == str(pid) and fields[5].rsplit(":", 1)[-1] == str(inode)
                   for fields in (line.split() for line in locks) if len(fields) > 5)


def freeze_at(process: subprocess.Popen[str], db: Path, step: str, *,
              holding_the_file: bool) -> None:
    """SIGSTOP a run once it is at `step` (and, if asked, has the warehouse open): it stays
    in that step, holding what it holds, until SIGCONT or SIGKILL."""
    deadline = time.monotonic() + PATIENCE
    while True:
        assert process.poll() is None, f"the run ended before {step}: {process.communicate()}"
        assert time.monotonic() < deadline, f"the run never reached {step}"
        if step_of(db, process.pid) == step:
            os.kill(process.pid, signal.SIGSTOP)
            wait_until(lambda: state(process.pid) == "T", "the run to stop")
            if step_of(db, process.pid) == step and (
                    not holding_the_file or holds_lock(process.pid, db)):
                return
            os.kill(process.pid, signal.SIGCONT)
        time.sleep(0.005)


def kill(process: subprocess.Popen[str]) -> list[int]:
    """kill -9; returns the children it had (they must not outlive it)."""
    left = children(process.pid)
    process.kill()
    process.communicate(timeout=PATIENCE)
    return left


def one_line(result: tuple[int, str, str] | subprocess.CompletedProcess[str]) -> str:
    err = result[2] if isinstance(result, tuple) else result.stderr
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("popdq: "), err
    assert "Error" not in lines[0] and "Traceback" not in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------- the warehouse


@dataclass(frozen=True)
class Run:
    status: str
    step: str | None
    message: str
    versions: dict[str, int | None]
    started: dt.datetime
    finished: dt.datetime


def runs(db: Path) -> dict[int, Run]:
    """The run records, by run id."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT run_id, status, step, coalesce(message, ''),"
                           " dataset_versions, started_at, finished_at FROM runs").fetchall()
    finally:
        con.close()
    return {run_id: Run(status, step, message, json.loads(versions), started, finished)
            for run_id, status, step, message, versions, started, finished in rows}


def exports(db: Path) -> dict[str, pl.DataFrame]:
    """The three exports (the queue without the runs that first and last saw each item)."""
    found = {}
    for name in EXPORTS:
        out = db.parent / f"{name}.csv"
        commands.export(db, name, None, out)
        found[name] = pl.read_csv(out, infer_schema=False)
    found["queue"] = found["queue"].drop("first_seen_run", "last_seen_run")
    return found


def copy_warehouse(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / template.name
    shutil.copy(template, db)
    shutil.copytree(template.with_name(template.name + ".work"),
                    db.with_name(db.name + ".work"))
    return db


def run_ok(db: Path, env: dict[str, str]) -> str:
    result = popdq("run", *AS_OF, "--warehouse", db, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def load_ok(db: Path, kind: str, file: Path, env: dict[str, str] | None = None) -> None:
    result = popdq("load", kind, file, "--warehouse", db, env=env)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- fixtures


def changed(source: Path, out: Path) -> Path:
    """A tax extract with names changed, records gone and new records."""
    with source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    edited = [{**r, "full_name": r["full_name"] + " Văn"} for r in rows[:20]] + rows[35:]
    edited += [{**r, "record_id": "NEW-" + r["record_id"]} for r in rows[40:45]]
    return write_csv(out, edited)


@dataclass(frozen=True)
class Night:
    """A warehouse after one run (the template each test copies), a changed tax extract,
    and the exports of the warehouse before and after an uninterrupted run on it."""

    template: Path
    changed_tax: Path
    before: dict[str, pl.DataFrame]
    after: dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def night(world: Path, tmp_path_factory: pytest.TempPathFactory,
          prefect_server: Server) -> Night:
    folder = tmp_path_factory.mktemp("crashes")
    template = folder / "template" / "w.duckdb"
    for name in FILES:
        load_ok(template, name, world / f"{name}.csv")
    run_ok(template, prefect_server.env())
    tax = changed(world / "tax.csv", folder / "tax.csv")
    reference = copy_warehouse(template, folder / "reference")
    load_ok(reference, "tax", tax)
    run_ok(reference, prefect_server.env())
    return Night(template, tax, exports(template), exports(reference))


def assert_same(found: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    for name in EXPORTS:
        assert found[name].equals(expected[name]), name


# ---------------------------------------------------------------- 1. kill -9


def test_a_load_killed_while_it_writes_leaves_a_whole_version(
    night: Night, world: Path, tmp_path: Path,
) -> None:
    db = copy_warehouse(night.template, tmp_path / "w")
    with (world / "tax.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    big = write_csv(tmp_path / "big_tax.csv", [{**r, "record_id": f"{r['record_id']}-{i}"}
                                                 for i in range(60) for r in rows])
    before = query(db, "SELECT max(load_id), (SELECT count(*) FROM source_tax) FROM load_log")
    load = start("load", "tax", big, "--warehouse", db)
    wait_until(lambda: (read_note(db).get("pid") == load.pid and has_open(load.pid, db))
               or load.poll() is not None, "the load to hold the warehouse")
    baseline = written(load.pid)
    wait_until(lambda: written(load.pid) > baseline + (1 << 20) or load.poll() is not None,
               "the load to write", every=0.001)
    assert load.poll() is None, "the load ended before it could be killed while writing"
    assert kill(load) == []

    after = query(db, "SELECT max(load_id), (SELECT count(*) FROM source_tax) FROM load_log")
    whole = [(int(str(before[0][0])) + 1, 60 * len(rows))]
    assert after == before or after == whole  # the previous version, or all of the new one
    again = popdq("load", "tax", night.changed_tax, "--allow-shrink", "--warehouse", db)
    assert again.returncode == 0, again.stderr
    assert query(db, "SELECT count(*) FROM source_tax")[0][0] == len(rows) - 15 + 5


def test_a_run_killed_while_validating_leaves_no_server_behind_and_is_marked_interrupted(
    night: Night, tmp_path: Path, prefect_api: dict[str, str],
) -> None:
    """The run starts Prefect's temporary server itself (no PREFECT_API_URL): the server
    dies with it."""
    assert "PREFECT_API_URL" not in os.environ
    db = copy_warehouse(night.template, tmp_path / "w")
    load_ok(db, "tax", night.changed_tax)
    run = start("run", *AS_OF, "--warehouse", db)
    freeze_at(run, db, "validate", holding_the_file=True)
    left = kill(run)
    assert left, "the run had started Prefect's temporary server"
    wait_until(lambda: not any(alive(pid) for pid in left), "the run's server to end", 30)

    assert_same(exports(db), night.before)
    run_ok(db, prefect_api)
    killed, next_run = runs(db)[2], runs(db)[3]
    assert (killed.status, killed.step) == ("interrupted", "validate")
    assert killed.message.startswith("interrupted while validating")
    assert "none of its results were kept (noticed by run 3)" in killed.message
    assert next_run.status == "succeeded"
    assert_same(exports(db), night.after)


@pytest.mark.parametrize("step", ["match", "publish"])
def test_a_run_killed_while_linking_or_publishing_leaves_the_last_results(
    night: Night, tmp_path: Path, prefect_api: dict[str, str], step: str,
) -> None:
    db = copy_warehouse(night.template, tmp_path / "w")
    load_ok(db, "tax", night.changed_tax)
    run = start("run", *AS_OF, "--warehouse", db, env=prefect_api)
    freeze_at(run, db, step, holding_the_file=step == "publish")
    kill(run)

    recorded = runs(db)[2].step  # `published` only if the publish committed
    assert recorded in (step, "published")
    assert_same(exports(db), night.after if recorded == "published" else night.before)
    run_ok(db, prefect_api)
    killed = runs(db)[2]
    assert killed.status == "interrupted"
    kept = "are kept" if recorded == "published" else "none of its results were kept"
    assert kept in killed.message
    assert_same(exports(db), night.after)


# ---------------------------------------------------------------- 2. a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs, unmounted afterwards (mounting needs root)."""
    with small_tmpfs(tmp_path / "disk", "64m") as mount:
        yield mount


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk but `leave` bytes."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as f:
        f.write(b"\0" * (stats.f_bavail * stats.f_frsize - leave))
    return filler


def test_a_full_disk_during_a_load_is_one_line_and_keeps_the_previous_version(
    night: Night, small_disk: Path, world: Path, tmp_path: Path,
) -> None:
    db = copy_warehouse(night.template, small_disk)
    with (world / "tax.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    big = write_csv(tmp_path / "big_tax.csv", [{**r, "record_id": f"{r['record_id']}-{i}"}
                                                 for i in range(20) for r in rows])
    before = query(db, "SELECT max(load_id), (SELECT count(*) FROM source_tax) FROM load_log")
    filler = fill(small_disk, 100_000)

    refused = popdq("load", "tax", big, "--warehouse", db)
    assert refused.returncode == 1
    line = one_line(refused)
    assert "load into tax failed, previous version kept: no space left on the disk" in line
    filler.unlink()
    assert query(db, "SELECT max(load_id), (SELECT count(*) FROM source_tax) FROM load_log"
                 ) == before
    load_ok(db, "tax", big)


@pytest.mark.parametrize("free", [100_000, 1_000_000])
def test_a_full_disk_during_a_run_is_one_line_and_keeps_a_whole_state(
    night: Night, small_disk: Path, tmp_path: Path, prefect_api: dict[str, str], free: int,
) -> None:
    """Wherever the disk fills up, the run's results are all published (the run succeeded,
    its report could not be written) or none are (the run failed, or could not even say
    so: then the next run marks it interrupted)."""
    db = copy_warehouse(night.template, small_disk)
    load_ok(db, "tax", night.changed_tax)
    filler = fill(small_disk, free)

    refused = popdq("run", *AS_OF, "--warehouse", db, env=prefect_api)
    assert refused.returncode == 1
    line = one_line(refused)
    assert "no space left on the disk holding " in line
    filler.unlink()
    ended = runs(db)[2]
    if ended.status == "succeeded":  # then the report, or what follows it, was not written
        assert re.search(r"run 2 succeeded, but .* could not be written: no space left", line)
    assert_same(exports(db), night.after if ended.status == "succeeded" else night.before)
    run_ok(db, prefect_api)
    assert runs(db)[2].status in ("succeeded", "failed", "interrupted")
    if runs(db)[2].status == "failed":
        assert "no space left on the disk holding " in runs(db)[2].message
    assert_same(exports(db), night.after)


# ---------------------------------------------------------------- 3. writers at once


def test_writers_during_a_run_wait_for_it_or_say_what_holds_the_warehouse(
    night: Night, tmp_path: Path, prefect_api: dict[str, str],
) -> None:
    """A second run, a reviewer's action and a reader while a run validates (frozen there,
    the warehouse open): with a short wait they refuse, naming the run; with the default
    wait they go ahead once it is done."""
    db = copy_warehouse(night.template, tmp_path / "w")
    load_ok(db, "tax", night.changed_tax)
    first = start("run", *AS_OF, "--warehouse", db, env=prefect_api)
    freeze_at(first, db, "validate", holding_the_file=True)
    try:
        impatient = {**prefect_api, "POPDQ_BUSY_WAIT": "1"}
        busy = f"the warehouse is busy: run 2 (pid {first.pid}) started "
        for command in (["run", *AS_OF], ["queue", "resolve", "1", "--note", "checked"],
                        ["export", "matches", "--out", str(tmp_path / "m.csv")]):
            refused = popdq(*command, "--warehouse", db, env=impatient)
            assert refused.returncode == 75, refused.stderr
            line = one_line(refused)
            assert busy in line and " is validating; waited 1 s" in line, line
        second = start("run", *AS_OF, "--warehouse", db, env=prefect_api)
        reviewer = start("queue", "resolve", "1", "--note", "checked", "--warehouse", db,
                         env={"POPDQ_BUSY_WAIT": str(PATIENCE)})
        wait_until(lambda: has_open(second.pid, lock_path(db)), "the second run to wait")
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert finish(first)[0] == 0
    assert finish(second)[0] == 0
    assert finish(reviewer)[:2] == (0, "resolve: 1 item\n")

    recorded = runs(db)
    assert sorted(recorded) == [1, 2, 3]  # the refused run opened no record
    assert {r.status for r in recorded.values()} == {"succeeded"}
    assert recorded[3].started > recorded[2].finished  # one run after the other
    assert query(db, "SELECT actor, note FROM queue_audit WHERE item_id = 1"
                     " AND action = 'resolved'")[0][1] == "checked"


def test_a_load_during_a_run_waits_and_the_run_uses_the_versions_it_recorded(
    night: Night, tmp_path: Path, prefect_api: dict[str, str],
) -> None:
    db = copy_warehouse(night.template, tmp_path / "w")
    run = start("run", *AS_OF, "--warehouse", db, env=prefect_api)
    freeze_at(run, db, "check_datasets", holding_the_file=False)
    try:
        load = start("load", "tax", night.changed_tax, "--warehouse", db)
        wait_until(lambda: has_open(load.pid, lock_path(db)), "the load to wait")
    finally:
        os.kill(run.pid, signal.SIGCONT)
    assert finish(run)[0] == 0
    assert finish(load)[0] == 0

    used = runs(db)[2]
    (old, _), (new, loaded_at) = query(
        db, "SELECT load_id, loaded_at FROM load_log WHERE dataset = 'tax' ORDER BY load_id")
    assert used.versions["tax"] == old
    assert isinstance(loaded_at, dt.datetime) and loaded_at > used.finished  # after the run
    assert_same(exports(db), night.before)  # the run's results are those of its versions
    run_ok(db, prefect_api)
    assert runs(db)[3].versions["tax"] == new  # the next run picks the load up
    assert_same(exports(db), night.after)
