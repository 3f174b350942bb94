"""The environment Prefect must run in: no network, no telemetry, popdq's own state.

Prefect reads its settings from the environment when it is first imported,
so `configure_prefect` must run before any `import prefect`; the CLI calls it
before it imports `flows.nightly` or `flows.schedule`.

A Prefect server that popdq starts (the temporary API of a plain flow call, or
`popdq serve`'s) dies with the popdq process that started it, however that process
ends: `die_with_this_process`.
"""

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from popdq.settings import state_dir

_PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when the thread that started it ends."""


def configure_prefect() -> None:
    """Values already in the environment win, so an operator can point popdq at a real
    Prefect server with PREFECT_API_URL."""
    debug = bool(os.environ.get("POPDQ_DEBUG"))
    defaults = {
        "PREFECT_HOME": str(state_dir() / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        # Progress (counts and timings, flows/nightly.py) goes to the Prefect API, for the
        # UI; failures reach the steward as popdq's one line and the run record, so the
        # terminal shows Prefect's own lines only when the operator sets
        # PREFECT_LOGGING_LEVEL (or with POPDQ_DEBUG=1).
        "PREFECT_LOGGING_TO_API_ENABLED": "true",
        # Prefect's own config plus one filter: a popdq error is logged as its one line.
        "PREFECT_LOGGING_SETTINGS_PATH": str(resources.files("flows") / "logging.yml"),
    }
    if "PREFECT_LOGGING_LEVEL" not in os.environ:
        defaults["PREFECT_LOGGING_LEVEL"] = "DEBUG" if debug else "INFO"
        defaults["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "DEBUG" if debug else "CRITICAL"
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # Prefect creates its home without parents and fails on a fresh machine.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True, mode=0o700)


def die_with_this_process() -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen: the child is killed (SIGKILL) when the thread
    that started it ends, so a popdq killed with kill -9 leaves no server behind. Only
    Linux has the parent-death signal; elsewhere None (the child outlives a killed popdq).
    Start the child from a thread that lives as long as popdq does (the main thread)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in the child
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # popdq ended before the signal was set
            os._exit(1)

    return in_child


class _SubprocessDyingWithPopdq:
    """The `subprocess` module as Prefect's server module sees it once popdq hooks it: the
    same, except that the process it starts (its temporary API server, the only one it
    starts) dies with popdq."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(*args: Any, **kwargs: Any) -> "subprocess.Popen[Any]":  # subprocess's name
        kwargs.setdefault("preexec_fn", die_with_this_process())
        return subprocess.Popen(*args, **kwargs)


def start_temporary_server() -> None:
    """Start Prefect's temporary API server now, from this thread, dying with popdq.

    Without PREFECT_API_URL, a flow call starts a temporary API server (uvicorn, in a
    subprocess) and stops it when Python exits normally; a popdq killed with kill -9 (or
    by the OOM killer) would leave it running for ever. popdq starts it first, itself, with
    the parent-death signal set (`die_with_this_process`): Prefect's flow calls then use
    that one. Call after configure_prefect, from the main thread."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api import server

    if getattr(server, "subprocess", None) is subprocess:
        setattr(server, "subprocess", _SubprocessDyingWithPopdq())  # noqa: B010 (a module's)
    server.SubprocessASGIServer().start()
