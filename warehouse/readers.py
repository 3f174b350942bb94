"""Reading contract extracts (CSV, Parquet, .xlsx) into all-text frames.

Every data record ends up either in the frame or in the quarantine list with a
reason, so `rows_read == rows_loaded + rows_quarantined` holds by construction.
A file-level problem (unknown format, missing required column, a column that
cannot be text) refuses the whole file with one line naming the file and the column;
`warehouse.refusals` tells the real cause of a file that is not a dataset at all (a
directory, a gzip or UTF-16 file, another separator, a legacy encoding, mojibake).

One rule for every format: a value holding a control character (C0, DEL, C1; tab and
line breaks are text) or longer than MAX_FIELD_CHARS sets its record aside, naming the
column. The registry's key is an ID number: spaces in it are removed, and a key that
is then not 12 digits 0-9 sets its record aside; two keys equal once cleaned are
duplicates. A CSV file in a legacy 8-bit encoding is read with `encoding`
(`warehouse.encodings`), which converts it to UTF-8 text first.

CSV has two readers and one outcome. polars' native reader parses the file, all
columns as text, and column operations check it; if polars reports anything
irregular, or its records do not add up to the file's lines and separators (an
empty line, a record of the wrong width, a quote left open, bad UTF-8), the file is
read again record by record by the exact reader, which sets each irregular record
aside with its reason. tests/unit/warehouse/test_readers.py checks that both give
the same Extract on a corpus of files.

Excel and Parquet can store an identifier as a number, which drops its leading
zeros: they are restored where the digit count says how many were lost
(`Dataset.id_digits`, `ID_LEADING_ZEROS`), and the record is set aside where it
does not.
"""

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from popdq.contract import ID_LEADING_ZEROS, Dataset
from popdq.errors import BadParameter, PopdqError
from warehouse.encodings import ENCODINGS, convert
from warehouse.refusals import (
    read_file_bytes,
    refuse_bad_header,
    refuse_mojibake,
    refuse_other_format,
    refuse_special_file,
    refuse_undecodable,
    refuse_wrong_encoding,
)

FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}

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


MAX_RECORD_LINES = 1_000
"""A quoted field still open after this many lines is a quote left open, not an address."""

_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""Bytes that were not UTF-8 survive decoding (surrogateescape) as lone surrogates, and so
do bytes a legacy encoding lacks (`warehouse.encodings`)."""
_NOT_UTF8 = _Problem("not_utf8", RULES["not_utf8"])


_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Control characters (C0, DEL, C1) a value may not hold. Tab is text, and so are line
breaks: a quoted field may span lines (an address), and the name normaliser folds them."""
_CONTROL_NAMES = {chr(c): f"U+{c:04X}" for c in [*range(0x20), *range(0x7F, 0xA0)]}

_KEY_SPACES = r"[\s\u200b-\u200d\u2060\ufeff]"
"""Spaces (any kind) and invisible characters removed from a key checked as an ID."""


def read_extract(path: Path, dataset: Dataset, encoding: str | None = None) -> Extract:
    """Read one extract of a dataset; raise PopdqError when the file cannot be used at all.

    `encoding` (CSV only) names the legacy encoding the file is in (`ENCODINGS`); without
    it a CSV file must be UTF-8, and one that is not, or whose names are mojibake, is
    refused with the encoding to give."""
    path = Path(path)
    file_format = _file_format(path, encoding)
    if file_format == "csv":
        table = read_csv_table(path, dataset, encoding)
    else:
        table = (_read_parquet if file_format == "parquet" else _read_xlsx)(path, dataset)
    extract = _check_table(path.name, file_format, dataset, table)
    if encoding is None and "full_name" in extract.rows.columns:
        refuse_mojibake(path.name, file_format, extract.rows.get_column("full_name"))
    return extract


def _file_format(path: Path, encoding: str | None) -> str:
    """The format a file's name gives, once it is known to be a file of a known type that
    the encoding, if any, applies to: each refusal names the actual problem."""
    refuse_special_file(path)
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        known = ", ".join(FORMATS)
        raise PopdqError(f"{path.name}: unsupported file type {path.suffix!r} (use {known})")
    if not path.exists():
        raise PopdqError(f"{path}: no such file")
    if encoding is not None and encoding not in ENCODINGS:
        raise BadParameter(f"unknown encoding {encoding!r} (use one of: {', '.join(ENCODINGS)})")
    if encoding is not None and file_format != "csv":
        raise PopdqError(f"{path.name}: --encoding applies to CSV files only; a {file_format}"
                         " file holds Unicode text already: load it without --encoding")
    return file_format


def _check_table(file_name: str, file_format: str, dataset: Dataset, table: _Table) -> Extract:
    """Apply the contract to a reader's records: the header, then each record, then split."""
    refuse_bad_header(file_name, dataset, table.header)
    names = {name: f"c{i}" for i, name in enumerate(table.header)}
    cells = _judge_records(table.cells, names, dataset, table.may_hold_controls)
    set_aside = cells.filter(pl.col("rule").is_not_null())
    quarantined = [
        QuarantinedRow(line, raw, rule, reason) for (line, rule, reason), raw in zip(
            set_aside.select("line", "rule", "reason").iter_rows(),
            table.raw_text(set_aside), strict=True)
    ]
    loaded = cells.filter(pl.col("rule").is_null())
    return Extract(file_name, file_format, _contract_rows(dataset, names, loaded), quarantined)


class _Check(NamedTuple):
    """One reason to set a record aside: its rule, when it applies, and the reason."""

    rule: str
    applies: pl.Expr
    reason: pl.Expr


def _judge_records(cells: pl.DataFrame, names: dict[str, str], dataset: Dataset,
                   may_hold_controls: bool) -> pl.DataFrame:
    """Set `rule` and `reason` where a record cannot load, the first that applies: what the
    reader found, an empty record, a control character, a value too long, an empty key, a
    key that is no ID (the registry's), a key already loaded (naming the first line).
    Column operations, so a million records cost no Python loop; checks that cannot apply
    (no control character, no long value, every key an ID) are left out after one scan."""
    columns = list(names.values())
    checks = [_Check("empty_row", pl.all_horizontal(_is_blank(pl.col(c)) for c in columns),
                     pl.lit(RULES["empty_row"]))]
    if may_hold_controls:
        checks += _control_checks(cells, names)
    checks += _length_checks(cells, names)
    key, column = dataset.key, names[dataset.key]
    lengths = dataset.id_digits.get(key)
    cleaning = bool(lengths) and not _all_ids(cells, column, lengths or ())
    # an ID number as key (the registry's person_id): spaces go, the rest must be an ID
    value = pl.col(column).str.replace_all(_KEY_SPACES, "") if cleaning else pl.col(column)
    checks.append(_Check("empty_key", _is_blank(value), pl.lit(f"empty {key}")))
    if lengths and cleaning:
        checks.append(_Check("invalid_key", ~_is_id(value, lengths),
                             _invalid_id_reason(key, value, lengths)))
    rule = pl.col("rule")
    first = pl.when(rule.is_null()).then(pl.col("line")).min().over(column)
    return cells.with_columns(
        pl.coalesce(rule, *(pl.when(c.applies).then(pl.lit(c.rule)) for c in checks)),
        value.alias(column),
    ).with_columns(first.alias("first")).with_columns(
        pl.when(rule.is_null() & (pl.col("line") != pl.col("first")))
        .then(pl.lit("duplicate_key")).otherwise(rule).alias("rule"),
    ).with_columns(pl.coalesce(
        "reason",
        *(pl.when(_names_the_column(c, checks)).then(c.reason) for c in checks),
        pl.when(rule == "duplicate_key").then(
            pl.format(f"duplicate {key} (first at line {{}})", pl.col("first"))),
    ).alias("reason"))


def _names_the_column(check: _Check, checks: list[_Check]) -> pl.Expr:
    """When a check's reason is the record's: its rule, and where several columns share the
    rule, the check's own column applies too (so the reason names the right column)."""
    shared = sum(c.rule == check.rule for c in checks) > 1
    return (pl.col("rule") == check.rule) & check.applies if shared else (
        pl.col("rule") == check.rule)


def _control_checks(cells: pl.DataFrame, names: dict[str, str]) -> list[_Check]:
    """A control character, per column that holds one anywhere (the first column wins)."""
    found = cells.select(pl.col(c).str.contains(_CONTROL).any() for c in names.values())
    return [
        _Check("control_characters", pl.col(column).str.contains(_CONTROL),
               pl.format(f"{name} holds a control character ({{}})",
                         pl.col(column).str.extract(f"({_CONTROL})")
                         .replace_strict(_CONTROL_NAMES, default="?")))
        for (name, column), present in zip(names.items(), found.row(0), strict=True)
        if present
    ]


def _length_checks(cells: pl.DataFrame, names: dict[str, str]) -> list[_Check]:
    """A value over MAX_FIELD_CHARS characters, per column that has one. The byte length
    (free to read) rules most columns out before any characters are counted."""
    widest = cells.select(pl.col(c).str.len_bytes().max() for c in names.values())
    return [
        _Check("field_too_long", pl.col(column).str.len_chars() > MAX_FIELD_CHARS,
               pl.format(f"{name} is {{}} characters long (more than {MAX_FIELD_CHARS:,})",
                         pl.col(column).str.len_chars()))
        for (name, column), most in zip(names.items(), widest.row(0), strict=True)
        if most is not None and most > MAX_FIELD_CHARS
    ]


def _is_id(value: pl.Expr, lengths: tuple[int, ...]) -> pl.Expr:
    """An ID number: only the digits 0-9, as many as one of `lengths`."""
    return value.str.contains("^(?:" + "|".join(f"[0-9]{{{n}}}" for n in lengths) + ")$")


def _all_ids(cells: pl.DataFrame, column: str, lengths: tuple[int, ...]) -> bool:
    """Whether every record still in play has a well-formed ID as its key: one pass, so a
    clean file is not cleaned."""
    ok = _is_id(pl.col(column), lengths).fill_null(False) | pl.col("rule").is_not_null()
    return bool(cells.select(ok.all()).item())


def _invalid_id_reason(key: str, value: pl.Expr, lengths: tuple[int, ...]) -> pl.Expr:
    """Why a key is no ID number (letters, full-width digits, a lost leading zero),
    without showing the value."""
    shown = " or ".join(map(str, lengths))
    return (
        pl.when(~value.str.contains(r"[^0-9]"))
        .then(pl.format(f"{key} has {{}} digits, not {shown}", value.str.len_chars()))
        .when(value.str.contains(r"^\d+$")).then(pl.lit(
            f"{key} is written with full-width or other non-ASCII digits: use 0-9"))
        .otherwise(pl.lit(f"{key} holds characters other than digits"))
    )


def _contract_rows(dataset: Dataset, names: dict[str, str], cells: pl.DataFrame) -> pl.DataFrame:
    """line_number, the contract's columns (empty → null, absent → null) and extra as JSON."""
    extra = [name for name in names if name not in dataset.columns]
    columns = [
        (pl.when(pl.col(names[c]) != "").then(pl.col(names[c])) if c in names else pl.lit(None))
        .cast(pl.String).alias(c)
        for c in dataset.columns
    ]
    return cells.select(
        pl.col("line").cast(pl.Int64).alias("line_number"),
        *columns,
        (_json_object({n: pl.col(names[n]) for n in extra}) if extra else pl.lit(None))
        .cast(pl.String).alias("extra"),
    )


def _json_object(values: dict[str, pl.Expr]) -> pl.Expr:
    """`json.dumps({name: value or ""}, ensure_ascii=False)` for every row, as an expression."""
    parts: list[pl.Expr] = []
    for i, (name, value) in enumerate(values.items()):
        label = ("{" if i == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": "
        encoded = (pl.struct(value.fill_null("").alias("v")).struct.json_encode()
                   .str.strip_prefix('{"v":').str.strip_suffix("}"))
        parts += [pl.lit(label), encoded]
    return pl.concat_str([*parts, pl.lit("}")])


def _is_blank(value: pl.Expr) -> pl.Expr:
    return value.is_null() | (value == "")


# ---------------------------------------------------------------- records read one by one


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


# ------------------------------------------------------------------------------------ CSV


def read_csv_table(path: Path, dataset: Dataset, encoding: str | None = None) -> _Table:
    """A CSV file's records: natively when polars can vouch for every line, else exactly.
    With `encoding` the file is converted to UTF-8 text first (`encodings.convert`)."""
    data = read_file_bytes(path)
    refuse_other_format(path.name, data)
    if encoding is None:
        utf8 = data.removeprefix(b"\xef\xbb\xbf")
        table = read_csv_natively(utf8) or read_csv_exactly(path.name, utf8)
    else:
        refuse_wrong_encoding(path.name, data, encoding)
        table = _read_converted(path.name, data, encoding)
    undecodable = table.cells.filter(pl.col("rule").is_in(["not_utf8", "not_in_encoding"]))
    refuse_undecodable(path.name, table.header, undecodable.height, table.cells.height, data,
                       encoding)
    return table


def _read_converted(file_name: str, data: bytes, encoding: str) -> _Table:
    """A legacy (or mojibake) CSV file converted to UTF-8 text, then read as any other; a
    record holding a byte the encoding lacks is set aside by the exact reader."""
    text = convert(data, encoding)
    if not _UNDECODABLE.search(text):
        utf8 = text.encode("utf-8")
        return read_csv_natively(utf8) or read_csv_exactly(file_name, utf8)
    not_in = _Problem("not_in_encoding", f"not valid {ENCODINGS[encoding]} text")
    return _read_csv_text(file_name, text, not_in)


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


# --------------------------------------------------------------------- identifiers as numbers


_NOT_WHOLE = "{column} is stored as a number that is not a whole number: store the column as text"


def restored_length(column: str, digits: int, lengths: tuple[int, ...]) -> int | str:
    """The length a `digits`-digit number in an identifier column is zero-padded back to, or
    why that cannot be told (no length fits, or several do)."""
    fits = [n for n in lengths if n - ID_LEADING_ZEROS.get(n, 0) <= digits <= n]
    if len(fits) == 1:
        return fits[0]
    shown = " or ".join(str(n) for n in lengths)
    if not fits:
        return (f"{column} is stored as a {digits}-digit number, which fits none of its "
                f"lengths ({shown} digits): store the column as text")
    readings = " or ".join(
        f"{n} digits as shown" if n == digits
        else f"{n} digits that lost {n - digits} leading zero{'s' * (n - digits > 1)}"
        for n in fits)
    return (f"{column} is stored as a {digits}-digit number, which could be {readings}: "
            "store the column as text")


def _identifier_cell(column: str, value: Any, lengths: tuple[int, ...]
                     ) -> tuple[str | None, _Problem | None]:
    """An Excel cell of an identifier column as text: numbers get their leading zeros back."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _cell_text(value), None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return _cell_text(value), _Problem("numeric_id", _NOT_WHOLE.format(column=column))
    if value < 0:
        return _cell_text(value), _Problem(
            "numeric_id", f"{column} is stored as a negative number: store the column as text")
    digits = str(int(value))
    length = restored_length(column, len(digits), lengths)
    if isinstance(length, str):
        return digits, _Problem("numeric_id", length)
    return digits.zfill(length), None


def _identifier_column(column: str, values: pl.Series, lengths: tuple[int, ...]
                       ) -> tuple[pl.Series, pl.Series]:
    """A numeric Parquet identifier column as text with its leading zeros back, and why each
    value that cannot be restored was not (null where it was, or where the cell is empty)."""
    number = pl.col("number").cast(pl.Float64) if not values.dtype.is_integer() else None
    exact_below = 2 ** (24 if values.dtype == pl.Float32 else 53)  # whole numbers held exactly
    checks = [pl.lit(True).alias("whole"), pl.lit(True).alias("exact"),
              pl.col("number").cast(pl.String).alias("digits")]
    if number is not None:
        whole = number.is_finite() & (number == number.floor())
        exact = number.abs() <= exact_below
        checks = [whole.alias("whole"), exact.alias("exact"),
                  pl.when(whole & exact).then(number.cast(pl.Int64, strict=False))
                  .cast(pl.String).alias("digits")]
    frame = values.rename("number").to_frame().with_columns(checks)
    counts = frame["digits"].str.len_chars()
    decided = {n: restored_length(column, n, lengths) for n in counts.drop_nulls().unique()}
    frame = frame.with_columns(
        counts.replace_strict({n: d for n, d in decided.items() if isinstance(d, int)},
                              default=None, return_dtype=pl.Int64).alias("length"),
        counts.replace_strict({n: d for n, d in decided.items() if isinstance(d, str)},
                              default=None, return_dtype=pl.String).alias("fits"),
    )
    problem = (
        pl.when(pl.col("number").is_null()).then(None)
        .when(~pl.col("whole")).then(pl.lit(_NOT_WHOLE.format(column=column)))
        .when(pl.col("digits").str.starts_with("-")).then(pl.lit(
            f"{column} is stored as a negative number: store the column as text"))
        .when(~pl.col("exact")).then(pl.lit(
            f"{column} is stored as a floating-point number too imprecise to hold all its "
            "digits: store the column as text"))
        .otherwise(pl.col("fits"))
    )
    out = frame.select(
        pl.when(problem.is_null()).then(pl.col("digits").str.zfill(pl.col("length")))
        .otherwise(pl.col("number").cast(pl.String)).alias("text"),
        problem.alias("reason"),
    )
    return out["text"], out["reason"]


# -------------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path, dataset: Dataset) -> _Table:
    """A Parquet file's rows as text; numeric identifier columns get their zeros back."""
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        problem = type(exc).__name__
        raise PopdqError(f"{path.name}: not a readable Parquet file ({problem})") from exc
    _refuse_nested_columns(path.name, frame.schema)
    texts: dict[str, pl.Series] = {}
    reasons: list[pl.Series] = []
    for i, name in enumerate(frame.columns):
        values = frame.get_column(name)
        lengths = dataset.id_digits.get(name)
        if lengths and values.dtype.is_numeric():
            text, reason = _identifier_column(name, values, lengths)
            reasons.append(reason)
        else:
            text = values.cast(pl.String)
        texts[f"c{i}"] = text.rename(f"c{i}")
    found = pl.DataFrame([pl.Series("none", [None] * frame.height, pl.String),
                          *(r.rename(f"r{i}") for i, r in enumerate(reasons))])
    cells = found.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
        pl.coalesce(pl.all()).alias("reason"),
    ).select(
        "line",
        pl.when(pl.col("reason").is_not_null()).then(pl.lit("numeric_id")).alias("rule"),
        "reason",
    ).hstack(list(texts.values()))
    return _Table(list(frame.columns), cells, _joined_values)


def _refuse_nested_columns(file_name: str, schema: pl.Schema) -> None:
    """List, struct and binary columns have no one text form: the file is refused."""
    for name, dtype in schema.items():
        if dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object:
            kind = "binary" if dtype == pl.Binary else str(dtype.base_type()).lower()
            raise PopdqError(
                f"{file_name}: column {name!r} holds {kind} values, not text or numbers; "
                "write it as a text column; nothing loaded"
            )


def _joined_values(rows: pl.DataFrame) -> list[str]:
    """The raw text of records read as cells: their values joined as one CSV line."""
    values = rows.select(c for c in rows.columns if re.fullmatch(r"c\d+", c))
    return [_join_raw(list(row)) for row in values.iter_rows()]


# ---------------------------------------------------------------------------------- Excel

_HEADER_SEARCH_ROWS = 20
"""How far down a sheet a header below title rows is looked for (to say so)."""


def _read_xlsx(path: Path, dataset: Dataset) -> _Table:
    """The first sheet's rows as typed text; the header must be its first row, unmerged."""
    from openpyxl import load_workbook  # slow import, only for Excel

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... for a bad file
        raise PopdqError(f"{path.name}: not a readable .xlsx file ({type(exc).__name__})") from exc
    try:
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        first = next(cells, ())
        header = [_cell_text(v) or "" for v in first]
        while header and header[-1] == "":
            header.pop()  # trailing empty header cells are formatting, not columns
        preview = list(islice(cells, _HEADER_SEARCH_ROWS))
        _refuse_header_below(path.name, dataset, header, preview)
        _refuse_merged_header(path, sheet._worksheet_path)  # openpyxl keeps the path private
        rows = list(_xlsx_rows(header, chain(preview, cells), dataset))
    finally:
        book.close()
    return _table_from_rows(header, rows, _joined_values_or_raw(rows))


def _xlsx_rows(header: list[str], cells: Iterable[tuple[Any, ...]],
               dataset: Dataset) -> Iterator[_Row]:
    """Sheet rows from row 2 as text, identifiers restored, trailing empty cells trimmed."""
    lengths = {i: dataset.id_digits[name] for i, name in enumerate(header)
               if name in dataset.id_digits}
    for line, raw_values in enumerate(cells, start=2):
        values: list[str | None] = []
        problem = None
        for i, value in enumerate(raw_values):
            if i in lengths:
                text, found = _identifier_cell(header[i], value, lengths[i])
                problem = problem or found
            else:
                text = _cell_text(value)
            values.append(text)
        while len(values) > len(header) and values[-1] is None:
            values.pop()
        while len(values) < len(header):
            values.append(None)
        yield _Row(line, 1, values, problem)


def _joined_values_or_raw(rows: list[_Row]) -> RawText:
    """Raw text of Excel rows: all their cells joined, even beyond the header's width."""
    by_line = {row.line: row.values for row in rows}
    return lambda picked: [_join_raw(by_line[line]) for line in picked["line"]]


def _refuse_header_below(file_name: str, dataset: Dataset, header: list[str],
                         preview: list[tuple[Any, ...]]) -> None:
    """Title rows above the header would shift every column: say where the header is."""
    required = set(dataset.required)
    if required <= set(header):
        return
    for row, values in enumerate(preview, start=2):
        if required <= {_cell_text(v) for v in values}:
            raise PopdqError(
                f"{file_name}: the header is on row {row}, not on the first row (title rows "
                "above it?); delete the rows above the header; nothing loaded"
            )


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+(\d+)(?::[A-Z]+\d+)?)"')
"""A merged range in a sheet's XML: its reference (B1:C1) and its top row."""


def _refuse_merged_header(path: Path, sheet_xml: str) -> None:
    """A merged header cell names one column for several: refuse rather than guess. The
    merges are listed after the rows, so the sheet's XML is scanned to its end."""
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(sheet_xml) as xml:
        for block in iter(lambda: xml.read(1 << 20), b""):
            text = tail + block
            for merged in _MERGE.finditer(text):
                if merged[2] == b"1":
                    raise PopdqError(
                        f"{path.name}: header cells {merged[1].decode()} are merged; unmerge "
                        "them so that every column has its own name in the first row; "
                        "nothing loaded"
                    )
            tail = text[-200:]


def _cell_text(value: Any) -> str | None:
    """Excel cells as the text a person typed: 12.0 → '12', dates → ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _join_raw(values: list[str | None]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
