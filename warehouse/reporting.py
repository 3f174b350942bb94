"""The queries behind the reviewers' report: one place for every figure it shows."""

import json

import duckdb
import polars as pl

from popdq.errors import PopdqError
from warehouse.contract import SOURCE_KINDS
from warehouse.datasets import table_for

SOURCE_TABLES = {kind: table_for(kind) for kind in SOURCE_KINDS}
"""Source kind → table; both from the contract, never from user input."""

_IN_LOCALITY = "(? IS NULL OR province = ? OR commune = ?)"
"""Rows of one province or commune, or all rows when the locality parameter is null."""


def _locality(locality: str | None) -> list[object]:
    return [locality, locality, locality]


def last_run(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The newest successful run: what the report describes."""
    rows = con.sql(
        "SELECT run_id, CAST(as_of AS VARCHAR) AS as_of, locality, source, dataset_versions,"
        " timings FROM runs WHERE status = 'succeeded' ORDER BY run_id DESC LIMIT 1").pl()
    if rows.is_empty():
        raise PopdqError("no successful run yet: run `popdq run` first")
    run = rows.row(0, named=True)
    run["dataset_versions"] = json.loads(str(run["dataset_versions"]))
    run["timings"] = json.loads(str(run["timings"] or "{}"))
    return run


def loads(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The current version of each dataset: file, rows read = loaded + quarantined."""
    return con.sql(
        "SELECT dataset, file_name, rows_read, rows_loaded, rows_quarantined,"
        " strftime(loaded_at, '%Y-%m-%d %H:%M') AS loaded_at FROM load_log"
        " WHERE load_id IN (SELECT max(load_id) FROM load_log GROUP BY dataset)"
        " ORDER BY dataset").pl()


def decisions(con: duckdb.DuckDBPyConnection, locality: str | None) -> pl.DataFrame:
    return con.sql(
        "SELECT source, count(*) AS records, count(*) FILTER (decision = 'match') AS linked,"
        " count(*) FILTER (decision = 'review') AS review,"
        " count(*) FILTER (decision = 'none') AS not_linked FROM matches"
        f" WHERE {_IN_LOCALITY} GROUP BY source ORDER BY source",
        params=_locality(locality)).pl()


def findings_by_kind(con: duckdb.DuckDBPyConnection, locality: str | None) -> pl.DataFrame:
    return con.sql(
        "SELECT criterion, kind, min(priority) AS priority,"
        " count(*) FILTER (source = 'social_insurance') AS social_insurance,"
        " count(*) FILTER (source = 'tax') AS tax,"
        " count(*) FILTER (source = 'health_insurance') AS health_insurance,"
        f" count(*) AS total FROM findings WHERE {_IN_LOCALITY}"
        " GROUP BY criterion, kind ORDER BY priority, kind",
        params=_locality(locality)).pl()


def findings_by_province(con: duckdb.DuckDBPyConnection, locality: str | None) -> pl.DataFrame:
    return con.sql(
        "SELECT coalesce(province, '—') AS province,"
        " count(*) FILTER (criterion = 'correct') AS correct,"
        " count(*) FILTER (criterion = 'sufficient') AS sufficient,"
        " count(*) FILTER (criterion = 'clean') AS clean,"
        " count(*) FILTER (criterion = 'alive') AS alive, count(*) AS total"
        f" FROM findings WHERE {_IN_LOCALITY}"
        " GROUP BY ALL ORDER BY total DESC, province",
        params=_locality(locality)).pl()


def queue_status(con: duckdb.DuckDBPyConnection, locality: str | None) -> pl.DataFrame:
    return con.sql(
        "SELECT status, count(*) AS items FROM queue_items"
        f" WHERE {_IN_LOCALITY} GROUP BY status ORDER BY status",
        params=_locality(locality)).pl()


def top_items(con: duckdb.DuckDBPyConnection, locality: str | None, limit: int) -> pl.DataFrame:
    """The most urgent open items, as the queue lists them."""
    return con.sql(
        "SELECT item_id, priority, kind, source, record_id, field, source_value,"
        " registry_value, coalesce(commune, province) AS locality, status, assignee, detail"
        " FROM queue_items WHERE status IN ('open', 'in_review')"
        f" AND {_IN_LOCALITY} ORDER BY priority, item_id LIMIT ?",
        params=[*_locality(locality), limit]).pl()


def source_names(con: duckdb.DuckDBPyConnection, locality: str | None) -> pl.DataFrame:
    """Every source record's name as written (for clean-data figures), with its source."""
    parts = [
        f"SELECT '{kind}' AS source, s.full_name FROM {table} s"
        f" LEFT JOIN matches m ON m.source = '{kind}' AND m.record_id = s.record_id"
        f" WHERE ? IS NULL OR m.province = ? OR m.commune = ?"
        for kind, table in SOURCE_TABLES.items()
    ]
    params = [p for _ in parts for p in _locality(locality)]
    return con.sql(" UNION ALL ".join(parts), params=params).pl()
