"""Validation suites as code (Great Expectations 1.x), one per dataset.

`validate_dataset(kind, rows)` runs the suite of a dataset and returns a row
per expectation and a row per failing record, each failure tagged with the
discrepancy kind and field it raises (contract §3).
"""

from expectations.suites import build_suite, checks_for
from expectations.validate import (
    Validation,
    build_data_docs,
    combine_validations,
    validate_dataset,
)

__all__ = ["Validation", "build_data_docs", "build_suite", "checks_for", "combine_validations",
           "validate_dataset"]
