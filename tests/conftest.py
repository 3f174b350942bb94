"""Test-wide set-up: popdq's and Prefect's state in a throw-away directory.

This runs before any test module imports prefect (Prefect reads the environment
once, when first imported), so no test touches ~/.prefect or the network.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_STATE = Path(tempfile.mkdtemp(prefix="popdq-tests-"))
os.environ["POPDQ_HOME"] = str(_STATE)
os.environ["PREFECT_HOME"] = str(_STATE / "prefect")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("POPDQ_WAREHOUSE", None)

from flows.environment import configure_prefect  # noqa: E402 (after the state directory is set)

configure_prefect()


def pytest_sessionfinish() -> None:
    """The state directory goes with the test run (Prefect's database, logs, homes)."""
    shutil.rmtree(_STATE, ignore_errors=True)


@contextmanager
def small_tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `mount` for the block (a full disk on demand); the test
    is skipped with the reason where mounting is not allowed."""
    import pytest

    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(mount)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip() or made.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
