"""`popdq serve`: the nightly flow on a cron schedule, through a real Prefect server.

The temporary API that a plain flow call starts runs no scheduler, so serving
needs `prefect server start`: popdq starts one on 127.0.0.1 under its own
state directory unless PREFECT_API_URL already points at one. Prefect reads
PREFECT_API_URL when it is imported, so the server comes first. The server dies with
popdq (`die_with_this_process`), even with a popdq killed by kill -9.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.environment import die_with_this_process
from popdq.errors import BadParameter, PopdqError

STARTUP_SECONDS = 120


@contextmanager
def prefect_server() -> Iterator[str]:
    """The API URL of a running Prefect server: the operator's, or one started here."""
    if url := os.environ.get("PREFECT_API_URL"):
        yield url
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = Path(os.environ["PREFECT_HOME"]) / "server.log"
    with log.open("ab") as sink:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("prefect")), "server", "start",
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ},
            preexec_fn=die_with_this_process(),
        )
    try:
        _wait_until_healthy(url, server, log)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def check_cron(cron: str) -> None:
    """Refuse, before anything starts, a cron expression Prefect would refuse later (or
    take as a random or hashed schedule): Prefect's own schedule type checks it, so popdq
    and Prefect agree. Needs configure_prefect first (it imports Prefect)."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise BadParameter(f"--cron {cron!r} is not a cron expression Prefect can run "
                           "(e.g. '0 2 * * *': minute, hour, day, month, weekday)") from exc


def serve_nightly(warehouse: Path, cron: str) -> None:
    """Register the nightly deployment and run it on schedule until interrupted."""
    # Prefect's runner leaves a harmless un-awaited coroutine behind when it stops.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    with prefect_server():
        from flows.nightly import nightly  # after PREFECT_API_URL is set

        nightly.serve(
            name="nightly",
            cron=cron,
            parameters={"warehouse": str(Path(warehouse).resolve())},
            print_starting_message=False,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise PopdqError(f"the Prefect server stopped while starting (see {log})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise PopdqError(f"the Prefect server did not start in {STARTUP_SECONDS} s (see {log})")
