"""Storing the current findings, and reading them back as contract §3 discrepancies."""

import duckdb
import polars as pl

from warehouse.datasets import table_for
from warehouse.db import registered, transaction
from warehouse.linkage import scope_condition
from warehouse.queue import FINDING_SCHEMA

DISCREPANCY_COLUMNS = ("source", "record_id", "person_id", "criterion", "kind", "field",
                       "source_value", "registry_value", "locality", "detail")
"""Contract §3, in order; `locality` is the commune when known, else the province."""


def replace_findings(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    source: str,
    findings: pl.DataFrame,
    scope: tuple[str, str] | None = None,
) -> None:
    """Make these the current findings of `source` (all of them, or one locality's)."""
    table_for(source)
    condition, params = scope_condition(source, scope, "incoming_findings")
    incoming = findings.select(list(FINDING_SCHEMA))
    with registered(con, incoming_findings=incoming), transaction(con):
        con.execute(f"DELETE FROM findings WHERE {condition}", params)
        con.execute("INSERT INTO findings SELECT *, ? FROM incoming_findings", [run_id])


def read_findings(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    table_for(source)
    return con.sql(
        "SELECT * EXCLUDE (run_id) FROM findings WHERE source = ?"
        " ORDER BY record_id, kind, field", params=[source]).pl()


def read_discrepancies(
    con: duckdb.DuckDBPyConnection, source: str | None = None
) -> pl.DataFrame:
    """Contract §3 discrepancies: one row per finding, in a stable order."""
    if source is not None:
        table_for(source)
    return con.sql(
        "SELECT source, record_id, person_id, criterion, kind, field, source_value,"
        " registry_value, coalesce(commune, province) AS locality, detail FROM findings"
        " WHERE ? IS NULL OR source = ? ORDER BY source, record_id, kind, field",
        params=[source, source],
    ).pl()
