"""The record of each nightly run: what it used, how it ended, how long each step took."""

import datetime as dt
import json

import duckdb

from warehouse.datasets import dataset_versions


def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    locality: str | None,
    source: str | None,
) -> int:
    """Open a run record (status running) pinned to the datasets' current versions."""
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0])
    con.execute(
        "INSERT INTO runs (run_id, as_of, locality, source, dataset_versions, status, started_at) "
        "VALUES (?, ?, ?, ?, ?, 'running', ?)",
        [run_id, as_of, locality, source, json.dumps(dataset_versions(con)), _now()],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    status: str,
    timings: dict[str, float],
    message: str | None = None,
) -> None:
    if status not in ("succeeded", "failed"):
        raise ValueError(f"a run ends succeeded or failed, not {status!r}")
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, timings = ?, message = ? WHERE run_id = ?",
        [status, _now(), json.dumps({k: round(v, 3) for k, v in timings.items()}), message, run_id],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
