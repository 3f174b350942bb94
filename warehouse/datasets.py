"""Storing datasets: each load replaces one dataset atomically and is logged."""

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from popdq.contract import DATASETS, Dataset, dataset
from popdq.errors import PopdqError
from warehouse.db import failure_reason, registered, transaction
from warehouse.readers import Extract, read_extract
from warehouse.tables import DATASET_TABLES, LOAD_LOG, QUARANTINE, conform


@dataclass(frozen=True)
class LoadSummary:
    load_id: int
    dataset: str
    file_name: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantined_lines: dict[str, list[int]]
    """Quarantine rule code (`warehouse.readers.RULES`) → the line numbers it set aside,
    the most frequent rule first."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MAX_SHRINK = 0.10
"""The largest share of a dataset's rows a new version may lose without the steward
saying so (`allow_shrink`): more usually means a truncated or wrong file."""


def refuse_shrinking(con: duckdb.DuckDBPyConnection, dataset: Dataset, extract: Extract,
                     max_shrink: float = MAX_SHRINK) -> None:
    """A file that would empty a dataset, or cut it by more than max_shrink, is refused."""
    current = con.execute(f"SELECT count(*) FROM {dataset.table}").fetchall()[0][0]
    new = extract.rows.height
    if new and new >= current * (1 - max_shrink):
        return
    loaded = f"the loaded version has {current:,} rows" if current else "none is loaded yet"
    if new:
        what = (f"{dataset.kind} would shrink by {1 - new / current:.1%} "
                f"(more than {max_shrink:.0%})")
        this = f"this file has {new:,}"
    else:
        read = extract.rows_read
        what = f"{dataset.kind} would be left empty"
        this = ("this file has no loadable rows "
                + (f"({read:,} read, all quarantined)" if read else "(a header only)"))
    raise PopdqError(f"{extract.file_name}: {what}: {loaded}, {this}; nothing changed "
                     "(pass --allow-shrink to load it anyway)")


def replace_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    extract: Extract,
    *,
    sha256: str,
    loaded_by: str,
    loaded_at: dt.datetime | None = None,
    allow_shrink: bool = False,
) -> LoadSummary:
    """Swap in a new version of a dataset; on any failure the previous version stays.

    Unless allow_shrink, a version that is empty or much smaller than the current one is
    refused (`refuse_shrinking`): a truncated export must not silently replace the data.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    quarantined = pl.DataFrame(
        [(q.line_number, q.raw_line, q.reason, q.rule) for q in extract.quarantined],
        schema=["line_number", "raw_line", "reason", "rule"], orient="row",
    )
    try:
        with transaction(con):
            if not allow_shrink:
                refuse_shrinking(con, dataset, extract)
            load_id = con.execute(
                "SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0]
            stamp = [pl.lit(load_id).alias("load_id"), pl.lit(dataset.kind).alias("dataset"),
                     pl.lit(extract.file_name).alias("file_name")]
            rows = conform(extract.rows.with_columns(stamp[0]), DATASET_TABLES[dataset.table])
            log = pl.DataFrame([{
                "file_format": extract.file_format, "sha256": sha256,
                "rows_read": extract.rows_read, "rows_loaded": rows.height,
                "rows_quarantined": len(extract.quarantined), "loaded_at": loaded_at,
                "loaded_by": loaded_by}]).with_columns(stamp)
            con.execute(f"DELETE FROM {dataset.table}")
            with registered(con, incoming_rows=rows,
                            incoming_quarantine=conform(quarantined.with_columns(stamp),
                                                        QUARANTINE),
                            incoming_log=conform(log, LOAD_LOG)):
                con.execute(f"INSERT INTO {dataset.table} BY NAME SELECT * FROM incoming_rows")
                con.execute("INSERT INTO quarantine BY NAME SELECT * FROM incoming_quarantine")
                con.execute("INSERT INTO load_log BY NAME SELECT * FROM incoming_log")
    except duckdb.Error as exc:
        raise PopdqError(
            f"{extract.file_name}: load into {dataset.kind} failed, previous version kept: "
            f"{failure_reason(exc)}"
        ) from exc
    lines = (quarantined.group_by("rule").agg(pl.col("line_number").sort())
             .sort(pl.col("line_number").list.len(), "rule", descending=[True, False]))
    return LoadSummary(
        load_id, dataset.kind, extract.file_name, sha256,
        extract.rows_read, rows.height, len(extract.quarantined),
        dict(lines.iter_rows()),
    )


def dataset_versions(con: duckdb.DuckDBPyConnection) -> dict[str, int | None]:
    """The load_id of the current version of every dataset (None where never loaded)."""
    latest = dict(
        con.execute("SELECT dataset, max(load_id) FROM load_log GROUP BY dataset").fetchall()
    )
    return {kind: latest.get(kind) for kind in DATASETS}


def read_dataset(con: duckdb.DuckDBPyConnection, kind: str, *,
                 keys: pl.Series | None = None, columns: Sequence[str] | None = None
                 ) -> pl.DataFrame:
    """The current version of a dataset as a polars frame, in line order: every row, or the
    rows of `keys` (read by a join inside DuckDB, so a few rows of a large dataset cost a
    few rows); every stored column, or the contract `columns` named."""
    ds = dataset(kind)
    wanted = _columns(ds, columns)
    if keys is None:
        return con.sql(f"SELECT {wanted} FROM {ds.table} ORDER BY line_number").pl()
    with registered(con, wanted_keys=pl.DataFrame({"key": keys.cast(pl.String)})):
        return con.sql(f"SELECT {wanted} FROM {ds.table} WHERE {ds.key} IN"
                       " (SELECT key FROM wanted_keys) ORDER BY line_number").pl()


def read_slices(con: duckdb.DuckDBPyConnection, kind: str, rows: int, *,
                at_least_one: bool = False) -> Iterator[pl.DataFrame]:
    """The contract columns of a dataset's current version, `rows` at a time in line order:
    a large dataset is worked through without holding all of it. `at_least_one`: an empty
    dataset is one empty slice (with its columns), not none."""
    ds = dataset(kind)
    after = 0
    while True:
        part = con.sql(f"SELECT {_columns(ds, ds.columns)}, line_number FROM {ds.table}"
                       " WHERE line_number > ? ORDER BY line_number LIMIT ?",
                       params=[after, rows]).pl()
        if part.is_empty():
            if at_least_one and not after:
                yield part.drop("line_number")
            return
        after = int(part.get_column("line_number").max())
        yield part.drop("line_number")


def read_partition(con: duckdb.DuckDBPyConnection, kind: str, part: int, parts: int
                   ) -> pl.DataFrame:
    """One of `parts` partitions of a dataset's current version by the hash of its key (rows
    with one key fall in one partition), contract columns in line order."""
    ds = dataset(kind)
    return con.sql(f"SELECT {_columns(ds, ds.columns)} FROM {ds.table}"
                   f" WHERE hash({ds.key}) % ? = ? ORDER BY line_number",
                   params=[parts, part]).pl()


def _columns(ds: Dataset, columns: Sequence[str] | None) -> str:
    """A select list of contract columns (checked against the contract), or `*`."""
    if columns is None:
        return "*"
    unknown = [c for c in columns if c not in ds.columns]
    if unknown:
        raise ValueError(f"{ds.kind} has no column {unknown[0]!r}")
    return ", ".join(columns)


def load_file(
    con: duckdb.DuckDBPyConnection, kind: str, path: Path, *, loaded_by: str,
    allow_shrink: bool = False, encoding: str | None = None,
) -> LoadSummary:
    """Read a file against the contract and make it the current version of its dataset;
    `encoding` names the legacy encoding of a CSV file that is not UTF-8."""
    ds = dataset(kind)
    extract = read_extract(path, ds, encoding)
    return replace_dataset(con, ds, extract, sha256=file_sha256(path), loaded_by=loaded_by,
                           allow_shrink=allow_shrink)


def read_record(con: duckdb.DuckDBPyConnection, kind: str, key: str) -> dict[str, str | None]:
    """One row of a dataset's current version by its key, contract columns only ({} if none)."""
    ds = dataset(kind)
    columns = ", ".join(ds.columns)
    cursor = con.execute(f"SELECT {columns} FROM {ds.table} WHERE {ds.key} = ?", [key])
    rows = cursor.fetchall()
    return dict(zip(ds.columns, rows[0], strict=True)) if rows else {}


def existing_keys(con: duckdb.DuckDBPyConnection, kind: str, among: pl.Series) -> pl.Series:
    """Which of these keys are rows of the dataset's current version (reads the keys only)."""
    ds = dataset(kind)
    with registered(con, wanted=pl.DataFrame({"key": among.cast(pl.String)})):
        return con.sql(f"SELECT key FROM wanted WHERE key IN (SELECT {ds.key} FROM {ds.table})"
                       " ORDER BY key").pl().get_column("key")
