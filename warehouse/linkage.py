"""Storing link models and links; a locality rerun replaces only its own rows."""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from popdq.contract import dataset
from popdq.localities import Locality
from warehouse.cache import spool_file, write_frame
from warehouse.db import registered, transaction
from warehouse.scope import in_locality
from warehouse.tables import MATCH_EXPLANATIONS, MATCHES, conform


def save_model(con: duckdb.DuckDBPyConnection, run_id: int, model_json: str) -> None:
    con.execute(
        "INSERT INTO link_models (run_id, model, created_at) VALUES (?, ?, ?)",
        [run_id, model_json, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
    )


def latest_model(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """The current model (the newest one trained) and the run that trained it; None before
    the first full run."""
    rows = con.execute(
        "SELECT run_id, model FROM link_models ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def replace_links(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    source: str,
    records: pl.Series,
    matches: pl.DataFrame,
    explanations: Sequence[Path],
) -> None:
    """Make these the current links of `records` of `source` (a record of `records` without a
    row in `matches` is gone from the extract: its rows go). The explanations are Parquet
    files of `spool_explanations`: DuckDB reads them within its memory limit."""
    dataset(source)  # validates the kind
    with registered(con, replaced=pl.DataFrame({"record_id": records.cast(pl.String)}),
                    incoming_matches=conform(matches.with_columns(run_id=run_id), MATCHES)), \
            transaction(con):
        for table in ("match_explanations", "matches"):
            con.execute(f"DELETE FROM {table} WHERE source = ?"
                        " AND record_id IN (SELECT record_id FROM replaced)", [source])
        con.execute("INSERT INTO matches BY NAME SELECT * FROM incoming_matches")
        if explanations:
            con.execute("INSERT INTO match_explanations BY NAME SELECT * FROM read_parquet(?)",
                        [[str(path) for path in explanations]])


def spool_explanations(warehouse: Path, run_id: int, source: str, part: int,
                       explanations: pl.DataFrame) -> Path:
    """Keep one partition's explanations on disk until the run publishes them (they are the
    largest result of a run: ten rows per linked record)."""
    dataset(source)
    return write_frame(conform(explanations.with_columns(run_id=run_id), MATCH_EXPLANATIONS),
                       spool_file(warehouse, run_id, "explanations", source, part))


def read_link_state(con: duckdb.DuckDBPyConnection, source: str,
                    locality: Locality | None = None) -> pl.DataFrame:
    """The stored links of a source (or of one locality's records), with what each was
    computed from (`warehouse.tables.LINKED_WITH`)."""
    dataset(source)
    where, params = in_locality(locality)
    return con.sql(
        "SELECT record_id, person_id, score, decision, second_person_id, second_score,"
        " ambiguous, row_hash, registry_sha256, model_run_id, shared_person, decision_id"
        " FROM matches"
        f" WHERE source = ? AND {where} ORDER BY record_id", params=[source, *params]).pl()


def linked_registries(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The sha256 of every registry version a stored link was made with: an incremental run
    compares each with the current one (`matching.changes.records_to_relink`)."""
    return {sha for (sha,) in con.execute(
        "SELECT DISTINCT registry_sha256 FROM matches WHERE registry_sha256 IS NOT NULL"
    ).fetchall()}


def read_matches(con: duckdb.DuckDBPyConnection, source: str | None = None,
                 locality: Locality | None = None) -> pl.DataFrame:
    """Contract §3 matches: one row per source record (of one locality), in a stable order."""
    if source is not None:
        dataset(source)
    where, params = in_locality(locality)
    return con.sql(
        "SELECT source, record_id, person_id, score, decision FROM matches"
        f" WHERE (? IS NULL OR source = ?) AND {where} ORDER BY source, record_id",
        params=[source, source, *params],
    ).pl()


def read_explanation(
    con: duckdb.DuckDBPyConnection, source: str, record_id: str
) -> pl.DataFrame:
    """The waterfall of one record's link: comparison, level, weight (log2 Bayes factors)."""
    return con.sql(
        "SELECT comparison, level, weight FROM match_explanations"
        " WHERE source = ? AND record_id = ? ORDER BY comparison = 'prior' DESC, comparison",
        params=[source, record_id],
    ).pl()
