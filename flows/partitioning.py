"""How many partitions a step needs to stay within POPDQ_MEMORY_LIMIT.

A step holds some prepared frames (their size is known) and works through the
records partition by partition (`matching.partitions`),
`CONCURRENT_PARTITIONS` at a time; the working memory of one partition is about
its rows times what a row costs in that step, measured at 1M persons
(`make bench`, docs/scale.md). Partitions
are also capped in rows: past that size a partition is no faster, only larger
(and POPDQ_PARTITION_ROWS caps them lower).
"""

from flows.executors import CONCURRENT_PARTITIONS
from popdq.settings import memory_limit, partition_rows_cap
from warehouse.db import DUCKDB_MEMORY_SHARE

BYTES_PER_ROW = {
    "validate": 4_000,
    "prepare": 4_000,
    "link": 4_000,
    "discrepancies": 6_000,
}
"""Peak working memory per row of a partition, by step (measured, with some room)."""
MAX_ROWS = 250_000
"""No partition holds more rows than this, whatever the memory allows."""
MIN_ROWS = 10_000
"""Nor fewer: under a tight limit, many tiny partitions would cost more than they save."""


def partition_rows(step: str, held: int = 0) -> int:
    """The rows a partition of `step` may hold, beside what the step holds (`held` bytes)."""
    room = memory_limit() * (1 - DUCKDB_MEMORY_SHARE) - held
    rows = max(MIN_ROWS, min(MAX_ROWS, int(room / CONCURRENT_PARTITIONS
                                           // BYTES_PER_ROW[step])))
    cap = partition_rows_cap()
    return rows if cap is None else min(rows, cap)
