"""Each stored table's schema is declared once (warehouse.tables) and the migrations agree."""

from pathlib import Path

import polars as pl

from warehouse.db import open_warehouse
from warehouse.tables import TABLES

DUCKDB_TYPES = {
    pl.String(): "VARCHAR", pl.Int64(): "BIGINT", pl.Int32(): "INTEGER",
    pl.UInt64(): "UBIGINT", pl.Float64(): "DOUBLE", pl.Boolean(): "BOOLEAN", pl.Date(): "DATE",
    pl.Datetime("us"): "TIMESTAMP", pl.List(pl.String()): "VARCHAR[]",
}


def test_every_table_is_described_exactly_by_its_schema(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        stored = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        assert stored - {"schema_version"} == set(TABLES)
        for table, schema in TABLES.items():
            described = [(name, kind) for name, kind, *_ in
                         con.execute(f"DESCRIBE {table}").fetchall()]
            declared = [(name, DUCKDB_TYPES[dtype]) for name, dtype in schema.items()]
            assert described == declared, table
