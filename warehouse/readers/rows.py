"""Records read one by one (by the exact CSV reader and the Excel reader) collected into a
`_Table`, with the checks of a record's shape that only such readers need: an empty
record, one of the wrong width, one holding bytes its encoding lacks. (polars' native
reader proves these away for a whole file at once instead: `csv_native`.)
"""

import re
from collections.abc import Iterable
from typing import NamedTuple

import polars as pl

from warehouse.readers.extract import RULES, RawText, _Problem, _Table

_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""Bytes that were not UTF-8 survive decoding (surrogateescape) as lone surrogates, and so
do bytes a legacy encoding lacks (`warehouse.encodings`)."""
_NOT_UTF8 = _Problem("not_utf8", RULES["not_utf8"])


class _Row(NamedTuple):
    """One record as a row-by-row reader yields it."""

    line: int
    span: int
    """How many physical lines the record covers."""
    values: list[str | None]
    problem: _Problem | None
    """Why the reader already sets it aside (a quote left open, a number it cannot restore)."""


def _table_from_rows(header: list[str], rows: Iterable[_Row], raw_text: RawText,
                     undecodable: _Problem | None = None) -> _Table:
    """Collect a row-by-row reader's records into a `_Table`, setting aside those whose
    shape is wrong (empty, wrong width, not decodable: `undecodable`, by default not
    UTF-8) or that the reader already refused."""
    undecodable = undecodable or _NOT_UTF8
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    spans: list[int] = []
    rules: list[str | None] = []
    reasons: list[str | None] = []
    for line, span, values, found in rows:
        problem = found or _shape_problem(values, width, undecodable)
        lines.append(line)
        spans.append(span)
        rules.append(problem.rule if problem else None)
        reasons.append(problem.reason if problem else None)
        for column, value in zip(columns, values if problem is None else [None] * width,
                                 strict=True):
            column.append(value)
    cells = pl.DataFrame(
        {"line": lines, "span": spans, "rule": rules, "reason": reasons,
         **{f"c{i}": column for i, column in enumerate(columns)}},
        schema={"line": pl.Int64, "span": pl.Int64, "rule": pl.String, "reason": pl.String,
                **{f"c{i}": pl.String for i in range(width)}},
    )
    return _Table(header, cells, raw_text)


def _shape_problem(values: list[str | None], width: int,
                   undecodable: _Problem) -> _Problem | None:
    """An empty record, one of the wrong width, or one with bytes its encoding lacks."""
    if all(v is None or v == "" for v in values):
        return _Problem("empty_row", RULES["empty_row"])
    if len(values) != width:
        return _Problem("wrong_width", f"expected {width} fields, found {len(values)}")
    if any(v is not None and _UNDECODABLE.search(v) for v in values):
        return undecodable
    return None
