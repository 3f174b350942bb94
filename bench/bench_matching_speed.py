"""Benchmark the matching step: prepare, train and link all three sources of a synthetic world.

    .venv/bin/python bench/bench_matching_speed.py [--persons 100000] [--seed 1] [--model-seed 0]

The world is generated (and written as Parquet to a temporary folder) by a
child process, so the peak RSS printed is the matching step's own (plus the
raw frames it reads). Prints wall time per phase, peak RSS (`ru_maxrss`),
candidate pairs, and accuracy against truth.csv: precision and recall of the
`match` decisions (a record's truth is its person_id, or nobody), F1, and the
share of records sent to review. Targets (issue 4): at 100k persons
precision ≥ 0.998, F1 ≥ 0.995, review ≤ 1 %; at 1M persons the whole step
≤ 90 s and ≤ 8 GB on 2 cores.
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import cast

import polars as pl

from matching.evidence import shared_numbers, with_shared_persons
from matching.linker import link, prepare_registry, prepare_source, train
from popdq.contract import SOURCE_KINDS


def write_world(persons: int, seed: int, folder: str) -> None:
    """Generate the world and write each frame as Parquet (runs in a child process)."""
    import synth

    world = synth.generate_world(persons, seed)
    for name in ("registry", *SOURCE_KINDS, "truth"):
        getattr(world, name).write_parquet(Path(folder) / f"{name}.parquet")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic world")
    parser.add_argument("--model-seed", type=int, default=0, help="seed of train()")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="popdq-bench-") as folder:
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=write_world, args=(args.persons, args.seed, folder))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("generating the world failed")
        print(f"world: {args.persons:,} persons, seed {args.seed} "
              f"({time.perf_counter() - started:.1f} s, not counted)")
        raw = {name: pl.read_parquet(Path(folder) / f"{name}.parquet")
               for name in ("registry", *SOURCE_KINDS, "truth")}

    phases: list[tuple[str, float]] = []

    def timed(name: str, start: float) -> float:
        now = time.perf_counter()
        phases.append((name, now - start))
        return now

    t = step_start = time.perf_counter()
    registry = prepare_registry(raw["registry"])
    t = timed("prepare registry", t)
    sources = {}
    for kind in SOURCE_KINDS:
        sources[kind] = prepare_source(kind, raw[kind])
        t = timed(f"prepare {kind}", t)
    numbers = shared_numbers(registry, sources.values())
    sources = {kind: with_shared_persons(frame, numbers) for kind, frame in sources.items()}
    t = timed("evidence across sources", t)
    model = train(registry, sources, seed=args.model_seed)
    t = timed("train", t)
    links = {}
    for kind in SOURCE_KINDS:
        links[kind] = link(model, registry, sources[kind], source=kind)
        t = timed(f"link {kind}", t)
    total = t - step_start

    print(f"{'phase':<28}{'seconds':>10}")
    for name, seconds in phases:
        print(f"{name:<28}{seconds:>10.1f}")
    print(f"{'matching step':<28}{total:>10.1f}")
    print(f"peak RSS: {peak_rss_gb():.2f} GB")

    records = sum(frame.height for frame in sources.values())
    pairs = sum(links[kind].blocking.filter(pl.col("rule") == "all").item(0, "pairs")
                for kind in SOURCE_KINDS)
    print(f"records: {records:,}  candidate pairs: {pairs:,} ({pairs / records:.2f} per record)")

    truth = raw["truth"].select(
        "source", "record_id",
        pl.when(pl.col("person_id") != "").then(pl.col("person_id")).alias("true_person"))
    matches = pl.concat(links[kind].matches for kind in SOURCE_KINDS).join(
        truth, on=["source", "record_id"])
    linked = matches.filter(pl.col("decision") == "match")
    correct = linked.filter(pl.col("person_id") == pl.col("true_person")).height
    in_registry = cast(int, matches.get_column("true_person").is_not_null().sum())
    precision = correct / max(linked.height, 1)
    recall = correct / max(in_registry, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    review = (matches.get_column("decision") == "review").sum() / matches.height
    outside = matches.filter(pl.col("true_person").is_null())
    print(f"precision {precision:.5f}  recall {recall:.5f}  F1 {f1:.5f}  "
          f"review {review:.2%}  ({linked.height - correct} wrong links, "
          f"{in_registry - correct} missed of {in_registry:,})")
    print(f"not in registry: {outside.height:,} records, "
          f"{(outside.get_column('decision') == 'none').sum():,} decided none")


if __name__ == "__main__":
    main()
