"""The reviewers' report: one self-contained HTML file per run, masked by default.

One module renders it for both callers: the nightly flow (a report per run,
beside the warehouse) and `popdq report`.
"""

from report.html import render_report, report_path, write_report

__all__ = ["render_report", "report_path", "write_report"]
