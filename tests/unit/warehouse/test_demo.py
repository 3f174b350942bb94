"""The demo's warehouse: wiped and made again only when it is the demo's own."""

from pathlib import Path

import pytest

from popdq.errors import PopdqError
from warehouse.db import open_warehouse
from warehouse.demo import check_demo_warehouse, reset_demo_warehouse


def test_a_new_path_or_the_demos_own_warehouse_may_be_reset(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    check_demo_warehouse(db)
    reset_demo_warehouse(db)
    with open_warehouse(db) as con:
        con.execute("INSERT INTO warehouse_meta VALUES ('k', 'v')")
    check_demo_warehouse(db)
    reset_demo_warehouse(db)
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT * FROM warehouse_meta").fetchall() == [("origin", "demo")]


@pytest.mark.parametrize("content", [None, b"", b"a,b\n"], ids=["a real warehouse", "empty",
                                                                 "csv"])
def test_anything_else_is_refused_and_kept(tmp_path: Path, content: bytes | None) -> None:
    db = tmp_path / "w.duckdb"
    if content is None:
        with open_warehouse(db):
            pass
    else:
        db.write_bytes(content)
    before = db.read_bytes()
    with pytest.raises(PopdqError, match="popdq demo did not create"):
        check_demo_warehouse(db)
    with pytest.raises(PopdqError, match="popdq demo did not create"):
        reset_demo_warehouse(db)
    assert db.read_bytes() == before
