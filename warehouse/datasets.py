"""Storing datasets: each load replaces one dataset atomically and is logged."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from popdq.errors import PopdqError
from warehouse.contract import DATASETS, Dataset
from warehouse.db import registered, transaction
from warehouse.readers import Extract, read_extract

TABLES: dict[str, str] = {
    "registry": "registry",
    "social_insurance": "source_social_insurance",
    "tax": "source_tax",
    "health_insurance": "source_health_insurance",
}
"""Dataset kind → its table. Table names come only from here, never from user input."""


@dataclass(frozen=True)
class LoadSummary:
    load_id: int
    dataset: str
    file_name: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def table_for(kind: str) -> str:
    """The table of a dataset kind, validated against the contract."""
    if kind not in TABLES:
        raise PopdqError(f"unknown dataset kind {kind!r} (expected one of: {', '.join(TABLES)})")
    return TABLES[kind]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def replace_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    extract: Extract,
    *,
    sha256: str,
    loaded_by: str,
    loaded_at: dt.datetime | None = None,
) -> LoadSummary:
    """Swap in a new version of a dataset; on any failure the previous version stays."""
    table = table_for(dataset.kind)
    loaded_at = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with transaction(con):
            load_id = con.execute(
                "SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0]
            rows = extract.rows.select(
                pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
                "line_number",
                *dataset.columns,
                "extra",
            )
            quarantine = pl.DataFrame(
                {
                    "line_number": [q.line_number for q in extract.quarantined],
                    "raw_line": [q.raw_line for q in extract.quarantined],
                    "reason": [q.reason for q in extract.quarantined],
                },
                schema={"line_number": pl.Int64, "raw_line": pl.String, "reason": pl.String},
            )
            con.execute(f"DELETE FROM {table}")
            with registered(con, incoming_rows=rows, incoming_quarantine=quarantine):
                con.execute(f"INSERT INTO {table} SELECT * FROM incoming_rows")
                con.execute(
                    "INSERT INTO quarantine SELECT ?, ?, ?, line_number, raw_line, reason "
                    "FROM incoming_quarantine",
                    [load_id, dataset.kind, extract.file_name],
                )
            con.execute(
                "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id, dataset.kind, extract.file_name, extract.file_format, sha256,
                    extract.rows_read, rows.height, len(extract.quarantined), loaded_at,
                    loaded_by,
                ],
            )
    except duckdb.Error as exc:
        raise PopdqError(
            f"{extract.file_name}: load into {dataset.kind} failed, previous version kept: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    return LoadSummary(
        load_id, dataset.kind, extract.file_name, sha256,
        extract.rows_read, rows.height, len(extract.quarantined),
    )


def dataset_versions(con: duckdb.DuckDBPyConnection) -> dict[str, int | None]:
    """The load_id of the current version of every dataset (None where never loaded)."""
    latest = dict(
        con.execute("SELECT dataset, max(load_id) FROM load_log GROUP BY dataset").fetchall()
    )
    return {kind: latest.get(kind) for kind in DATASETS}


def read_dataset(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    """The current version of a dataset as a polars frame."""
    return con.sql(f"SELECT * FROM {table_for(kind)} ORDER BY line_number").pl()


def load_file(
    con: duckdb.DuckDBPyConnection, kind: str, path: Path, *, loaded_by: str
) -> tuple[LoadSummary, Extract]:
    """Read a file against the contract and make it the current version of its dataset."""
    table_for(kind)
    extract = read_extract(path, DATASETS[kind])
    summary = replace_dataset(
        con, DATASETS[kind], extract, sha256=file_sha256(path), loaded_by=loaded_by
    )
    return summary, extract


def read_record(con: duckdb.DuckDBPyConnection, kind: str, key: str) -> dict[str, str | None]:
    """One row of a dataset's current version by its key, contract columns only ({} if none)."""
    table, dataset = table_for(kind), DATASETS[kind]
    columns = ", ".join(dataset.columns)
    cursor = con.execute(f"SELECT {columns} FROM {table} WHERE {dataset.key} = ?", [key])
    rows = cursor.fetchall()
    return dict(zip(dataset.columns, rows[0], strict=True)) if rows else {}
