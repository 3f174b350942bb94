"""Test-wide set-up: popdq's and Prefect's state in a throw-away directory.

This runs before any test module imports prefect (Prefect reads the environment
once, when first imported), so no test touches ~/.prefect or the network.
"""

import os
import tempfile
from pathlib import Path

_STATE = Path(tempfile.mkdtemp(prefix="popdq-tests-"))
os.environ["POPDQ_HOME"] = str(_STATE)
os.environ["PREFECT_HOME"] = str(_STATE / "prefect")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("POPDQ_WAREHOUSE", None)

from flows.environment import configure_prefect  # noqa: E402 (after the state directory is set)

configure_prefect()
