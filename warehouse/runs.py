"""The record of each nightly run: what it used, how it ended, how long each step took,
and the step it is in (or was in when it ended).

A run holds the warehouse's lock for its whole duration (`warehouse.lock`), so a run
record still `running` when the next run starts belongs to a run whose process ended
without closing it (kill -9, a crash, a power cut): the next run marks it `interrupted`.
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from popdq.contract import DATASETS
from warehouse.db import open_warehouse
from warehouse.lock import Hold, describe_step

PUBLISHED = "published"
"""The step a run is at once its results are published (in the publish transaction)."""


@dataclass(frozen=True)
class Version:
    """The current version of a dataset: its load, the loaded file's sha256, its rows."""

    load_id: int
    sha256: str
    rows: int


def current_versions(con: duckdb.DuckDBPyConnection) -> dict[str, Version]:
    """The current version of every loaded dataset."""
    rows = con.execute(
        "SELECT dataset, load_id, sha256, rows_loaded FROM load_log WHERE load_id IN"
        " (SELECT max(load_id) FROM load_log GROUP BY dataset)").fetchall()
    found = {kind: Version(int(load_id), str(sha), int(count))
             for kind, load_id, sha, count in rows}
    return {kind: found[kind] for kind in DATASETS if kind in found}


def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    locality: str | None,
    source: str | None,
    mode: str,
) -> int:
    """Open a run record (status running) pinned to the datasets' current versions, after
    marking any run left running as interrupted. Call it holding the warehouse's lock."""
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0])
    mark_interrupted(con, noticed_by=run_id)
    versions = {kind: v.load_id for kind, v in current_versions(con).items()}
    con.execute(
        "INSERT INTO runs (run_id, as_of, locality, source, dataset_versions, status, started_at,"
        " mode) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
        [run_id, as_of, locality, source,
         json.dumps({kind: versions.get(kind) for kind in DATASETS}), _now(), mode],
    )
    return run_id


def mark_interrupted(con: duckdb.DuckDBPyConnection, *, noticed_by: int) -> list[int]:
    """Close the records of runs whose process ended before they did (status running, while
    this process holds the warehouse's lock: no run is live); returns their ids. A run
    publishes its results in one transaction, which also sets its step to `published`:
    the message says whether they were kept."""
    left = con.execute("SELECT run_id, step FROM runs WHERE status = 'running' ORDER BY run_id"
                       ).fetchall()
    for run_id, step in left:
        kept = ("its results were published and are kept" if step in (PUBLISHED, "report")
                else "none of its results were kept")
        con.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?, message = ? WHERE run_id = ?",
            [_now(), f"interrupted while {describe_step(step)}: the run ended without closing its"
             f" record (its process was killed, or could not write); {kept} (noticed by run "
             f"{noticed_by})", run_id])
    return [int(run_id) for run_id, _ in left]


def note_step(con: duckdb.DuckDBPyConnection, run_id: int, step: str = PUBLISHED) -> None:
    """Record the step a run has started, or (by default) that it has published."""
    con.execute("UPDATE runs SET step = ? WHERE run_id = ?", [step, run_id])


def mark_step(warehouse: Path, run_id: int, held: Hold, step: str) -> None:
    """A run starts a step: say so in its record (for stewards, and for the next run if
    this one is interrupted), then in the lock file (for whoever waits for the warehouse):
    a step the lock file names is in the record already."""
    with open_warehouse(warehouse) as con:
        note_step(con, run_id, step)
    held.mark(run_id=run_id, step=step)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    status: str,
    timings: dict[str, float],
    message: str | None = None,
    model_run_id: int | None = None,
    counts: dict[str, dict[str, int]] | None = None,
    resources: dict[str, dict[str, float]] | None = None,
) -> None:
    """Close a run record: how it ended, its step times, the model it used, what it redid,
    each step's CPU time and the peak memory so far."""
    if status not in ("succeeded", "failed"):
        raise ValueError(f"a run ends succeeded or failed, not {status!r}")
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, timings = ?, message = ?,"
        " model_run_id = ?, counts = ?, resources = ? WHERE run_id = ?",
        [status, _now(), json.dumps({k: round(v, 3) for k, v in timings.items()}), message,
         model_run_id, json.dumps(counts) if counts is not None else None,
         json.dumps(resources) if resources is not None else None, run_id],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
