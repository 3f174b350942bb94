"""Integration tests drive the installed `popdq` command, as a steward would."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

POPDQ = Path(sys.executable).with_name("popdq")
COUNTS = re.compile(r"^(\w+): ([\d,]+) rows read = ([\d,]+) loaded \+ ([\d,]+) quarantined")


def popdq(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess with the test-wide state directory."""
    return subprocess.run(
        [str(POPDQ), *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**os.environ}, timeout=600, check=False,
    )


def load_counts(stdout: str) -> dict[str, tuple[int, int, int]]:
    """dataset → (read, loaded, quarantined) from `popdq load` output."""
    found = {}
    for line in stdout.splitlines():
        if m := COUNTS.match(line):
            found[m[1]] = tuple(int(g.replace(",", "")) for g in m.groups()[1:])
    return found  # type: ignore[return-value]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic world written by `popdq synth`, shared by the session."""
    out = tmp_path_factory.mktemp("world")
    result = popdq("synth", "--persons", "5000", "--seed", "3", "--out", out)
    assert result.returncode == 0, result.stderr
    return out
