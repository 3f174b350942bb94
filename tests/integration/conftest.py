"""Integration tests drive the installed `popdq` command, as a steward would."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

POPDQ = Path(sys.executable).with_name("popdq")
COUNTS = re.compile(r"^(\w+): ([\d,]+) rows read = ([\d,]+) loaded \+ ([\d,]+) quarantined")


def popdq(*args: str | Path, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess with the test-wide state directory (and `env` added)."""
    return subprocess.run(
        [str(POPDQ), *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, **(env or {})}, timeout=600, check=False,
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


@pytest.fixture(scope="session")
def chromium() -> Path:
    """A real headless Chromium; installed from Debian's packages when missing (CI)."""
    found = shutil.which("chromium")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env,
                       capture_output=True, check=False)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("no chromium, and apt-get is not usable here to install it")
    return Path(found)


def browse(chromium: Path, page: Path, *mode: str) -> subprocess.CompletedProcess[bytes]:
    """Open a local page in headless Chromium, offline; `mode` e.g. --dump-dom."""
    profile = tempfile.mkdtemp(prefix="popdq-chromium-")
    return subprocess.run(
        [str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", *mode, page.as_uri()],
        capture_output=True, timeout=120, check=False,
    )
