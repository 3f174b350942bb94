"""Storing link models and links; a locality rerun replaces only its own rows."""

import datetime as dt

import duckdb
import polars as pl

from popdq.contract import dataset
from popdq.errors import PopdqError
from popdq.localities import Locality
from warehouse.db import registered, transaction
from warehouse.scope import in_locality
from warehouse.tables import MATCH_EXPLANATIONS, MATCHES, conform


def save_model(con: duckdb.DuckDBPyConnection, run_id: int, model_json: str) -> None:
    con.execute(
        "INSERT INTO link_models (run_id, model, created_at) VALUES (?, ?, ?)",
        [run_id, model_json, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
    )


def latest_model(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The model of the last full run; a locality rerun cannot train its own."""
    rows = con.execute(
        "SELECT run_id, model FROM link_models ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    if not rows:
        raise PopdqError("no full run yet: run `popdq run` without --locality first")
    return int(rows[0][0]), str(rows[0][1])


def replace_links(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    source: str,
    matches: pl.DataFrame,
    explanations: pl.DataFrame,
    locality: Locality | None = None,
) -> None:
    """Make these the current links of `source` (all of them, or one locality's)."""
    dataset(source)  # validates the kind
    condition, params = replaced_rows(source, locality, "incoming_matches")
    with registered(con,
                    incoming_matches=conform(matches.with_columns(run_id=run_id), MATCHES),
                    incoming_explanations=conform(explanations.with_columns(run_id=run_id),
                                                  MATCH_EXPLANATIONS)), \
            transaction(con):
        con.execute(
            "DELETE FROM match_explanations WHERE source = ? AND record_id IN"
            f" (SELECT record_id FROM matches WHERE {condition})",
            [source, *params],
        )
        con.execute(f"DELETE FROM matches WHERE {condition}", params)
        con.execute("INSERT INTO matches BY NAME SELECT * FROM incoming_matches")
        con.execute("INSERT INTO match_explanations BY NAME SELECT * FROM incoming_explanations")


def replaced_rows(
    source: str, locality: Locality | None, incoming: str
) -> tuple[str, list[object]]:
    """SQL condition for the current rows a write replaces: the whole source, or one
    locality's rows plus any row of a record that moved into it (never a duplicate)."""
    if locality is None:
        return "source = ?", [source]
    condition, params = in_locality(locality)
    return (f"source = ? AND ({condition} OR record_id IN (SELECT record_id FROM {incoming}))",
            [source, *params])


def read_matches(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pl.DataFrame:
    """Contract §3 matches: one row per source record, in a stable order."""
    if source is not None:
        dataset(source)
    return con.sql(
        "SELECT source, record_id, person_id, score, decision FROM matches"
        " WHERE ? IS NULL OR source = ? ORDER BY source, record_id",
        params=[source, source],
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
