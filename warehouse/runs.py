"""The record of each nightly run: what it used, how it ended, how long each step took."""

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

from popdq.contract import DATASETS


@dataclass(frozen=True)
class Version:
    """The current version of a dataset: its load and the loaded file's sha256."""

    load_id: int
    sha256: str


def current_versions(con: duckdb.DuckDBPyConnection) -> dict[str, Version]:
    """The current version of every loaded dataset."""
    rows = con.execute(
        "SELECT dataset, load_id, sha256 FROM load_log WHERE load_id IN"
        " (SELECT max(load_id) FROM load_log GROUP BY dataset)").fetchall()
    found = {kind: Version(int(load_id), str(sha)) for kind, load_id, sha in rows}
    return {kind: found[kind] for kind in DATASETS if kind in found}


def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    locality: str | None,
    source: str | None,
    mode: str,
) -> int:
    """Open a run record (status running) pinned to the datasets' current versions."""
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0])
    versions = {kind: v.load_id for kind, v in current_versions(con).items()}
    con.execute(
        "INSERT INTO runs (run_id, as_of, locality, source, dataset_versions, status, started_at,"
        " mode) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
        [run_id, as_of, locality, source,
         json.dumps({kind: versions.get(kind) for kind in DATASETS}), _now(), mode],
    )
    return run_id


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
