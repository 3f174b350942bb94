"""Storing link models and links; a locality rerun replaces only its own rows."""

import datetime as dt

import duckdb
import polars as pl

from popdq.errors import PopdqError
from warehouse.datasets import table_for
from warehouse.db import registered, transaction

MATCH_COLUMNS = ("source", "record_id", "person_id", "score", "decision", "second_person_id",
                 "second_score", "ambiguous", "province", "commune")
EXPLANATION_COLUMNS = ("source", "record_id", "person_id", "comparison", "level", "weight")
SCOPES = {"province": "province", "commune": "commune"}
"""Locality level → the matches column it filters on (never user text in SQL)."""


def save_model(con: duckdb.DuckDBPyConnection, run_id: int, model_json: str) -> None:
    con.execute(
        "INSERT INTO link_models VALUES (?, ?, ?)",
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
    scope: tuple[str, str] | None = None,
) -> None:
    """Make these the current links of `source` (all of them, or one locality's)."""
    table_for(source)  # validates the kind
    condition, params = scope_condition(source, scope, "incoming_matches")
    with registered(con, incoming_matches=matches.select(MATCH_COLUMNS),
                    incoming_explanations=explanations.select(EXPLANATION_COLUMNS)), \
            transaction(con):
        con.execute(
            "DELETE FROM match_explanations WHERE source = ? AND record_id IN"
            f" (SELECT record_id FROM matches WHERE {condition})",
            [source, *params],
        )
        con.execute(f"DELETE FROM matches WHERE {condition}", params)
        con.execute("INSERT INTO matches SELECT *, ? FROM incoming_matches", [run_id])
        con.execute("INSERT INTO match_explanations SELECT *, ? FROM incoming_explanations",
                    [run_id])


def scope_condition(
    source: str, scope: tuple[str, str] | None, incoming: str
) -> tuple[str, list[object]]:
    """SQL condition for the current rows a write replaces: the whole source, or one
    locality's rows plus any row of a record that moved into it (never a duplicate)."""
    if scope is None:
        return "source = ?", [source]
    column = SCOPES[scope[0]]
    return (f"source = ? AND ({column} = ? OR record_id IN (SELECT record_id FROM {incoming}))",
            [source, scope[1]])


def read_matches(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pl.DataFrame:
    """Contract §3 matches: one row per source record, in a stable order."""
    if source is not None:
        table_for(source)
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
