"""Where popdq keeps its state: the warehouse by default, and its own state directory."""

import os
from pathlib import Path

DEFAULT_WAREHOUSE = Path("popdq.duckdb")
WAREHOUSE_ENV = "POPDQ_WAREHOUSE"


def state_dir() -> Path:
    """POPDQ_HOME, else the XDG state directory: never the user's ~/.prefect."""
    if home := os.environ.get("POPDQ_HOME"):
        return Path(home)
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "popdq"
