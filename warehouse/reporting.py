"""The queries behind the reviewers' report: one place for every figure it shows."""

import json

import duckdb
import polars as pl

from popdq.contract import CRITERIA, DATASETS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality
from warehouse.lifecycle import ACTIVE
from warehouse.scope import in_locality


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


def decisions(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    where, params = in_locality(locality)
    return con.sql(
        "SELECT source, count(*) AS records, count(*) FILTER (decision = 'match') AS linked,"
        " count(*) FILTER (decision = 'review') AS review,"
        " count(*) FILTER (decision = 'none') AS not_linked FROM matches"
        f" WHERE {where} GROUP BY source ORDER BY source",
        params=params).pl()


def findings_by_kind(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    """Per kind: its criterion and priority, and its count per source (a column each)."""
    where, params = in_locality(locality)
    per_source = "".join(f" count(*) FILTER (source = ?) AS {kind}," for kind in SOURCE_KINDS)
    return con.sql(
        f"SELECT criterion, kind, min(priority) AS priority,{per_source}"
        f" count(*) AS total FROM findings WHERE {where}"
        " GROUP BY criterion, kind ORDER BY priority, kind",
        params=[*SOURCE_KINDS, *params]).pl()


def findings_by_province(con: duckdb.DuckDBPyConnection,
                         locality: Locality | None) -> pl.DataFrame:
    """Per province: its count per criterion (a column each), most findings first."""
    where, params = in_locality(locality)
    per_criterion = "".join(f" count(*) FILTER (criterion = ?) AS {c}," for c in CRITERIA)
    return con.sql(
        f"SELECT coalesce(province, '—') AS province,{per_criterion} count(*) AS total"
        f" FROM findings WHERE {where}"
        " GROUP BY ALL ORDER BY total DESC, province",
        params=[*CRITERIA, *params]).pl()


def queue_status(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    where, params = in_locality(locality)
    return con.sql(
        "SELECT status, count(*) AS items FROM queue_items"
        f" WHERE {where} GROUP BY status ORDER BY status",
        params=params).pl()


def top_items(con: duckdb.DuckDBPyConnection, locality: Locality | None,
              limit: int) -> pl.DataFrame:
    """The most urgent open items, as the queue lists them."""
    where, params = in_locality(locality)
    return con.sql(
        "SELECT item_id, priority, kind, source, record_id, field, source_value,"
        " registry_value, coalesce(commune, province) AS locality, status, assignee, detail"
        " FROM queue_items WHERE status IN (SELECT unnest(?::VARCHAR[]))"
        f" AND {where} ORDER BY priority, item_id LIMIT ?",
        params=[list(ACTIVE), *params, limit]).pl()


def source_names(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    """Each name as written in a source (for clean-data figures), with its number of
    records: a name shared by many records is normalised once."""
    where, where_params = in_locality(locality, alias="m")
    parts = [
        f"SELECT ? AS source, s.full_name, count(*) AS records FROM {DATASETS[kind].table} s"
        " LEFT JOIN matches m ON m.source = ? AND m.record_id = s.record_id"
        f" WHERE {where} GROUP BY s.full_name"
        for kind in SOURCE_KINDS
    ]
    params = [p for kind in SOURCE_KINDS for p in (kind, kind, *where_params)]
    return con.sql(" UNION ALL ".join(parts), params=params).pl()


def findings_by_criterion_source_province(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Current findings counted per criterion, source and province (counts only)."""
    return con.sql(
        "SELECT criterion, source, coalesce(province, '—') AS province, count(*) AS findings"
        " FROM findings GROUP BY ALL ORDER BY criterion, source, province").pl()
