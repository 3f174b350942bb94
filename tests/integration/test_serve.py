"""`popdq serve`: a real Prefect server and scheduler run the nightly flow on cron."""

import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb

from tests.integration.conftest import POPDQ, popdq


def succeeded_runs(db: Path) -> int:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return -1  # a run holds the file right now
    try:
        return int(con.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'")
                   .fetchall()[0][0])
    finally:
        con.close()


def test_serve_runs_the_nightly_flow_on_its_schedule(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for name in ("registry", "tax"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    env = {**os.environ, "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}
    server = subprocess.Popen([str(POPDQ), "serve", "--cron", "* * * * *", "--warehouse", db],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and succeeded_runs(db) < 1:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(5)
        assert succeeded_runs(db) >= 1, "no scheduled run finished within four minutes"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    assert (db.parent / "reports").is_dir()
