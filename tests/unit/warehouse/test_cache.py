"""Work kept per dataset version (warehouse.cache): found again, and pruned when no run can
read it any more."""

import os
from pathlib import Path

import polars as pl

from matching.blocking import BlockingRule, index_left
from matching.profiles import vietnamese_profile
from warehouse.cache import (
    keep_prepared_parts,
    keep_registry_keys,
    keys_path,
    prepared_path,
    prune_prepared,
    read_prepared,
    read_registry_keys,
    spool_dir,
    spool_file,
    work_dir,
    write_frame,
)

OLD, NEW = "a" * 64, "b" * 64


def test_a_kept_frame_is_read_back_whole_or_filtered(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    frame = pl.DataFrame({"record_id": ["1", "2", "3"], "province": ["01", "79", "01"]})
    write_frame(frame, prepared_path(db, "tax", NEW))
    assert (prepared_path(db, "tax", NEW).stat().st_mode & 0o777) == 0o600
    assert read_prepared(db, "tax", NEW) is not None
    assert read_prepared(db, "tax", NEW, pl.col("province") == "01").height == 2  # type: ignore[union-attr]
    assert read_prepared(db, "tax", OLD) is None


def test_a_prepared_dataset_is_kept_from_its_slices_in_their_order(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    slices = [write_frame(pl.DataFrame({"record_id": [f"{n}{i}" for i in range(3)]}),
                          spool_file(db, 7, "prepare", "tax", n)) for n in (0, 1, 2)]
    assert slices[1] == spool_dir(db, 7) / "prepare-tax-00001.parquet"
    keep_prepared_parts(db, "tax", NEW, slices)
    kept = read_prepared(db, "tax", NEW)
    assert kept is not None
    assert kept.get_column("record_id").to_list() == [f"{n}{i}" for n in range(3) for i in range(3)]
    assert (prepared_path(db, "tax", NEW).stat().st_mode & 0o777) == 0o600


def test_pruning_keeps_what_a_run_can_still_read(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    frame = pl.DataFrame({"x": [1]})
    for dataset, sha in (("tax", OLD), ("tax", NEW), ("registry", OLD), ("registry", NEW)):
        write_frame(frame, prepared_path(db, dataset, sha))
    other_code = work_dir(db) / f"tax-{NEW[:32]}-0123456789abcdef.parquet"
    other_code.write_bytes(b"")
    dead = work_dir(db) / f".tax-{NEW[:32]}-x.parquet.{2**22 + 1}.tmp"  # above pid_max
    live = work_dir(db) / f".tax-{NEW[:32]}-x.parquet.{os.getpid()}.tmp"
    for partial in (dead, live):
        partial.write_bytes(b"")
    kept_keys, old_keys = (keys_path(prepared_path(db, "registry", sha), "vietnamese")
                           for sha in (NEW, OLD))
    for keys in (kept_keys, old_keys):
        keep_registry_keys(keys, {})
    removed = prune_prepared(db, {("tax", NEW), ("registry", NEW)})
    assert sorted(removed) == sorted([prepared_path(db, "tax", OLD),
                                      prepared_path(db, "registry", OLD), old_keys, other_code,
                                      dead])
    assert prepared_path(db, "registry", NEW).is_file() and kept_keys.is_file()
    assert live.is_file()


def test_a_registrys_blocking_keys_are_kept_and_read_back_as_they_were(tmp_path: Path) -> None:
    registry = pl.DataFrame({
        "name_key": ["an", "an", "binh", "", None],
        "dob_year": [1990, 1990, 1985, 1970, 1970],
    }).with_columns(pl.concat_str("name_key", "dob_year").hash().alias("block_name_year"))
    crowded = BlockingRule("crowded", ("block_name_year",), max_block=1)  # "an 1990" skipped
    index = index_left(registry, [*vietnamese_profile().blocking, crowded])
    assert index["crowded"].skipped == 1
    keys = keys_path(prepared_path(tmp_path / "w.duckdb", "registry", NEW), "vietnamese")
    assert read_registry_keys(keys) is None
    keep_registry_keys(keys, index)
    assert (keys.stat().st_mode & 0o777) == 0o600
    again = read_registry_keys(keys)
    assert again is not None and list(again) == list(index)
    for rule, found in index.items():
        assert again[rule].skipped == found.skipped
        assert again[rule].keys.equals(found.keys)


def test_keeping_a_prepared_registry_again_drops_the_keys_of_the_file_it_replaces(
        tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    part = write_frame(pl.DataFrame({"person_id": ["1"]}), spool_file(db, 1, "prepare",
                                                                      "registry", 0))
    keys = keep_registry_keys(keys_path(prepared_path(db, "registry", NEW), "vietnamese"), {})
    keep_prepared_parts(db, "registry", NEW, [part])
    assert not keys.exists()
