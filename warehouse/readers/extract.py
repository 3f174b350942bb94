"""What reading a file produces, and what every reader hands to the contract's checks.

`Extract` (the loadable rows) and `QuarantinedRow` (a record set aside by one of `RULES`)
are what `read_extract` returns. `_Table` and `_Problem` are how each reader (`csv_native`,
`csv_exact`, `parquet`, `xlsx`) hands its records to `checks`: one vocabulary that the
readers and the checks share without importing each other.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import polars as pl

MAX_FIELD_CHARS = 1_000
"""A value longer than this is not a name, code or address but a broken record (a quote
that swallowed lines, a blob): the record is quarantined, whatever the column."""


@dataclass(frozen=True)
class QuarantinedRow:
    line_number: int
    raw_line: str
    rule: str
    """The code of the rule that set the row aside (`RULES`)."""
    reason: str
    """The same in words, with the row's particulars."""


RULES: dict[str, str] = {
    "empty_row": "empty row",
    "wrong_width": "wrong number of fields",
    "not_utf8": "not valid UTF-8 text",
    "not_in_encoding": "not valid text in the legacy encoding given (--encoding)",
    "unclosed_quote": "quote not closed",
    "numeric_id": "identifier stored as a number that cannot be restored",
    "control_characters": "a control character (NUL, …) in a value",
    "field_too_long": f"a value longer than {MAX_FIELD_CHARS:,} characters",
    "empty_key": "empty key",
    "invalid_key": "key that is not a valid identifier",
    "duplicate_key": "duplicate key",
}
"""Quarantine rule code → what it means, for summaries."""


@dataclass(frozen=True)
class Extract:
    """A file read against the contract: loadable rows plus what was set aside."""

    file_name: str
    file_format: str
    rows: pl.DataFrame
    """line_number, the dataset's contract columns (text, null = missing), extra (JSON)."""
    quarantined: list[QuarantinedRow]

    @property
    def rows_read(self) -> int:
        return self.rows.height + len(self.quarantined)


RawText = Callable[[pl.DataFrame], list[str]]
"""The raw text of some records of a `_Table` (its `cells` rows), as quarantine stores it."""


@dataclass(frozen=True)
class _Table:
    """A file's records as a reader found them, before the contract's checks."""

    header: list[str]
    cells: pl.DataFrame
    """`line`, `rule` and `reason` (where the reader set the record aside already) and one
    text column per header column, named by position: c0, c1, …"""
    raw_text: RawText
    may_hold_controls: bool = True
    """False when the reader proved no value holds a control character (a cheap scan of
    the bytes), so the per-column search is skipped."""


class _Problem(NamedTuple):
    rule: str
    reason: str
