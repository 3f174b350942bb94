"""The queries behind the reviewers' report: one place for every figure it shows.

The report describes the newest run that left a summary (`warehouse.summaries`): its
headline, league table and trends come from the stored summaries, so a report of an old
run's morning and the run's own figures agree; what needs the rows (communes, samples,
scores) reads the current tables, which that run left.
"""

import datetime as dt

import duckdb
import polars as pl

from popdq.contract import CRITERIA, DATASETS, SOURCE_KINDS
from popdq.errors import PopdqError
from popdq.localities import Locality
from warehouse.db import registered
from warehouse.lifecycle import ACTIVE, STATUSES
from warehouse.scope import in_locality


def summarised_runs(con: duckdb.DuckDBPyConnection, limit: int) -> pl.DataFrame:
    """The newest `limit` runs that left a summary, oldest first: the report's history."""
    runs = con.sql(
        "SELECT run_id, as_of, mode, locality, source FROM runs"
        " WHERE audit_through IS NOT NULL ORDER BY run_id DESC LIMIT ?", params=[limit]).pl()
    if runs.is_empty():
        raise PopdqError("no run has published yet: run `popdq run` first")
    return runs.sort("run_id")


def run_findings(con: duckdb.DuckDBPyConnection, run_ids: list[int]) -> pl.DataFrame:
    """Findings per run, source, province, criterion and kind."""
    return con.sql(
        "SELECT run_id, source, province, criterion, kind, findings FROM run_findings"
        " WHERE run_id IN (SELECT unnest(?::BIGINT[])) ORDER BY ALL", params=[run_ids]).pl()


def run_records(con: duckdb.DuckDBPyConnection, run_ids: list[int]) -> pl.DataFrame:
    """Records checked, linked, in review and flagged per run, source and province."""
    return con.sql(
        "SELECT run_id, source, province, records, linked, review, flagged FROM run_records"
        " WHERE run_id IN (SELECT unnest(?::BIGINT[])) ORDER BY ALL", params=[run_ids]).pl()


def run_queue(con: duckdb.DuckDBPyConnection, run_ids: list[int]) -> pl.DataFrame:
    """The queue's active items and throughput per run and province."""
    return con.sql(
        "SELECT run_id, province, active, opened, closed_by_reviewers, fixed_at_source"
        " FROM run_queue WHERE run_id IN (SELECT unnest(?::BIGINT[])) ORDER BY ALL",
        params=[run_ids]).pl()


def communes(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    """Per commune now: records checked, records flagged, and findings per criterion."""
    where, params = in_locality(locality, alias="m")
    per_criterion = "".join(f", count(*) FILTER (criterion = ?) AS {c}" for c in CRITERIA)
    return con.sql(
        "WITH r AS (SELECT m.province, m.commune, count(*) AS records,"
        " count(f.record_id) AS flagged FROM matches m"
        " LEFT JOIN (SELECT DISTINCT source, record_id FROM findings) f"
        "   ON f.source = m.source AND f.record_id = m.record_id"
        f" WHERE {where} GROUP BY ALL),"
        f" k AS (SELECT province, commune{per_criterion} FROM findings GROUP BY ALL)"
        " SELECT r.province, r.commune, r.records, r.flagged,"
        + ", ".join(f"coalesce(k.{c}, 0) AS {c}" for c in CRITERIA) +
        " FROM r LEFT JOIN k ON k.province IS NOT DISTINCT FROM r.province"
        " AND k.commune IS NOT DISTINCT FROM r.commune ORDER BY ALL",
        params=[*params, *CRITERIA]).pl()


def samples(con: duckdb.DuckDBPyConnection, locality: Locality | None,
            per_kind: int) -> pl.DataFrame:
    """The most urgent open items of each kind and source, with the registry person's name
    and birth date beside the record's, and the record's link."""
    where, params = in_locality(locality, alias="q")
    return con.sql(
        "SELECT q.item_id, q.kind, q.criterion, q.source, q.record_id, q.field,"
        " q.person_id, q.source_value, q.registry_value, q.province, q.commune, q.detail,"
        " q.priority, m.decision, m.score FROM queue_items q"
        " LEFT JOIN matches m ON m.source = q.source AND m.record_id = q.record_id"
        " WHERE q.status IN (SELECT unnest(?::VARCHAR[])) AND " + where +
        " QUALIFY row_number() OVER (PARTITION BY q.kind, q.source"
        "   ORDER BY q.priority, q.item_id) <= ?"
        " ORDER BY q.priority, q.kind, q.source, q.item_id",
        params=[list(ACTIVE), *params, per_kind]).pl()


def explanations(con: duckdb.DuckDBPyConnection, records: pl.DataFrame) -> pl.DataFrame:
    """The stored waterfall of each (`source`, `record_id`) in `records`, in order."""
    with registered(con, sample_keys=records.select("source", "record_id").unique()):
        return con.sql(
            "SELECT e.source, e.record_id, e.comparison, e.level, e.weight"
            " FROM match_explanations e JOIN sample_keys k"
            " ON k.source = e.source AND k.record_id = e.record_id"
            " ORDER BY e.source, e.record_id, e.rowid").pl()


def score_bins(con: duckdb.DuckDBPyConnection, locality: Locality | None,
               bins: int) -> pl.DataFrame:
    """How many records' best candidate scored in each of `bins` equal bins of [0, 1]
    (records without a candidate are left out)."""
    where, params = in_locality(locality)
    return con.sql(
        "SELECT least(floor(score * ?)::INTEGER, ? - 1) AS bin, count(*) AS records"
        f" FROM matches WHERE score IS NOT NULL AND {where} GROUP BY bin ORDER BY bin",
        params=[bins, bins, *params]).pl()


def loads(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The current version of each dataset: file, rows read = loaded + quarantined."""
    return con.sql(
        "SELECT dataset, file_name, rows_read, rows_loaded, rows_quarantined, loaded_at"
        " FROM load_log WHERE load_id IN (SELECT max(load_id) FROM load_log GROUP BY dataset)"
        " ORDER BY dataset").pl()


def decisions(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> pl.DataFrame:
    where, params = in_locality(locality)
    return con.sql(
        "SELECT source, count(*) AS records, count(*) FILTER (decision = 'match') AS linked,"
        " count(*) FILTER (decision = 'review') AS review,"
        " count(*) FILTER (decision = 'none') AS not_linked FROM matches"
        f" WHERE {where} GROUP BY source ORDER BY source",
        params=params).pl()


def queue_status(con: duckdb.DuckDBPyConnection, locality: Locality | None) -> dict[str, int]:
    """The queue's items per status now (every status, zero included)."""
    where, params = in_locality(locality)
    counted = dict(con.execute(
        f"SELECT status, count(*) FROM queue_items WHERE {where} GROUP BY status",
        params).fetchall())
    return {status: int(counted.get(status, 0)) for status in STATUSES}


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


def note_disclosure(con: duckdb.DuckDBPyConnection, *, actor: str, run_id: int,
                    locality: Locality | None, lang: str, file_name: str) -> None:
    """A report written with identifiers and names in full: who, when, which run, where."""
    con.execute(
        "INSERT INTO report_disclosures (disclosed_at, actor, run_id, locality, lang,"
        " file_name) VALUES (?, ?, ?, ?, ?, ?)",
        [dt.datetime.now(dt.UTC).replace(tzinfo=None), actor, run_id,
         None if locality is None else locality.code, lang, file_name])
