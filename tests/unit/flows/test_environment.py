"""A server popdq starts dies with popdq, however popdq ends (kill -9 included)."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flows.clock import Clock


def state(pid: int) -> str | None:
    """The process's state letter, None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux prctl")
def test_a_child_started_dying_with_this_process_ends_when_it_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import subprocess, sys, time
        from flows.environment import die_with_this_process
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                 preexec_fn=die_with_this_process())
        print(child.pid, flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert state(child) not in (None, "Z")
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while state(child) not in (None, "Z"):  # a zombie has ended: only init may reap it now
        assert time.monotonic() < deadline, "the child outlived its killed parent"
        time.sleep(0.01)


def test_the_clock_says_each_step_as_it_starts() -> None:
    said: list[tuple[str, int]] = []
    clock = Clock(started=lambda name: said.append((name, len(clock.wall))))
    assert clock.time("validate", lambda: 1) + clock.time("match", lambda: 2) == 3
    assert said == [("validate", 0), ("match", 1)]  # before the step, not after
    assert list(clock.wall) == ["validate", "match"]
