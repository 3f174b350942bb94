"""The runs' summaries the report and the workbench's dashboard read, once per page."""

import duckdb
import polars as pl

from report.figures import History
from warehouse import reporting

TREND_RUNS = 12
"""Runs the trends cover (the newest and the ones before it)."""


def read_history(con: duckdb.DuckDBPyConnection, runs: int = TREND_RUNS
                 ) -> tuple[pl.DataFrame, History]:
    """The newest `runs` summarised runs (oldest first) and their national summaries."""
    found = reporting.summarised_runs(con, runs)
    run_ids = found.get_column("run_id").to_list()
    return found, History(tuple(run_ids), reporting.run_records(con, run_ids),
                          reporting.run_findings(con, run_ids), reporting.run_queue(con, run_ids))
