"""Storing validation outcomes per run, and reading them back for the discrepancy step."""

import duckdb
import polars as pl

from warehouse.datasets import table_for
from warehouse.db import registered, transaction


def save_validation(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    dataset: str,
    load_id: int,
    results: pl.DataFrame,
    failures: pl.DataFrame,
) -> None:
    """Replace what this run stored for this dataset, in one transaction."""
    table_for(dataset)  # validates the kind
    with registered(con, incoming_results=results, incoming_failures=failures), \
            transaction(con):
        for table in ("validation_results", "validation_failures"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND dataset = ?",
                        [run_id, dataset])
        con.execute(
            "INSERT INTO validation_results SELECT ?, ?, ?, expectation, \"column\", field,"
            " kind, success, element_count, unexpected_count FROM incoming_results",
            [run_id, dataset, load_id],
        )
        con.execute(
            "INSERT INTO validation_failures SELECT ?, ?, record_key, kind, field,"
            " expectation, reason FROM incoming_failures",
            [run_id, dataset],
        )


def validation_failures(con: duckdb.DuckDBPyConnection, run_id: int) -> pl.DataFrame:
    """Every failing record of a run, in a stable order."""
    return con.sql(
        "SELECT dataset, record_key, kind, field, expectation, reason FROM validation_failures"
        " WHERE run_id = ? ORDER BY dataset, record_key, kind, field, expectation",
        params=[run_id],
    ).pl()
