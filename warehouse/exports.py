"""Writing exports (contract §3): CSV or Parquet, owner-only, safe to open in a spreadsheet."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by spreadsheets (CSV injection)."""


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would evaluate with an apostrophe."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    starts = "".join(_FORMULA_STARTS).replace("-", r"\-")
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(f"^[{starts}]"))
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
