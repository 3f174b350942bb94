"""Writing exports (contract §3): CSV, Parquet or an Excel workbook, owner-only, safe to open
in a spreadsheet."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import polars as pl

from popdq.errors import PopdqError

_FORMULA_START = r"^(?:[\t\r\n]|\s*[=+\-@＝＋－＠])"
"""A spreadsheet runs a cell as a formula (CSV injection) when it starts with =, +, - or @,
also after leading whitespace (` =1+1`) or in their full-width forms (＝＋－＠, which some
spreadsheets fold to the ASCII signs), or with a tab, CR or LF (OWASP's list)."""


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would evaluate with an apostrophe, which makes
    the spreadsheet show the cell as text."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
"""Control characters a workbook cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE)."""
XLSX_ROWS = 1_048_575
"""The rows an Excel sheet holds below its header."""


def write_export(frame: pl.DataFrame, out: Path) -> Path:
    """Write CSV, Parquet when the name ends in .parquet, or an Excel workbook when it ends in
    .xlsx; atomically and owner-only."""
    suffix = Path(out).suffix.lower()
    if suffix == ".parquet":
        return _write_atomically(out, frame.write_parquet)
    if suffix == ".xlsx":
        if frame.height > XLSX_ROWS:
            raise PopdqError(f"{Path(out).name}: {frame.height:,} rows do not fit an Excel sheet"
                             f" ({XLSX_ROWS:,} at most): write .csv or .parquet, or narrow the"
                             " export with --source or --locality")
        return _write_atomically(out, lambda path: _write_xlsx(frame, path))
    safe = neutralise_formulas(frame)
    return _write_atomically(out, lambda path: safe.write_csv(path, float_precision=6))


def _write_xlsx(frame: pl.DataFrame, path: str) -> None:
    """One sheet, its header frozen and filtered. A text cell is text: one that a spreadsheet
    would run as a formula is marked as quoted text (shown as written, never evaluated), and
    characters a workbook cannot hold (control characters) become U+FFFD."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("popdq")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(frame.width, 1))}{frame.height + 1}"
    formula = frame.select(pl.col(pl.String).str.contains(_FORMULA_START).fill_null(False))
    clean = frame.with_columns(pl.col(pl.String).str.replace_all(_ILLEGAL, "\ufffd"))

    def quoted(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        cell.quotePrefix = True
        return cell

    text = [name in formula.columns for name in frame.columns]
    sheet.append(frame.columns)
    for row, flags in zip(clean.iter_rows(), formula.iter_rows(), strict=True):
        marks = iter(flags)
        sheet.append([quoted(value) if is_text and next(marks) else value
                      for value, is_text in zip(row, text, strict=True)])
    book.save(path)


def stream_export(frame: pl.DataFrame, sink: BinaryIO) -> None:
    """The CSV export written to a stream (`--out -`), formulas neutralised as in a file."""
    neutralise_formulas(frame).write_csv(sink, float_precision=6)
    sink.flush()


def write_text(text: str, out: Path) -> Path:
    """A report or other text file, atomically and owner-only."""
    return _write_atomically(out, lambda path: Path(path).write_text(text, encoding="utf-8"))


def _write_atomically(out: Path, write: Callable[[str], object]) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)  # mkstemp creates the file 0600: the output inherits that mode
    try:
        write(temporary)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out
