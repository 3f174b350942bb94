"""Integration tests drive the installed `popdq` command, as a steward would."""

import csv
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
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from flows.environment import die_with_this_process

POPDQ = Path(sys.executable).with_name("popdq")
FILES = ("registry", "social_insurance", "tax", "health_insurance")
FLOW_PERSONS, FLOW_SEED = 3000, 29
"""The world of the `flow` fixture."""
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
    for name in FILES:
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


@dataclass
class Flow:
    root: Path
    home: Path
    world: Path
    warehouse: Path
    report: Path
    docs: Path
    exports: Path
    outputs: list[tuple[str, str]] = field(default_factory=list)
    """(command, its stdout and stderr) of every command run."""

    def popdq(self, *args: str | Path, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
        """The installed command with this flow's own POPDQ_HOME (Prefect's home derived from
        it, as in production: no Prefect setting the test run derived) and a permissive umask;
        it must succeed."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        result = subprocess.run(
            [str(POPDQ), *map(str, args)], capture_output=True, text=True, timeout=600,
            env={**environ, "POPDQ_HOME": str(self.home), **(env or {})}, check=False,
            preexec_fn=lambda: os.umask(0o022),
        )
        command = " ".join(map(str, args[:2]))
        self.outputs.append((command, f"{result.stdout}\n{result.stderr}"))
        assert result.returncode == 0, f"popdq {command}: {result.stderr}"
        return result


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="package")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    """Two nights of a demo-like flow on its own world and POPDQ_HOME (and Prefect's
    temporary server): the four loads, a first run, a reviewer's actions, changed extracts,
    a second run at Prefect's INFO logging, then `report`, `validate --docs` and the
    exports. test_privacy scans what it leaves; test_report reads its report."""
    root = tmp_path_factory.mktemp("privacy")
    data = root / "data"  # popdq creates every folder below root
    flow = Flow(root, home=root / "state", world=root / "world", warehouse=data / "w.duckdb",
                report=root / "out" / "report.html", docs=root / "docs",
                exports=root / "exports")
    db = ("--warehouse", flow.warehouse)
    flow.popdq("synth", "--persons", str(FLOW_PERSONS), "--seed", str(FLOW_SEED),
               "--out", flow.world)
    for kind in FILES:
        flow.popdq("load", kind, flow.world / f"{kind}.csv", *db)
    flow.popdq("run", "--as-of", "2026-07-01", *db)

    listed = flow.popdq("queue", "list", "--limit", "5", *db).stdout.splitlines()[1:4]
    first, second, third = (line.split()[0] for line in listed)
    flow.popdq("queue", "resolve", first, "--note", "card cancelled at the office", *db)
    flow.popdq("queue", "reject", second, "--note", "not an error", *db)
    flow.popdq("queue", "assign", third, "--to", "team-79", *db)
    flow.popdq("queue", "list", "--status", "open", *db)

    tax = read_csv(flow.world / "tax.csv")
    changed = [{**r, "full_name": r["full_name"] + " Văn"} if i < 20 else r
               for i, r in enumerate(tax) if not 20 <= i < 30]
    changed += [{**r, "record_id": "NEW-" + r["record_id"]} for r in tax[40:45]]
    registry = read_csv(flow.world / "registry.csv")
    alive = next(i for i, p in enumerate(registry) if p["status"] == "alive")
    registry[alive] = {**registry[alive], "status": "deceased", "date_of_death": "2026-06-30"}
    night = root / "night2"
    night.mkdir(mode=0o700)
    flow.popdq("load", "tax", write_csv(night / "tax.csv", changed), *db)
    flow.popdq("load", "registry", write_csv(night / "registry.csv", registry), *db)
    night2 = flow.popdq("run", "--as-of", "2026-07-02", *db,
                        env={"PREFECT_LOGGING_LEVEL": "INFO"})
    assert "records linked in" in night2.stderr  # the operator's terminal shows the progress

    flow.popdq("report", "--out", flow.report, *db)
    flow.popdq("validate", "--docs", flow.docs, *db)
    for name, suffix in (("matches", "csv"), ("discrepancies", "csv"), ("queue", "parquet")):
        flow.popdq("export", name, "--out", flow.exports / f"{name}.{suffix}", *db)
    return flow
