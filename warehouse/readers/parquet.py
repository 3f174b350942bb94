"""Reading a Parquet file: its columns as text, identifier columns stored as numbers
given back their leading zeros (`identifiers`); a file polars cannot read, or one with
list, struct or binary columns, is refused.
"""

import re
from pathlib import Path

import polars as pl

from popdq.contract import Dataset
from popdq.errors import PopdqError
from warehouse.readers.cells import _join_raw
from warehouse.readers.extract import _Table
from warehouse.readers.identifiers import _identifier_column


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
