"""Reading contract extracts (CSV, Parquet, .xlsx) into all-text frames: `read_extract`.

Every data record ends up either in the frame or in the quarantine list with a
reason, so `rows_read == rows_loaded + rows_quarantined` holds by construction.
A file-level problem (unknown format, missing required column, a column that
cannot be text) refuses the whole file with one line naming the file and the column;
`warehouse.refusals` tells the real cause of a file that is not a dataset at all (a
directory, a gzip or UTF-16 file, another separator, a legacy encoding, mojibake).
A CSV file in a legacy 8-bit encoding is read with `encoding` (`warehouse.encodings`),
which converts it to UTF-8 text first.

This module chooses the reader: by the file's format, and for CSV native or exact.
CSV has two readers and one outcome. polars' native reader parses the file, all
columns as text, and column operations check it; if polars reports anything
irregular, or its records do not add up to the file's lines and separators (an
empty line, a record of the wrong width, a quote left open, bad UTF-8), the file is
read again record by record by the exact reader, which sets each irregular record
aside with its reason. tests/unit/warehouse/test_readers.py checks that both give
the same Extract on a corpus of files: it swaps out `read_csv_natively` in this
module, where `read_csv_table` looks it up.

The other modules, one job each:

- `extract`: what reading produces (Extract, QuarantinedRow, RULES) and what each
  reader hands to the checks (_Table);
- `checks`: the contract applied to any reader's records, one rule for every format
  (control characters, over-long values, the key), and the loadable rows;
- `csv_native`: polars' reader and the proof that its parse covers the whole file;
- `csv_exact`: Python's csv, record by record, for any file polars cannot vouch for;
- `rows`: records read one by one (exact CSV, Excel) collected, their shape checked;
- `parquet`, `xlsx`: the other two formats, with `cells` (a cell's value as text) and
  `identifiers` (leading zeros given back to identifiers stored as numbers).
"""

from pathlib import Path

import polars as pl

from popdq.contract import Dataset
from popdq.errors import BadParameter, PopdqError
from warehouse.encodings import ENCODINGS, convert
from warehouse.readers.checks import _check_table
from warehouse.readers.csv_exact import MAX_RECORD_LINES, _read_csv_text, read_csv_exactly
from warehouse.readers.csv_native import read_csv_natively
from warehouse.readers.extract import (
    MAX_FIELD_CHARS,
    RULES,
    Extract,
    QuarantinedRow,
    _Problem,
    _Table,
)
from warehouse.readers.identifiers import restored_length
from warehouse.readers.parquet import _read_parquet
from warehouse.readers.rows import _UNDECODABLE
from warehouse.readers.xlsx import _read_xlsx
from warehouse.refusals import (
    read_file_bytes,
    refuse_mojibake,
    refuse_other_format,
    refuse_special_file,
    refuse_undecodable,
    refuse_wrong_encoding,
)

__all__ = [
    "FORMATS",
    "MAX_FIELD_CHARS",
    "MAX_RECORD_LINES",
    "RULES",
    "Extract",
    "QuarantinedRow",
    "read_csv_exactly",
    "read_csv_natively",
    "read_csv_table",
    "read_extract",
    "restored_length",
]


FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}


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
