"""The fast CSV path: polars parses the file, all columns as text, and the parse is then
proved to cover every line, field and quote of the file (numpy scans of the bytes), so it
gives what the exact reader (`csv_exact`) would. Where that cannot be proved (an empty
line, a record of the wrong width, a quote doubled, left open or inside a field, a lone
CR, bad UTF-8) `read_csv_natively` returns None and the file is read exactly. It also
tells cheaply whether a control character is there at all, so that `checks` can skip
searching column by column.
"""

import re

import numpy as np
import polars as pl

from warehouse.readers.csv_exact import MAX_RECORD_LINES
from warehouse.readers.extract import _Table


def read_csv_natively(data: bytes) -> _Table | None:
    """Parse with polars (all columns text) and prove the parse covers every line, field and
    quote of the file; None where it cannot, for the exact reader to read instead."""
    end = data.find(b"\n")
    header_line = (data if end < 0 else data[:end]).removesuffix(b"\r")
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")  # LF files skip the counts
    if not header_line or b'"' in header_line or lone_cr:
        return None  # a quoted header, a lone CR (a line break for Python's csv, not polars)
    if not _quotes_are_plain(data):
        return None  # a quote left open, doubled, or inside a field
    try:
        header = header_line.decode("utf-8").split(",")
        cells = pl.read_csv(
            data, has_header=False, skip_lines=1, quote_char='"', separator=",",
            schema={f"c{i}": pl.String for i in range(len(header))},
        )
    except (UnicodeDecodeError, pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return None  # bad UTF-8, a record wider than the header, a stray quote, …
    spans = _record_spans(data, header_line.count(b","), cells)
    if spans is None:
        return None
    lines = (pl.lit(2, pl.Int64) + spans.cum_sum() - spans).alias("line")
    cells = cells.select(lines, spans.alias("span"), pl.lit(None, pl.String).alias("rule"),
                         pl.lit(None, pl.String).alias("reason"), pl.all())
    return _Table(header, cells, lambda rows: _lines_of_bytes(data, rows),
                  may_hold_controls=_has_control_bytes(data))


_CHUNK = 1 << 24
"""Bytes scanned at a time for quotes and line breaks: a bounded temporary array."""

_SCAN = 1 << 18
"""Bytes compared at a time for control characters: reused, cache-sized buffers."""
_CONTROL_BYTES = ((0x00, 0x09), (0x0B, 0x0D), (0x0E, 0x20))
"""The C0 bytes a value may not hold, as [start, end) ranges: all but tab, LF and CR."""


def _has_control_bytes(data: bytes) -> bool:
    """Whether UTF-8 data holds a control character other than tab and line breaks: a C0
    byte, DEL, or C1 (C2 80–9F). A few milliseconds for a million rows, so that a file
    without any (nearly every file) skips the search column by column: a block whose
    only bytes below 0x20 are line feeds is cleared by two comparisons."""
    raw = np.frombuffer(data, dtype=np.uint8)
    below = np.empty(min(_SCAN, raw.size), dtype=bool)
    feeds = np.empty(min(_SCAN, raw.size), dtype=bool)
    for start in range(0, raw.size, _SCAN):
        chunk = raw[start:start + _SCAN]
        low = np.count_nonzero(np.less(chunk, 0x20, out=below[:chunk.size]))
        if low != np.count_nonzero(np.equal(chunk, 0x0A, out=feeds[:chunk.size])) and (
                _has_control_byte_in(chunk)):
            return True
    return b"\x7f" in data or (b"\xc2" in data
                               and re.search(b"\xc2[\x80-\x9f]", data) is not None)


def _has_control_byte_in(chunk: np.ndarray) -> bool:
    """Whether a block holds a C0 byte other than tab, LF and CR: each range is one wrapping
    subtraction and comparison (low <= byte < high ⇔ (byte - low) mod 256 < high - low)."""
    return any(bool(np.less(chunk - np.uint8(low), high - low).any())
               for low, high in _CONTROL_BYTES)


def _quotes_are_plain(data: bytes) -> bool:
    """Quotes only around whole fields: each one in turn opens a field (after a comma or a
    line break) or closes it (before one). Then Python's csv and polars cannot differ on
    them; a doubled quote, a quote inside a field or one left open is left to Python."""
    raw = np.frombuffer(data, dtype=np.uint8)
    at = np.concatenate([np.flatnonzero(raw[i:i + _CHUNK] == ord('"')) + i
                         for i in range(0, raw.size, _CHUNK)] or [np.zeros(0, np.int64)])
    if at.size % 2:
        return False
    opens, closes = at[0::2], at[1::2]
    before = raw[np.maximum(opens - 1, 0)]
    after = raw[np.minimum(closes + 1, raw.size - 1)]
    opening = (opens == 0) | (before == ord(",")) | (before == ord("\n"))
    closing = ((closes == raw.size - 1) | (after == ord(",")) | (after == ord("\n"))
               | (after == ord("\r")))
    return bool(opening.all() and closing.all())


def _record_spans(data: bytes, header_commas: int, cells: pl.DataFrame) -> pl.Series | None:
    """How many lines each parsed record covers, or None if the records do not account for
    every line and separator of the file (an empty line, a short record polars padded)."""
    text = [pl.col(c) for c in cells.columns]
    if cells.height and cells.select(pl.all_horizontal(c.is_null() for c in text).any()).item():
        return None  # a blank line and a record of empty fields look alike to polars
    in_values = 0 if b'"' not in data else cells.select(  # only a quoted field holds a comma
        pl.sum_horizontal(c.str.count_matches(",", literal=True).sum() for c in text)).item()
    if data.count(b",") != header_commas * (cells.height + 1) + (in_values or 0):
        return None  # a record with fewer fields than the header
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines == cells.height + 1:
        return pl.Series("span", [1] * cells.height, pl.Int64)
    spans = cells.select(1 + pl.sum_horizontal(
        c.str.count_matches("\n", literal=True).fill_null(0) for c in text)).to_series()
    if spans.sum() + 1 != lines or (spans > MAX_RECORD_LINES).any():
        return None
    return spans.cast(pl.Int64).rename("span")


def _lines_of_bytes(data: bytes, rows: pl.DataFrame) -> list[str]:
    """The physical lines of some records, as the exact reader shows them."""
    if rows.is_empty():
        return []
    raw = np.frombuffer(data, dtype=np.uint8)
    newline = [np.flatnonzero(raw[i:i + _CHUNK] == ord("\n")) + i + 1
               for i in range(0, raw.size, _CHUNK)]
    starts = np.concatenate([[0], *newline, [len(data)]])
    return [
        data[starts[line - 1]:starts[min(line - 1 + span, len(starts) - 1)]]
        .decode("utf-8").rstrip("\r\n")
        for line, span in rows.select("line", "span").iter_rows()
    ]
