"""Who holds the warehouse now, and how long popdq waits for it.

DuckDB lets one process at a time have a database file open for writing and refuses
every other at once, in its own words. And a run reads each dataset in several steps,
each with its own connection: a load landing between two of them would have the run use
two versions of one dataset. So:

- a run holds `<warehouse>.lock` (an exclusive `flock`) from before it records the
  dataset versions it uses until it has written its report, and a load holds it while
  it reads and replaces its dataset: a load during a run waits for the run to end, a
  second run for the first, and a run reads one version of each dataset throughout;
- everyone else (a reviewer's queue action, a reader) needs only DuckDB's own lock, for a
  moment, and `warehouse.db.connect` retries it;
- both waits are bounded (`busy_wait`: $POPDQ_BUSY_WAIT seconds), after which popdq
  refuses with one line that names what holds the warehouse (`describe_holder`).

The lock file is owner-only and holds one line of JSON about its holder (pid, what it
is, when it started, its current step): no personal data. The kernel releases a flock
when its process ends, however it ends (kill -9 too), so a lock file left behind blocks
nobody; it stays in place, since removing it would race with the next holder.
"""

import datetime as dt
import fcntl
import json
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from popdq.errors import BadParameter, PopdqError

BUSY_WAIT_ENV = "POPDQ_BUSY_WAIT"
HOLDER_WAIT = 300.0
"""Seconds a run or a load waits for the warehouse (and a run's steps for a reader or
reviewer in the middle of something): another run or a big load may take minutes."""
OTHERS_WAIT = 30.0
"""Seconds a reviewer's action or a reader waits: a person is waiting for the answer."""
POLL_SECONDS = 0.2
NOTE_BYTES = 512
"""The lock file's note is written in one write of this size: a reader never sees half."""

STEP_DOING = {
    "check_datasets": "checking the datasets", "validate": "validating",
    "normalise": "normalising", "model": "choosing its model", "plan": "planning",
    "match": "linking", "discrepancies": "finding discrepancies", "publish": "publishing",
    "published": "closing its record", "report": "writing its report",
}
"""A run's steps (as flows.nightly names them) in words, for stewards."""


class WarehouseBusy(PopdqError):
    """Another process held the warehouse for longer than this one would wait (EX_TEMPFAIL:
    trying again later may work)."""

    exit_code = 75


def busy_wait(default: float) -> float:
    """How long to wait for the warehouse: $POPDQ_BUSY_WAIT seconds if set (0: not at
    all), else the default of the caller's kind (HOLDER_WAIT or OTHERS_WAIT)."""
    raw = os.environ.get(BUSY_WAIT_ENV, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise BadParameter(f"{BUSY_WAIT_ENV}={raw!r} is not a number of seconds (e.g. 600)")
    return seconds


def lock_path(warehouse: Path) -> Path:
    """The lock file beside a warehouse."""
    return warehouse.with_name(warehouse.name + ".lock")


def describe_step(step: str | None) -> str:
    """What a run is doing at this step, in words ("publishing")."""
    if step is None:
        return "starting"
    return STEP_DOING.get(step, f"at its {step} step")


class Hold:
    """This process's hold on a warehouse's lock file, and the note that says who it is."""

    def __init__(self, fd: int, note: dict[str, object]) -> None:
        self.fd = fd
        self.note = note
        self.depth = 1

    def mark(self, **fields: object) -> None:
        """Update the note (a run's id once it has one, its step as each starts), so that
        whoever waits can say what it waits for."""
        self.note.update(fields)
        with suppress(OSError):  # a full disk: the note is advisory, the lock holds anyway
            _write_note(self.fd, self.note)


_HELD: dict[Path, Hold] = {}
"""The lock files this process holds. A flock belongs to one open file, so a second open
and lock of the same file in this process would wait for itself: nested holds share one."""
_HELD_GUARD = threading.Lock()


def holds(warehouse: Path) -> bool:
    """Whether this process holds the warehouse's lock."""
    return _key(warehouse) in _HELD


@contextmanager
def hold(warehouse: Path, what: str, *, wait: float | None = None,
         note: dict[str, object] | None = None) -> Iterator[Hold]:
    """Hold the warehouse's lock for the block, waiting for it at most `wait` seconds
    (default: busy_wait(HOLDER_WAIT)); `what` and `note` say who holds it. Re-entrant in
    one process. The caller checks first that the warehouse may be written here."""
    key = _key(warehouse)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held.depth += 1
    if held is None:
        held = _acquire(warehouse, what, busy_wait(HOLDER_WAIT) if wait is None else wait,
                        note or {})
    try:
        yield held
    finally:
        _release(key, held)


def _acquire(warehouse: Path, what: str, wait: float, note: dict[str, object]) -> Hold:
    path = lock_path(warehouse)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise PopdqError(f"{path}: cannot open the warehouse's lock file: {exc.strerror}"
                         ) from exc
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                os.close(fd)
                raise WarehouseBusy(busy_message(warehouse, describe_holder(warehouse), wait)
                                    ) from None
            time.sleep(min(POLL_SECONDS, left))
    held = Hold(fd, {"pid": os.getpid(), "what": what,
                     "started": dt.datetime.now().isoformat(timespec="seconds"), **note})
    held.mark()
    with _HELD_GUARD:
        _HELD[_key(warehouse)] = held
    return held


def _release(key: Path, held: Hold) -> None:
    with _HELD_GUARD:
        held.depth -= 1
        if held.depth:
            return
        del _HELD[key]
    held.note.clear()
    held.mark()
    os.close(held.fd)  # closing the file releases the flock


def busy_message(warehouse: Path, holder: str, waited: float) -> str:
    """The one line a process that gave up waiting says."""
    return (f"{warehouse}: the warehouse is busy: {holder}; waited {waited:g} s "
            f"(set {BUSY_WAIT_ENV} to wait longer, in seconds)")


def describe_holder(warehouse: Path, pid: int | None = None) -> str:
    """Who holds the warehouse, in words: the lock file's holder ("run 12 (pid 4321)
    started 02:00 is publishing"), or, for DuckDB's own lock held by process `pid`, that
    process ("popdq export (pid 4321)")."""
    note = read_note(warehouse)
    if note.get("pid") is not None and (pid is None or note.get("pid") == pid):
        return _describe_note(note)
    if pid:
        return describe_process(pid)
    return "another popdq process"


def read_note(warehouse: Path) -> dict[str, object]:
    """The lock file's note ({} when there is none, or it cannot be read)."""
    try:
        found = json.loads(lock_path(warehouse).read_bytes().strip() or b"{}")
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def describe_process(pid: int) -> str:
    """A process holding DuckDB's lock, in words: a popdq command by its name (never its
    arguments: they may hold a reviewer's note), anything else by its program name."""
    try:
        args = [a.decode(errors="replace") for a in
                Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        program = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return f"another process (pid {pid})"
    starts = [i for i, arg in enumerate(args) if Path(arg).name == "popdq"]
    if not starts:
        return f"another program ({program}, pid {pid})"
    return " ".join(["popdq", *_command_words(args[starts[0] + 1:]), f"(pid {pid})"])


def _command_words(args: list[str]) -> list[str]:
    """A popdq command line's command (and sub-command or dataset), options skipped."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip or arg.startswith("-"):
            skip = arg.startswith("--") and "=" not in arg and arg not in _FLAGS
            continue
        if not re.fullmatch(r"[a-z_]+", arg):
            break
        words.append(arg)
        if len(words) == 2 or words[0] not in ("queue", "export", "load"):
            break
    return words


_FLAGS = {"--full", "--retrain", "--unmask", "--yes", "--allow-shrink", "--force", "--help"}
"""popdq's options that take no value (the others are followed by theirs)."""


def _describe_note(note: dict[str, object]) -> str:
    who, started = f"(pid {note.get('pid')})", _when(str(note.get("started", "")))
    if note.get("what") == "run":
        name = f"run {note['run_id']}" if note.get("run_id") is not None else "a run"
        step = note.get("step")
        return f"{name} {who} started {started} is {describe_step(str(step) if step else None)}"
    if note.get("what") == "load":
        return f"a load of {note.get('dataset')} {who} started {started}"
    return f"{note.get('what')} {who} started {started}"


def _when(started: str) -> str:
    """02:00 today, else 2026-07-01 02:00."""
    try:
        moment = dt.datetime.fromisoformat(started)
    except ValueError:
        return "earlier"
    return moment.strftime("%H:%M" if moment.date() == dt.date.today() else "%Y-%m-%d %H:%M")


def _write_note(fd: int, note: dict[str, object]) -> None:
    data = json.dumps(note, ensure_ascii=True).encode()
    os.pwrite(fd, data.ljust(NOTE_BYTES), 0)
    os.ftruncate(fd, max(NOTE_BYTES, len(data)))


def _key(warehouse: Path) -> Path:
    return lock_path(Path(warehouse)).resolve()
