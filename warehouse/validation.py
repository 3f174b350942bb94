"""Storing validation outcomes per run, and reading them back for the discrepancy step."""

import duckdb
import polars as pl

from popdq.contract import dataset as dataset_of
from warehouse.db import registered, transaction
from warehouse.tables import VALIDATION_FAILURES, VALIDATION_RESULTS, conform


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
    dataset_of(dataset)  # validates the kind
    stored = [pl.lit(run_id).alias("run_id"), pl.lit(dataset).alias("dataset"),
              pl.lit(load_id).alias("load_id")]
    with registered(
        con,
        incoming_results=conform(results.with_columns(stored), VALIDATION_RESULTS),
        incoming_failures=conform(failures.with_columns(stored[:2]), VALIDATION_FAILURES),
    ), transaction(con):
        for table in ("validation_results", "validation_failures"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND dataset = ?",
                        [run_id, dataset])
        con.execute("INSERT INTO validation_results BY NAME SELECT * FROM incoming_results")
        con.execute("INSERT INTO validation_failures BY NAME SELECT * FROM incoming_failures")


def validation_failures(con: duckdb.DuckDBPyConnection, run_id: int) -> pl.DataFrame:
    """Every failing record of a run, in a stable order."""
    return con.sql(
        "SELECT dataset, record_key, kind, field, expectation, reason FROM validation_failures"
        " WHERE run_id = ? ORDER BY dataset, record_key, kind, field, expectation",
        params=[run_id],
    ).pl()
