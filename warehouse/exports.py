"""Writing exports (contract §3): CSV or Parquet, owner-only, safe to open in a spreadsheet."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import polars as pl

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


def write_export(frame: pl.DataFrame, out: Path) -> Path:
    """Write CSV, or Parquet when the name ends in .parquet; atomically and owner-only."""
    if Path(out).suffix.lower() == ".parquet":
        return _write_atomically(out, frame.write_parquet)
    safe = neutralise_formulas(frame)
    return _write_atomically(out, lambda path: safe.write_csv(path, float_precision=6))


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
