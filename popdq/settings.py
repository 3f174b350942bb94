"""Where popdq keeps its state, and how much memory it may use."""

import os
import re
from pathlib import Path

from popdq.errors import BadParameter

DEFAULT_WAREHOUSE = Path("popdq.duckdb")
WAREHOUSE_ENV = "POPDQ_WAREHOUSE"


def state_dir() -> Path:
    """POPDQ_HOME, else the XDG state directory: never the user's ~/.prefect."""
    if home := os.environ.get("POPDQ_HOME"):
        return Path(home)
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "popdq"


MEMORY_ENV = "POPDQ_MEMORY_LIMIT"
DEFAULT_MEMORY_SHARE = 0.5
"""Without POPDQ_MEMORY_LIMIT, popdq plans for half the machine's memory: room for the
operating system, the Prefect server and another process."""
_UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "KIB": 2**10, "M": 2**20, "MB": 2**20,
          "MIB": 2**20, "G": 2**30, "GB": 2**30, "GIB": 2**30, "T": 2**40, "TB": 2**40,
          "TIB": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
MINIMUM_MEMORY = 256 * 2**20
"""Below this, no partition of a national dataset fits: such a limit is refused."""


def memory_limit() -> int:
    """The bytes a run or a load may use (POPDQ_MEMORY_LIMIT: `8GB`, `512MB`, `1.5G`),
    by default a share of the machine's memory. Every large step is sized from it."""
    given = os.environ.get(MEMORY_ENV, "").strip()
    if not given:
        return int(physical_memory() * DEFAULT_MEMORY_SHARE)
    match = _SIZE.match(given)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS:
        raise BadParameter(f"{MEMORY_ENV}={given!r} is not a size (say 8GB or 512MB)")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MINIMUM_MEMORY:
        raise BadParameter(f"{MEMORY_ENV}={given!r} is below the {MINIMUM_MEMORY >> 20} MB "
                           "popdq needs")
    return size


def physical_memory() -> int:
    """The machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


PARTITION_ROWS_ENV = "POPDQ_PARTITION_ROWS"


def partition_rows_cap() -> int | None:
    """POPDQ_PARTITION_ROWS: at most this many rows per partition of a run's work, to
    tune a machine or to show that results do not depend on the partitions."""
    given = os.environ.get(PARTITION_ROWS_ENV, "").strip()
    if not given:
        return None
    if not given.isdigit() or int(given) < 1:
        raise BadParameter(f"{PARTITION_ROWS_ENV}={given!r} is not a positive whole number")
    return int(given)
