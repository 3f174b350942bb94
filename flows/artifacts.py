"""What a run shows stewards in Prefect: a summary and a table of findings, as artifacts.

Counts, rates and timings only: no name, ID number or other value from the data
(tests/integration/test_privacy.py scans Prefect's database after a demo).
"""

from pathlib import Path

import polars as pl

from popdq.contract import CRITERIA
from warehouse.queue import SyncSummary

SUMMARY_KEY = "popdq-run-summary"
FINDINGS_KEY = "popdq-findings"


def summary_markdown(run_id: int, mode: str, as_of: str, decisions: pl.DataFrame,
                     findings: pl.DataFrame, queue: SyncSummary, timings: dict[str, float],
                     report: Path) -> str:
    """The run at a glance: records checked and linked per source, findings per criterion,
    queue changes, step timings, and where its report is."""
    lines = [f"# popdq run {run_id} ({mode}, as of {as_of})", "",
             "| source | records | linked | review | not linked | match rate |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in decisions.iter_rows(named=True):
        rate = row["linked"] / row["records"] if row["records"] else 0.0
        lines.append(f"| {row['source']} | {row['records']:,} | {row['linked']:,} |"
                     f" {row['review']:,} | {row['not_linked']:,} | {rate:.1%} |")
    per_criterion = dict(findings.group_by("criterion").agg(pl.col("findings").sum()).iter_rows())
    lines += ["", "| criterion | findings |", "|---|---:|"]
    lines += [f"| {name} ({vietnamese}) | {per_criterion.get(name, 0):,} |"
              for name, vietnamese in CRITERIA.items()]
    lines += ["", f"Queue: {queue}.", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {step} | {seconds:.1f} |" for step, seconds in timings.items()]
    lines += ["", f"Report: [{report.name}]({report.resolve().as_uri()})"]
    return "\n".join(lines) + "\n"
