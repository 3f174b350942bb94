"""The partition tasks (flows.partitioned), called as plain functions (`task.fn`), as a
worker runs them: paths in, Parquet files of the run's spool out."""

import datetime as dt
import errno
import stat
from pathlib import Path

import polars as pl
import pytest
from prefect.states import Failed

import synth
from flows import partitioned
from flows.nightly import workers_peak_rss
from matching.changes import row_hashes
from matching.discrepancies import find_discrepancies
from matching.linker import link, prepare_registry, prepare_source, train
from matching.partitions import by_province
from matching.reviews import GUIDANCE_STAMP
from popdq.contract import DATASETS
from popdq.errors import PopdqError
from warehouse.cache import keys_path, spool_file, write_frame

RUN = 3


@pytest.fixture(scope="module")
def world() -> synth.World:
    return synth.generate_world(1200, 4)


def test_prepare_partition_normalises_its_slice_and_hashes_its_rows(
    world: synth.World, tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    rows = world.tax.head(300)
    write_frame(rows, spool_file(warehouse, RUN, "prepare", "tax", 1, "rows"))
    done = partitioned.prepare_partition.fn(partitioned.PrepareJob(warehouse, RUN, "tax", 1))
    kept = pl.read_parquet(spool_file(warehouse, RUN, "prepare", "tax", 1))
    assert done.rows == rows.height > 0
    assert kept.equals(prepare_source("tax", rows).with_columns(
        row_hashes(rows, DATASETS["tax"].columns)))


def test_link_partitions_read_the_kept_registry_and_give_what_one_call_gives(
    world: synth.World, tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    registry = prepare_registry(world.registry)
    records = prepare_source("tax", world.tax).with_columns(
        row_hashes(world.tax, DATASETS["tax"].columns))
    model = train(registry, {"tax": records}, seed=1, u_pairs=50_000)
    kept = write_frame(registry, tmp_path / "registry.parquet")
    partitioned.spool_model(warehouse, RUN, model.to_json())
    groups = by_province(records, 3)
    for number, ids in enumerate(groups):
        write_frame(records.filter(pl.col("record_id").is_in(ids.implode())),
                    spool_file(warehouse, RUN, "link", "tax", number, "records"))
    done = [partitioned.link_partition.fn(partitioned.LinkJob(warehouse, RUN, "tax", n, kept))
            for n in range(len(groups))]
    partitioned.forget_linking()

    whole = link(model, registry, records, source="tax")
    records = records.with_columns(pl.lit(None, dtype=dtype).alias(column)  # nothing guided
                                   for column, dtype in GUIDANCE_STAMP.items())
    matches = pl.concat([pl.read_parquet(spool_file(warehouse, RUN, "link", "tax", n,
                                                    "matches")) for n in range(len(groups))])
    assert matches.sort("record_id").equals(  # stamped with what a stored link keeps
        whole.matches.join(records.select(partitioned.STAMP), on="record_id", how="left"))
    assert sum(d.rows for d in done) == records.height
    explanations = pl.read_parquet([spool_file(warehouse, RUN, "explanations", "tax", n)
                                    for n in range(len(groups))])
    assert explanations.height == whole.explanations.height
    keys = keys_path(kept, model.profile)  # the registry's blocking keys, kept beside it
    for path in [partitioned.model_path(warehouse, RUN), keys,
                 spool_file(warehouse, RUN, "link", "tax", 0, "matches")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: owner-only

    before = keys.stat().st_mtime_ns  # a later run reads them rather than compute them
    for n in range(len(groups)):
        partitioned.link_partition.fn(partitioned.LinkJob(warehouse, RUN, "tax", n, kept))
    partitioned.forget_linking()
    again = pl.concat([pl.read_parquet(spool_file(warehouse, RUN, "link", "tax", n, "matches"))
                       for n in range(len(groups))])
    assert again.equals(matches) and keys.stat().st_mtime_ns == before


def test_find_partition_finds_from_the_inputs_the_client_spooled(
    world: synth.World, tmp_path: Path,
) -> None:
    warehouse, as_of = tmp_path / "w.duckdb", dt.date(2026, 7, 1)
    registry = prepare_registry(world.registry)
    records = prepare_source("tax", world.tax)
    model = train(registry, {"tax": records}, seed=1, u_pairs=50_000)
    inputs = {"rows": world.tax, "records": records, "registry_rows": world.registry,
              "registry": registry, "matches": link(model, registry, records, source="tax").matches,
              "failures": pl.DataFrame(schema={"record_key": pl.String, "kind": pl.String,
                                               "field": pl.String, "expectation": pl.String,
                                               "reason": pl.String})}
    assert set(inputs) == set(partitioned.FIND_INPUTS)
    for name, frame in inputs.items():
        write_frame(frame, spool_file(warehouse, RUN, "find", "tax", 0, name))
    done = partitioned.find_partition.fn(partitioned.FindJob(warehouse, RUN, "tax", 0, as_of))
    found = pl.read_parquet(spool_file(warehouse, RUN, "find", "tax", 0))
    assert found.equals(find_discrepancies("tax", as_of=as_of, **inputs))
    assert done.rows == found.height > 0


@pytest.mark.parametrize(("error", "retried"), [
    (OSError(errno.EIO, "Input/output error"), True),
    (OSError(errno.ENOSPC, "No space left on device"), False),
    (PopdqError("bad input"), False),
    (ValueError("a bug"), False),
])
def test_only_transient_io_errors_are_retried(error: Exception, retried: bool) -> None:
    assert partitioned._transient(None, None, Failed(data=error)) is retried


def test_workers_peak_rss_keeps_each_processs_highest() -> None:
    done = [partitioned.Done(5, "a:1", 300), partitioned.Done(5, "b:2", 200),
            partitioned.Done(5, "a:1", 250)]
    assert workers_peak_rss(done) == {"a:1": 300, "b:2": 200}
