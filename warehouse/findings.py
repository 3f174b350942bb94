"""Storing the current findings, and reading them back as contract §3 discrepancies."""

import duckdb
import polars as pl

from popdq.contract import dataset
from popdq.localities import Locality
from warehouse.db import registered, transaction
from warehouse.scope import in_locality
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
    records: pl.Series,
) -> None:
    """Make these the current findings of `records` of `source` (all their findings)."""
    dataset(source)
    incoming = conform(findings.with_columns(run_id=run_id), FINDINGS)
    with registered(con, replaced=pl.DataFrame({"record_id": records.cast(pl.String)}),
                    incoming_findings=incoming), transaction(con):
        con.execute("DELETE FROM findings WHERE source = ?"
                    " AND record_id IN (SELECT record_id FROM replaced)", [source])
        con.execute("INSERT INTO findings BY NAME SELECT * FROM incoming_findings")


def read_findings(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    dataset(source)
    return con.sql(
        "SELECT * EXCLUDE (run_id) FROM findings WHERE source = ?"
        " ORDER BY record_id, kind, field", params=[source]).pl()


def read_discrepancies(
    con: duckdb.DuckDBPyConnection, source: str | None = None,
    locality: Locality | None = None,
) -> pl.DataFrame:
    """Contract §3 discrepancies: one row per finding (of one locality), in a stable order."""
    if source is not None:
        dataset(source)
    where, params = in_locality(locality)
    return con.sql(
        "SELECT source, record_id, person_id, criterion, kind, field, source_value,"
        " registry_value, coalesce(commune, province) AS locality, detail FROM findings"
        f" WHERE (? IS NULL OR source = ?) AND {where} ORDER BY source, record_id, kind, field",
        params=[source, source, *params],
    ).pl()
