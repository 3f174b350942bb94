"""The exact CSV path: Python's csv module, record by record, so that each irregular
record (a quote left open, the wrong width, text that does not decode) is set aside with
its reason and its own lines, and reading goes on after it. Slower than `csv_native`; it
reads any file that reader cannot vouch for, and a legacy-encoded file holding bytes its
encoding lacks. MAX_RECORD_LINES bounds a quoted field spanning lines, here and in the
native reader's proof.
"""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from popdq.errors import PopdqError
from warehouse.readers.extract import _Problem, _Table
from warehouse.readers.rows import _NOT_UTF8, _Row, _table_from_rows

MAX_RECORD_LINES = 1_000
"""A quoted field still open after this many lines is a quote left open, not an address."""


def read_csv_exactly(file_name: str, data: bytes) -> _Table:
    """Read record by record with Python's csv module; irregular records are set aside, and
    one whose quote never closes is set aside by its first line and reading resumes after it."""
    return _read_csv_text(file_name, data.decode("utf-8", errors="surrogateescape"), _NOT_UTF8)


def _read_csv_text(file_name: str, text: str, undecodable: _Problem) -> _Table:
    """The exact reader on decoded text, where lone surrogates mark what was undecodable."""
    lines = list(io.StringIO(text, newline=""))
    with _csv_field_limit(len(text)):
        records = _csv_records(lines, 0, None)
        head = next(records, None)
        if head is not None and head.problem:
            raise PopdqError(f"{file_name}: the header has a quote that is not closed; "
                             "nothing loaded")
        header = head.values if head else []
        start = head.line + head.span - 1 if head else 0
        rows = _csv_records(lines, start, len(header)) if header else iter(())
        return _table_from_rows([str(v) for v in header], rows,
                                lambda picked: _lines_of_text(lines, picked), undecodable)


@contextmanager
def _csv_field_limit(size: int) -> Iterator[None]:
    """Python's csv stops at a field over 128 KiB; such a field is a record to quarantine
    (`field_too_long`), not the end of the file, so the limit is lifted while reading."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, size))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _lines_of_text(lines: list[str], rows: pl.DataFrame) -> list[str]:
    return [_printable("".join(lines[line - 1:line - 1 + span]).rstrip("\r\n"))
            for line, span in rows.select("line", "span").iter_rows()]


class _LineFeed:
    """Physical lines for csv.reader, one at a time, so each record's lines are known.

    Past the last line (or past MAX_RECORD_LINES in one record) it hands out one
    empty line and then stops: csv.reader reads that as an empty record unless a
    quote is still open, in which case the record swallowed it (`overran`).
    """

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.next = start
        self.record = start
        self.ended = False

    def __iter__(self) -> "_LineFeed":
        return self

    def __next__(self) -> str:
        if self.next < len(self.lines) and self.next - self.record < MAX_RECORD_LINES:
            self.next += 1
            return self.lines[self.next - 1]
        if self.ended:
            raise StopIteration
        self.ended = True
        return ""

    @property
    def overran(self) -> bool:
        return self.ended and self.record < len(self.lines)


def _csv_records(lines: list[str], start: int, width: int | None) -> Iterator[_Row]:
    """Each CSV record from lines[start:], numbered from 1. A record whose quote does not
    close (it reaches the end of the file, runs past MAX_RECORD_LINES lines, or spans
    lines and comes out the wrong width) is yielded as its first line alone, with the
    `unclosed_quote` problem, and reading starts again on the line after it."""
    while True:
        feed = _LineFeed(lines, start)
        for values in csv.reader(feed, strict=False):
            if feed.ended and not feed.overran:
                return  # the empty line past the end
            span = feed.next - feed.record
            unclosed = _unclosed_quote(feed, values, width)
            if unclosed:
                yield _Row(feed.record + 1, 1, [], unclosed)
                start = feed.record + 1
                break
            yield _Row(feed.record + 1, span, list(values), None)
            feed.record = feed.next
        else:
            return


def _unclosed_quote(feed: _LineFeed, values: list[str], width: int | None) -> _Problem | None:
    """Why the record csv.reader just read is a quote left open, if it is one."""
    first = feed.record + 1
    if feed.overran:
        where = ("to the end of the file" if feed.next >= len(feed.lines)
                 else f"on for more than {MAX_RECORD_LINES:,} lines")
        return _Problem("unclosed_quote",
                        f"unclosed quote on line {first}: the quoted field runs {where}")
    last = feed.next
    if width is not None and last > first and len(values) != width and any(values):
        return _Problem("unclosed_quote",
                        f"unclosed quote on line {first}: the quoted field runs to line "
                        f"{last} and leaves {len(values)} fields, expected {width}")
    return None


def _printable(raw: str) -> str:
    """Raw text as stored in quarantine: undecodable bytes shown as U+FFFD."""
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
