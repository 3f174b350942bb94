"""`popdq serve`: a real Prefect server and scheduler run the nightly flow on cron, its UI
is where popdq says, and an operator's locality run started through the API touches only
that locality."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.integration.conftest import POPDQ, popdq


def runs(db: Path, where: str = "TRUE") -> list[tuple[Any, ...]]:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return []  # a run holds the file right now
    try:
        return con.execute(f"SELECT run_id, locality FROM runs WHERE status = 'succeeded'"
                           f" AND {where} ORDER BY run_id").fetchall()
    finally:
        con.close()


RETRYABLE = {429, 502, 503}  # what Prefect's own client retries: a busy SQLite answers 503


def api(url: str, path: str, body: dict[str, Any] | None = None, attempts: int = 6) -> Any:
    request = urllib.request.Request(f"{url}{path}", method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE or attempt == attempts - 1:
                raise
            time.sleep(2 ** attempt)


def wait_for(condition: Any, process: subprocess.Popen[str], what: str, seconds: int = 240
             ) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(3)
    raise AssertionError(f"{what} within {seconds} s")


@pytest.fixture
def served(world: Path, tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    db = tmp_path / "w.duckdb"
    for name in ("registry", "tax"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([str(POPDQ), "serve", "--cron", "* * * * *", "--port", str(port),
                               "--warehouse", db], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield db, f"http://127.0.0.1:{port}", server
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


def test_serve_runs_on_schedule_and_a_locality_run_from_the_api_touches_only_it(
    served: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    db, ui, server = served
    assert server.stdout is not None
    assert server.stdout.readline().strip() == f"Prefect UI: {ui}"
    wait_for(lambda: runs(db), server, "no scheduled run finished")
    assert (db.parent / "reports").is_dir()

    deployment = api(f"{ui}/api", "/deployments/filter", {})[0]
    assert [s["schedule"]["timezone"] for s in deployment["schedules"]] == ["Asia/Ho_Chi_Minh"]
    assert {"locality", "source", "as_of", "full", "retrain"} <= set(
        deployment["parameter_openapi_schema"]["properties"])
    api(f"{ui}/api", f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"locality": "40", "as_of": "2026-07-01"}})
    wait_for(lambda: runs(db, "locality = '40'"), server, "the locality run did not finish")
    run_id = runs(db, "locality = '40'")[0][0]
    con = duckdb.connect(str(db), read_only=True)
    try:
        touched = con.execute("SELECT DISTINCT substr(province, 1, 2) FROM matches"
                              " WHERE run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    assert touched == [("40",)]


def test_serve_refuses_a_bad_time_zone_or_a_port_in_use(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert popdq("load", "registry", world / "registry.csv", "--warehouse", db).returncode == 0
    bad = popdq("serve", "--timezone", "Mars/Olympus", "--warehouse", db)
    assert (bad.returncode, bad.stderr.strip()) == (
        2, "popdq: --timezone 'Mars/Olympus' is not a time zone (say Asia/Ho_Chi_Minh)")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = popdq("serve", "--port", str(port), "--warehouse", db,
                     env={"PREFECT_API_URL": ""})
    assert busy.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in busy.stderr
    assert len(busy.stderr.strip().splitlines()) == 1
