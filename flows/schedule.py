"""`popdq serve`: the nightly flow on a cron schedule, through a real Prefect server.

The temporary API that a plain flow call starts runs no scheduler, so serving
needs `prefect server start`: popdq starts one (default 127.0.0.1:4200, where
Prefect's UI is) under its own state directory unless PREFECT_API_URL already
points at one. Prefect reads PREFECT_API_URL when it is imported, so the server
comes first; its UI is told the same address (PREFECT_UI_API_URL), or it would
look for its API on port 4200 whatever the port. The server dies with popdq
(`die_with_this_process`), even with a popdq killed by kill -9.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.environment import die_with_this_process
from popdq.errors import BadParameter, PopdqError

STARTUP_SECONDS = 120


DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 4200
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
"""The stewards' time zone: a schedule's hours are theirs, not the server's."""


def api_url(host: str, port: int) -> str:
    """The API address of a Prefect server listening on host:port (its UI is at the same
    address without `/api`)."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api"


def ui_url(api: str) -> str:
    return api.removesuffix("/").removesuffix("/api")


def check_serving(cron: str, timezone: str, host: str, port: int) -> None:
    """Refuse, before anything starts, what Prefect or the network would refuse later."""
    check_cron(cron)
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadParameter(f"--timezone {timezone!r} is not a time zone (say "
                           f"{DEFAULT_TIMEZONE})") from None
    if os.environ.get("PREFECT_API_URL"):
        return  # the operator's server: popdq starts none
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise BadParameter(f"cannot serve on {host}:{port}: {exc.strerror} (another "
                               "Prefect server? choose another --port)") from None


@contextmanager
def prefect_server(host: str, port: int) -> Iterator[str]:
    """The API URL of a running Prefect server: the operator's, or one started here."""
    if url := os.environ.get("PREFECT_API_URL"):
        yield url
        return
    url = api_url(host, port)
    log = Path(os.environ["PREFECT_HOME"]) / "server.log"
    with log.open("ab") as sink:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("prefect")), "server", "start",
             "--host", host, "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT,
            env={**os.environ, "PREFECT_UI_API_URL": url},
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


def serve_nightly(warehouse: Path, cron: str, timezone: str, host: str, port: int,
                  started: Callable[[str], None]) -> None:
    """Register the nightly deployment and run it on schedule until interrupted; `started`
    gets the UI's address once the server answers. The deployment's parameters (locality,
    source, as_of, full, retrain) can be set for one run from the UI's "Custom run"."""
    # Prefect's runner leaves a harmless un-awaited coroutine behind when it stops.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    with prefect_server(host, port) as url:
        from prefect.schedules import Cron

        from flows.nightly import nightly  # after PREFECT_API_URL is set

        started(ui_url(url))
        nightly.serve(
            name="nightly",
            schedules=[Cron(cron, timezone=timezone)],
            parameters={"warehouse": str(Path(warehouse).resolve())},
            print_starting_message=False,
        )


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
