"""The demo's own warehouse: fresh each time, and never a steward's real data."""

from pathlib import Path

import duckdb

from popdq.errors import PopdqError
from warehouse.db import check_warehouse_file, connect, open_warehouse


def check_demo_warehouse(path: Path) -> None:
    """Refuse a path that holds anything but an earlier demo's warehouse: `popdq demo`
    checks this before it writes anything, so a refusal leaves no half-made demo."""
    try:
        if not check_warehouse_file(path):
            return
        con = connect(path, read_only=True)
        try:
            origin = con.execute("SELECT value FROM warehouse_meta WHERE key = 'origin'"
                                 ).fetchall()
        finally:
            con.close()
    except (duckdb.Error, PopdqError):
        origin = []
    if origin != [("demo",)]:
        raise PopdqError(f"{path} holds data that popdq demo did not create; "
                         "pass --warehouse with a new path")


def reset_demo_warehouse(path: Path) -> None:
    """Start an empty warehouse marked as the demo's; refuse to wipe one that is not."""
    check_demo_warehouse(path)
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    with open_warehouse(path) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('origin', 'demo')")
