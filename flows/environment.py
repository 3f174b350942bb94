"""The environment Prefect must run in: no network, no telemetry, popdq's own state.

Prefect reads its settings from the environment when it is first imported,
so `configure_prefect` must run before any `import prefect`; the CLI calls it
before it imports `flows.nightly` or `flows.schedule`.
"""

import os
from pathlib import Path

from popdq.settings import state_dir


def configure_prefect() -> None:
    """Values already in the environment win, so an operator can point popdq at a real
    Prefect server with PREFECT_API_URL."""
    defaults = {
        "PREFECT_HOME": str(state_dir() / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        # Failures reach the steward as popdq's one line and the run record; Prefect's
        # own tracebacks only with POPDQ_DEBUG=1.
        "PREFECT_LOGGING_LEVEL": "DEBUG" if os.environ.get("POPDQ_DEBUG") else "CRITICAL",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # Prefect creates its home without parents and fails on a fresh machine.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True, mode=0o700)
