"""Reading contract extracts (CSV, Parquet, .xlsx) into all-text frames.

Every data row ends up either in the frame or in the quarantine list with a
reason, so `rows_read == rows_loaded + rows_quarantined` holds by construction.
A file-level problem (unknown format, missing required column) refuses the
whole file with one line naming the file and the column.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from popdq.contract import Dataset
from popdq.errors import PopdqError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}

_RawRow = tuple[int, list[str | None], str]
"""(line number, values, raw text of the row) as a reader yields it."""


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
    "empty_key": "empty key",
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


def read_extract(path: Path, dataset: Dataset) -> Extract:
    """Read one extract of a dataset; raise PopdqError when the file cannot be used at all."""
    path = Path(path)
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        known = ", ".join(FORMATS)
        raise PopdqError(f"{path.name}: unsupported file type {path.suffix!r} (use {known})")
    if not path.is_file():
        raise PopdqError(f"{path}: no such file")
    reader = {"csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_xlsx}[file_format]
    header, rows = reader(path)
    return _check_rows(path.name, file_format, dataset, header, rows)


def _check_rows(
    file_name: str,
    file_format: str,
    dataset: Dataset,
    header: list[str],
    rows: Iterator[_RawRow],
) -> Extract:
    _check_header(file_name, dataset, header)
    position = {name: i for i, name in enumerate(header)}
    extra_names = [name for name in header if name not in dataset.columns]
    key_at = position[dataset.key]
    columns: dict[str, list[str | None]] = {c: [] for c in ("line_number", *dataset.columns)}
    extras: list[str | None] = []
    line_numbers: list[int] = []
    first_seen: dict[str, int] = {}
    quarantined: list[QuarantinedRow] = []
    for line_number, values, raw in rows:
        problem = _row_problem(values, len(header), key_at, dataset.key, first_seen, line_number)
        if problem:
            quarantined.append(QuarantinedRow(line_number, raw, *problem))
            continue
        line_numbers.append(line_number)
        for name in dataset.columns:
            at = position.get(name)
            columns[name].append(_blank_to_none(values[at]) if at is not None else None)
        extras.append(
            json.dumps({n: values[position[n]] for n in extra_names}, ensure_ascii=False)
            if extra_names
            else None
        )
    _refuse_legacy_encoding(file_name, quarantined, len(line_numbers))
    del columns["line_number"]
    frame = pl.DataFrame(
        {"line_number": line_numbers, **columns, "extra": extras},
        schema={"line_number": pl.Int64, **{c: pl.String for c in columns}, "extra": pl.String},
    )
    return Extract(file_name, file_format, frame, quarantined)


def _refuse_legacy_encoding(file_name: str, quarantined: list[QuarantinedRow],
                           loaded: int) -> None:
    """A file that is mostly not UTF-8 is in another encoding, not a file of bad rows."""
    undecodable = sum(q.rule == "not_utf8" for q in quarantined)
    if undecodable and undecodable >= (loaded + len(quarantined)) / 2:
        raise PopdqError(
            f"{file_name}: {undecodable} of {loaded + len(quarantined)} rows are not UTF-8; "
            "convert the file from its legacy encoding (TCVN3, VNI, VISCII, Windows-1258) "
            "to UTF-8 first; nothing loaded"
        )


def _check_header(file_name: str, dataset: Dataset, header: list[str]) -> None:
    if not header:
        raise PopdqError(f"{file_name}: empty file, expected a header row")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise PopdqError(f"{file_name}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [c for c in dataset.columns if c in dataset.required and c not in seen]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise PopdqError(
            f"{file_name}: missing required column{plural} {names} for {dataset.kind}; "
            "nothing loaded from this file"
        )


def _row_problem(
    values: list[str | None],
    width: int,
    key_at: int,
    key: str,
    first_seen: dict[str, int],
    line_number: int,
) -> tuple[str, str] | None:
    """(rule, reason) a row cannot be loaded for, or None. Records the key's first line."""
    if all(v is None or v == "" for v in values):
        return "empty_row", RULES["empty_row"]
    if len(values) != width:
        return "wrong_width", f"expected {width} fields, found {len(values)}"
    if any(v is not None and _has_undecodable(v) for v in values):
        return "not_utf8", RULES["not_utf8"]
    value = _blank_to_none(values[key_at])
    if value is None:
        return "empty_key", f"empty {key}"
    if value in first_seen:
        return "duplicate_key", f"duplicate {key} (first at line {first_seen[value]})"
    first_seen[value] = line_number
    return None


def _blank_to_none(value: str | None) -> str | None:
    return None if value is None or value == "" else value


def _has_undecodable(value: str) -> bool:
    """Bytes that were not UTF-8 survive decoding as lone surrogates."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _read_csv(path: Path) -> tuple[list[str], Iterator[_RawRow]]:
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=False)
    header = next(reader, [])

    def rows() -> Iterator[_RawRow]:
        line_number = reader.line_num  # physical lines consumed so far
        for values in reader:
            first_line = line_number + 1
            line_number = reader.line_num
            raw = "".join(consumed).rstrip("\r\n")
            consumed.clear()
            yield first_line, list(values), _printable(raw)

    consumed.clear()
    return header, rows()


def _read_parquet(path: Path) -> tuple[list[str], Iterator[_RawRow]]:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        problem = type(exc).__name__
        raise PopdqError(f"{path.name}: not a readable Parquet file ({problem})") from exc
    text = frame.select(pl.all().cast(pl.String))

    def rows() -> Iterator[_RawRow]:
        for i, values in enumerate(text.iter_rows(), start=1):
            yield i, list(values), _join_raw(list(values))

    return list(frame.columns), rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[_RawRow]]:
    from openpyxl import load_workbook  # slow import, only for Excel

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... for a bad file
        raise PopdqError(f"{path.name}: not a readable .xlsx file ({type(exc).__name__})") from exc
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    first = next(cells, ())
    header = [_cell_text(v) or "" for v in first]
    while header and header[-1] == "":
        header.pop()  # trailing empty header cells are formatting, not columns

    def rows() -> Iterator[_RawRow]:
        try:
            for i, raw_values in enumerate(cells, start=2):
                values = [_cell_text(v) for v in raw_values]
                while len(values) > len(header) and values[-1] is None:
                    values.pop()
                while len(values) < len(header):
                    values.append(None)
                yield i, values, _join_raw(values)
        finally:
            book.close()

    return header, rows()


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


def _printable(raw: str) -> str:
    """Raw text as stored in quarantine: undecodable bytes shown as U+FFFD."""
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
