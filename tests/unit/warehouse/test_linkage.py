"""Link storage: replaced record by record, the state each link was computed from, the model."""

from pathlib import Path

import duckdb
import polars as pl

from popdq.localities import parse_locality
from warehouse.db import open_warehouse
from warehouse.linkage import (
    latest_model,
    read_link_state,
    read_matches,
    replace_links,
    save_model,
    spool_explanations,
)


def links(rows: list[tuple[str, str | None, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(record_id, person_id, province, commune) → matches and explanations frames."""
    matches = pl.DataFrame(
        {
            "source": ["tax"] * len(rows),
            "record_id": [r[0] for r in rows],
            "person_id": [r[1] for r in rows],
            "score": [0.99 if r[1] else 0.0 for r in rows],
            "decision": ["match" if r[1] else "none" for r in rows],
            "second_person_id": [None] * len(rows),
            "second_score": [None] * len(rows),
            "ambiguous": [False] * len(rows),
            "province": [r[2] for r in rows],
            "commune": [r[3] for r in rows],
            "row_hash": [7] * len(rows),
            "registry_sha256": ["abc"] * len(rows),
            "model_run_id": [1] * len(rows),
            "shared_person": [None] * len(rows),
            "decision_id": [None] * len(rows),
        },
        schema_overrides={"second_person_id": pl.String, "second_score": pl.Float64,
                          "row_hash": pl.UInt64, "shared_person": pl.String,
                          "decision_id": pl.Int64},
    )
    explanations = pl.DataFrame({
        "source": ["tax"] * len(rows), "record_id": [r[0] for r in rows],
        "person_id": [r[1] or "" for r in rows], "comparison": ["name"] * len(rows),
        "level": ["exact"] * len(rows), "weight": [5.0] * len(rows),
    }).filter(pl.col("person_id") != "")
    return matches, explanations


def current(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, int]]:
    return con.execute(
        "SELECT record_id, person_id, run_id FROM matches ORDER BY record_id").fetchall()


def spooled(db: Path, run_id: int, explanations: pl.DataFrame) -> list[Path]:
    """The explanations as a run's link step leaves them for publish."""
    return [spool_explanations(db, run_id, "tax", 0, explanations)]


def records(*ids: str) -> pl.Series:
    return pl.Series("record_id", ids, dtype=pl.String)


def test_links_are_replaced_record_by_record(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        m, e = links([("R1", "P1", "79", "26704"), ("R2", "P2", "01", "00004"),
                      ("R3", None, "79", "26710")])
        replace_links(con, run_id=1, source="tax", records=records("R1", "R2", "R3"),
                      matches=m, explanations=spooled(tmp_path / "w.duckdb", 1, e))
        m2, e2 = links([("R1", "P9", "79", "26704"), ("R3", "P3", "79", "26710")])
        replace_links(con, run_id=2, source="tax", records=records("R1", "R3"), matches=m2,
                      explanations=spooled(tmp_path / "w.duckdb", 2, e2))
        assert current(con) == [("R1", "P9", 2), ("R2", "P2", 1), ("R3", "P3", 2)]
        assert con.execute("SELECT record_id, person_id, run_id FROM match_explanations"
                           " ORDER BY 1").fetchall() == [("R1", "P9", 2), ("R2", "P2", 1),
                                                         ("R3", "P3", 2)]
        # a record gone from the extract: named, without a new row, its rows go
        m3, e3 = links([("R2", "P2", "79", "26704")])
        replace_links(con, run_id=3, source="tax", records=records("R1", "R2"), matches=m3,
                      explanations=spooled(tmp_path / "w.duckdb", 3, e3))
        assert current(con) == [("R2", "P2", 3), ("R3", "P3", 2)]
        assert read_matches(con)["record_id"].to_list() == ["R2", "R3"]


def test_link_state_of_a_locality(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        m, _ = links([("R1", "P1", "79", "26704"), ("R2", "P2", "01", "00004")])
        replace_links(con, run_id=1, source="tax", records=records("R1", "R2"),
                      matches=m, explanations=[])
        state = read_link_state(con, "tax", parse_locality("26704"))
        assert state.select("record_id", "row_hash", "registry_sha256", "model_run_id").rows() \
            == [("R1", 7, "abc", 1)]


def test_the_current_model_is_the_newest(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert latest_model(con) is None
        save_model(con, 1, '{"v": 1}')
        save_model(con, 4, '{"v": 4}')
        assert latest_model(con) == (4, '{"v": 4}')
