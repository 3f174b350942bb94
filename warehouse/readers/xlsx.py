"""Reading an .xlsx file (openpyxl, imported only when one is read): the first sheet, its
header on the first row, cells as the text a person typed, identifiers stored as numbers
given back their leading zeros (`identifiers`). A header below title rows or a merged
header cell refuses the file, saying what to fix.
"""

import re
import zipfile
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any

from popdq.contract import Dataset
from popdq.errors import PopdqError
from warehouse.readers.cells import _cell_text, _join_raw
from warehouse.readers.extract import RawText, _Table
from warehouse.readers.identifiers import _identifier_cell
from warehouse.readers.rows import _Row, _table_from_rows

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
