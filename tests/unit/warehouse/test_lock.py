"""Who holds the warehouse: the lock file of a run or a load, DuckDB's own lock, the bounded
wait for either, and the one line that says what holds it. Other holders are real
processes."""

import os
import re
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from popdq.errors import BadParameter, PopdqError
from warehouse.db import connect, hold_warehouse, open_warehouse
from warehouse.lock import (
    BUSY_WAIT_ENV,
    WarehouseBusy,
    busy_wait,
    describe_process,
    hold,
    holds,
    lock_path,
    read_note,
)


@contextmanager
def holder(code: str) -> Iterator[subprocess.Popen[str]]:
    """Another Python process running `code`; it prints `ready` once it holds what it
    holds, and holds it until it is killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code) + "\nprint('ready', flush=True)\n"
         "import time\ntime.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        yield process
    finally:
        process.kill()
        process.wait()


def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    return db


def test_the_wait_is_the_callers_default_unless_popdq_busy_wait_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(BUSY_WAIT_ENV, raising=False)
    assert busy_wait(300.0) == 300.0
    monkeypatch.setenv(BUSY_WAIT_ENV, "2.5")
    assert busy_wait(300.0) == 2.5
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv(BUSY_WAIT_ENV, bad)
        with pytest.raises(BadParameter, match=f"{BUSY_WAIT_ENV}='{bad}' is not a number"):
            busy_wait(300.0)


def test_a_hold_is_owner_only_says_who_holds_it_and_nests(tmp_path: Path) -> None:
    db = warehouse(tmp_path)
    with hold_warehouse(db, "run") as held:
        held.mark(run_id=12, step="publish")
        with hold_warehouse(db, "run") as inner:  # the same process: the same hold
            assert inner is held
        assert holds(db)
        assert stat.S_IMODE(lock_path(db).stat().st_mode) == 0o600
        note = read_note(db)
        assert (note["pid"], note["what"], note["run_id"], note["step"]) == (
            os.getpid(), "run", 12, "publish")
    assert not holds(db)
    assert read_note(db) == {}


def test_a_second_holder_waits_then_refuses_naming_the_first(tmp_path: Path) -> None:
    db = warehouse(tmp_path)
    with holder(f"""
        from pathlib import Path
        from warehouse.lock import hold
        lock = hold(Path({str(db)!r}), "run")
        held = lock.__enter__()
        held.mark(run_id=12, step="publish")
    """) as first, pytest.raises(WarehouseBusy) as busy, hold(db, "load", wait=0.3):
        pass
    line = str(busy.value)
    assert f"the warehouse is busy: run 12 (pid {first.pid}) started " in line
    assert line.endswith(" is publishing; waited 0.3 s (set POPDQ_BUSY_WAIT to wait longer,"
                         " in seconds)")
    assert busy.value.exit_code == 75
    with hold(db, "load", wait=0):  # the kernel let go of the killed holder's lock
        pass


def test_a_hold_refuses_a_file_that_is_not_a_warehouse_and_makes_no_lock_file(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "tax.csv"
    csv.write_text("record_id\n1\n", encoding="utf-8")
    with pytest.raises(PopdqError, match="not a popdq warehouse"), hold_warehouse(csv, "load"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tax.csv"]


def test_duckdbs_lock_is_waited_for_while_its_holder_keeps_it(tmp_path: Path) -> None:
    db = warehouse(tmp_path)
    with holder(f"import duckdb\ncon = duckdb.connect({str(db)!r})") as other:
        with pytest.raises(WarehouseBusy) as busy:
            connect(db, read_only=True, wait=0.3)
        assert re.fullmatch(
            rf"{re.escape(str(db))}: the warehouse is busy: another program \(python[0-9.]*, "
            rf"pid {other.pid}\); waited 0\.3 s \(set POPDQ_BUSY_WAIT to wait longer, in "
            r"seconds\)", str(busy.value)), busy.value
    connect(db, wait=0).close()  # once it is gone, at once


def test_duckdbs_lock_held_by_a_run_names_the_run_and_its_step(tmp_path: Path) -> None:
    db = warehouse(tmp_path)
    with holder(f"""
        from pathlib import Path
        import duckdb
        from warehouse.lock import hold
        lock = hold(Path({str(db)!r}), "run")
        held = lock.__enter__()
        held.mark(run_id=7, step="validate")
        con = duckdb.connect({str(db)!r})
    """) as run, pytest.raises(WarehouseBusy, match=rf"run 7 \(pid {run.pid}\) started "
                                                      r"\S+ is validating; waited 0\.2 s"):
        connect(db, wait=0.2)


def test_a_popdq_command_is_named_without_its_arguments(tmp_path: Path) -> None:
    """A reviewer's note or a file name may be personal: only the command is said."""
    with holder("import sys; sys.argv[1:] = []") as plain:
        assert describe_process(plain.pid).startswith("another program (python")
    command = [sys.executable, "-c", "import time; time.sleep(60)", "/x/.venv/bin/popdq",
               "--warehouse", "w.duckdb", "queue", "resolve", "12", "--note", "Nguyễn"]
    process = subprocess.Popen(command)
    try:
        while b"popdq" not in Path(f"/proc/{process.pid}/cmdline").read_bytes():
            time.sleep(0.01)  # Popen returns while the kernel is still exec-ing it
        assert describe_process(process.pid) == f"popdq queue resolve (pid {process.pid})"
    finally:
        process.kill()
        process.wait()
    assert describe_process(2**22 + 1) == f"another process (pid {2**22 + 1})"


def test_opening_waits_for_a_holder_that_lets_go(tmp_path: Path) -> None:
    db = warehouse(tmp_path)
    other = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys\ncon = duckdb.connect({str(db)!r})\n"
         "print('ready', flush=True)\nsys.stdin.readline()\ncon.close()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert other.stdin is not None and other.stdout is not None
    assert other.stdout.readline() == "ready\n"
    other.stdin.write("go\n")  # it lets go while this process is waiting (or before)
    other.stdin.flush()
    with open_warehouse(db) as con:  # the default wait: seconds, not none
        con.execute("INSERT INTO warehouse_meta VALUES ('k', 'v')")
    other.wait(timeout=60)
    assert duckdb.connect(str(db), read_only=True).execute(
        "SELECT count(*) FROM warehouse_meta").fetchall() == [(1,)]
