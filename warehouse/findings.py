"""Storing the current findings, and reading them back as contract §3 discrepancies."""

import duckdb
import polars as pl

from popdq.contract import dataset
from popdq.localities import Locality
from warehouse.db import registered, transaction
from warehouse.linkage import replaced_rows
from warehouse.tables import FINDINGS, conform

DISCREPANCY_COLUMNS = ("source", "record_id", "person_id", "criterion", "kind", "field",
                       "source_value", "registry_value", "locality", "detail")
"""Contract §3, in order; `locality` is the commune when known, else the province."""


def replace_findings(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    source: str,
    findings: pl.DataFrame,
    locality: Locality | None = None,
) -> None:
    """Make these the current findings of `source` (all of them, or one locality's)."""
    dataset(source)
    condition, params = replaced_rows(source, locality, "incoming_findings")
    incoming = conform(findings.with_columns(run_id=run_id), FINDINGS)
    with registered(con, incoming_findings=incoming), transaction(con):
        con.execute(f"DELETE FROM findings WHERE {condition}", params)
        con.execute("INSERT INTO findings BY NAME SELECT * FROM incoming_findings")


def read_findings(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    dataset(source)
    return con.sql(
        "SELECT * EXCLUDE (run_id) FROM findings WHERE source = ?"
        " ORDER BY record_id, kind, field", params=[source]).pl()


def read_discrepancies(
    con: duckdb.DuckDBPyConnection, source: str | None = None
) -> pl.DataFrame:
    """Contract §3 discrepancies: one row per finding, in a stable order."""
    if source is not None:
        dataset(source)
    return con.sql(
        "SELECT source, record_id, person_id, criterion, kind, field, source_value,"
        " registry_value, coalesce(commune, province) AS locality, detail FROM findings"
        " WHERE ? IS NULL OR source = ? ORDER BY source, record_id, kind, field",
        params=[source, source],
    ).pl()
