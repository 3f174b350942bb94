"""Integration tests drive the installed `popdq` command, as a steward would."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from flows.environment import die_with_this_process

POPDQ = Path(sys.executable).with_name("popdq")
COUNTS = re.compile(r"^(\w+): ([\d,]+) rows read = ([\d,]+) loaded \+ ([\d,]+) quarantined")


def popdq(*args: str | Path, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess with the test-wide state directory (and `env` added)."""
    return subprocess.run(
        [str(POPDQ), *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, **(env or {})}, timeout=600, check=False,
    )


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on a warehouse, read-only (as a reviewer's tool would read it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def load_world(world: Path, db: Path) -> Path:
    """The registry and the three sources of a synthetic world, loaded into `db`."""
    for name in ("registry", "social_insurance", "tax", "health_insurance"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    return db


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
    with tempfile.TemporaryDirectory(prefix="popdq-chromium-") as profile:
        return subprocess.run(
            [str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *mode,
             page.as_uri()],
            capture_output=True, timeout=120, check=False,
        )


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def env(self) -> dict[str, str]:
        """PREFECT_API_URL for popdq, once the server answers."""
        deadline = time.monotonic() + 120
        while not self.healthy():
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.2)
        return {"PREFECT_API_URL": self.url}

    def healthy(self) -> bool:
        assert self.process.poll() is None, "the Prefect server stopped while starting"
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False


@pytest.fixture(scope="package")
def prefect_server() -> Iterator[Server]:
    """One Prefect server for the integration tests' runs, as an operator may run one
    (PREFECT_API_URL): each run then starts in seconds, not with a temporary server of its
    own (tests/integration/test_crashes.py keeps one run on the temporary server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host",
         "127.0.0.1", "--port", str(port), "--no-services"],
        env={**os.environ, "PREFECT_UI_ENABLED": "false"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=die_with_this_process())
    try:
        yield Server(process, f"http://127.0.0.1:{port}/api")
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="package")
def prefect_api(prefect_server: Server) -> dict[str, str]:
    return prefect_server.env()


@pytest.fixture(scope="module")
def shared_prefect(prefect_api: dict[str, str]) -> Iterator[None]:
    """Every `popdq` this module starts uses the shared Prefect server."""
    os.environ.update(prefect_api)
    try:
        yield
    finally:
        for name in prefect_api:
            os.environ.pop(name, None)
