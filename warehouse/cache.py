"""Work done once per dataset version, kept beside the warehouse.

A prepared dataset (normalised names, dates, blocking keys) depends only on
the dataset's content and on the code that prepares it, so it is kept as a
Parquet file named by both: the file's sha256 and `code_version()`. A reload
of an identical file, or a rerun, finds it; a new file or a new popdq does
not, and prepares again. The files sit in `<warehouse>.work/` with the
warehouse's own permissions (owner-only), where workers of a cluster can read
them too.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import polars as pl

from matching.blocking import LEFT_ROW, LeftKeys
from popdq.errors import PopdqError
from warehouse.db import disk_full, is_disk_full, owner_only_files

_CODE = ("matching", "popdq")
"""Packages whose code or data decide what a prepared frame or a validation holds."""


def work_dir(warehouse: Path) -> Path:
    """`<warehouse>.work/`, created owner-only."""
    folder = Path(warehouse).with_name(Path(warehouse).name + ".work")
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@cache
def code_version() -> str:
    """A fingerprint of the preparing code and its data (and of polars, whose hashes the
    blocking keys are): a prepared file of another version is never read."""
    digest = hashlib.sha256(pl.__version__.encode())
    for package in _CODE:
        for path, data in sorted(_files(resources.files(package), package)):
            digest.update(path.encode())
            digest.update(data)
    return digest.hexdigest()[:16]


def _files(folder: Traversable, prefix: str) -> list[tuple[str, bytes]]:
    found = []
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                found += _files(entry, name)
        elif entry.name.endswith((".py", ".csv", ".toml")):
            found.append((name, entry.read_bytes()))
    return found


def prepared_path(warehouse: Path, dataset: str, sha256: str) -> Path:
    """Where the prepared frame of one dataset version is kept."""
    return work_dir(warehouse) / f"{dataset}-{sha256[:32]}-{code_version()}.parquet"


def read_prepared(warehouse: Path, dataset: str, sha256: str, where: pl.Expr | None = None,
                  columns: Sequence[str] | None = None) -> pl.DataFrame | None:
    """The kept prepared frame (only the rows `where` selects, only `columns`), or None if
    there is none."""
    path = prepared_path(warehouse, dataset, sha256)
    if not path.is_file():
        return None
    scan = pl.scan_parquet(path)
    scan = scan if where is None else scan.filter(where)
    return (scan if columns is None else scan.select(columns)).collect()


def keys_path(prepared: Path, profile: str) -> Path:
    """Where the blocking keys of a kept prepared registry are kept, under one profile's
    rules: beside it, named after it (`prune_prepared` keeps or removes both)."""
    return prepared.with_name(f"{prepared.stem}.{profile}-keys.parquet")


_RULE, _SKIPPED = "rule", "popdq.skipped"


def keep_registry_keys(path: Path, index: dict[str, LeftKeys]) -> Path:
    """Keep a registry's blocking keys (`matching.blocking.index_left`): one file, a row per
    (rule, left_row, key), each rule's skipped count in the file's metadata."""
    frame = pl.concat([pl.DataFrame(schema={_RULE: pl.String, LEFT_ROW: pl.UInt32}), *(
        found.keys.select(pl.lit(rule).alias(_RULE), pl.all())
        for rule, found in index.items())], how="diagonal")
    skipped = json.dumps({rule: found.skipped for rule, found in index.items()})
    return _write(path, lambda partial: frame.write_parquet(
        partial, metadata={_SKIPPED: skipped}))


def read_registry_keys(path: Path) -> dict[str, LeftKeys] | None:
    """The blocking keys `keep_registry_keys` kept, as they were; None if none are kept."""
    if not path.is_file():
        return None
    skipped: dict[str, int] = json.loads(pl.read_parquet_metadata(path)[_SKIPPED])
    frame = pl.read_parquet(path)
    return {rule: LeftKeys(frame.filter(pl.col(_RULE) == rule).drop(_RULE), count)
            for rule, count in skipped.items()}


def write_frame(frame: pl.DataFrame, path: Path) -> Path:
    """Write a Parquet file, owner-only, under a temporary name first (never half a file); a
    write that fails leaves nothing behind, and a full disk is said in one line."""
    return _write(path, frame.write_parquet)


def write_text(text: str, path: Path) -> Path:
    """Write a text file (UTF-8) as `write_frame` writes a Parquet one."""
    return _write(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def _write(path: Path, write: Callable[[Path], object]) -> Path:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with owner_only_files:
            write(partial)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise PopdqError(disk_full(path.parent)) from exc
        raise
    os.replace(partial, path)
    return path


def spool_dir(warehouse: Path, run_id: int) -> Path:
    """`<warehouse>.work/run-<id>/`: a run's results that wait for its publish step on disk
    rather than in memory."""
    folder = work_dir(warehouse) / f"run-{run_id:05d}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def spool_file(warehouse: Path, run_id: int, *name: str | int) -> Path:
    """A Parquet file of the run's spool, named by its parts (numbers zero-padded), e.g.
    spool_file(w, 7, "link", "tax", 3, "matches")."""
    parts = [f"{part:05d}" if isinstance(part, int) else part for part in name]
    return spool_dir(warehouse, run_id) / ("-".join(parts) + ".parquet")


def keep_prepared_parts(warehouse: Path, dataset: str, sha256: str, parts: list[Path]) -> Path:
    """Keep a prepared dataset made of the Parquet files of its slices, in their order,
    streamed: the whole frame is never in memory. Keys kept of a previous file of that
    name go: they are computed again from this one."""
    path = _write(prepared_path(warehouse, dataset, sha256),
                  lambda partial: pl.scan_parquet(parts).sink_parquet(partial))
    for keys in path.parent.glob(f"{path.stem}.*-keys.parquet"):
        keys.unlink(missing_ok=True)
    return path


def prune_prepared(warehouse: Path, keep: set[tuple[str, str]]) -> list[Path]:
    """Remove the kept files no run can read again: those of another popdq version, of a
    dataset version not in `keep` (dataset, sha256), the partial files of a process that is
    gone, and what runs spooled (call it when no run is under way). Returns what it
    removed."""
    kept = {prepared_path(warehouse, dataset, sha256).stem for dataset, sha256 in keep}
    removed = []
    for path in sorted(work_dir(warehouse).iterdir()):
        if path.is_dir() and path.name.startswith("run-"):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
            continue
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            pid = path.name.rsplit(".", 2)[-2]
            stale = not (pid.isdigit() and _alive(int(pid)))
        elif path.suffix == ".parquet":  # a prepared file, or its keys (`keys_path`)
            stale = path.name.split(".", 1)[0] not in kept  # another version's or popdq's
        else:
            continue
        if stale:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
