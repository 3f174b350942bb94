"""Validation outcomes, kept once per dataset version (file sha256) and code version.

An unchanged dataset is not validated again: its outcome is already here. Only
the outcome of each dataset's current version is kept.
"""

import duckdb
import polars as pl

from popdq.contract import dataset as dataset_of
from warehouse.db import registered, transaction
from warehouse.tables import VALIDATION_FAILURES, VALIDATION_RESULTS, conform


def is_validated(con: duckdb.DuckDBPyConnection, *, dataset: str, sha256: str,
                 code_version: str) -> bool:
    """Whether this version of the dataset was validated by this code already."""
    return bool(con.execute(
        "SELECT count(*) FROM validation_results WHERE dataset = ? AND dataset_sha256 = ?"
        " AND code_version = ?", [dataset, sha256, code_version]).fetchall()[0][0])


def save_validation(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    dataset: str,
    load_id: int,
    sha256: str,
    code_version: str,
    results: pl.DataFrame,
    failures: pl.DataFrame,
) -> None:
    """Keep the outcome of validating this dataset version, replacing any earlier one."""
    dataset_of(dataset)  # validates the kind
    stored = [pl.lit(run_id).alias("run_id"), pl.lit(dataset).alias("dataset"),
              pl.lit(sha256).alias("dataset_sha256"),
              pl.lit(code_version).alias("code_version")]
    with registered(
        con,
        incoming_results=conform(results.with_columns(*stored, pl.lit(load_id).alias("load_id")),
                                 VALIDATION_RESULTS),
        incoming_failures=conform(failures.with_columns(stored), VALIDATION_FAILURES),
    ), transaction(con):
        for table in ("validation_results", "validation_failures"):
            con.execute(f"DELETE FROM {table} WHERE dataset = ?", [dataset])
        con.execute("INSERT INTO validation_results BY NAME SELECT * FROM incoming_results")
        con.execute("INSERT INTO validation_failures BY NAME SELECT * FROM incoming_failures")


def validation_failures(con: duckdb.DuckDBPyConnection, dataset: str, sha256: str,
                        code_version: str) -> pl.DataFrame:
    """Every failing record of one dataset version, in a stable order."""
    return con.sql(
        "SELECT record_key, kind, field, expectation, reason FROM validation_failures"
        " WHERE dataset = ? AND dataset_sha256 = ? AND code_version = ?"
        " ORDER BY record_key, kind, field, expectation",
        params=[dataset, sha256, code_version],
    ).pl()
