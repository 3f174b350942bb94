"""popdq's own linkage engine (`matching/`) on the benchmark tasks, through its documented API.

See docs/matching.md. The Vietnamese world uses prepare_registry /
prepare_source / shared_numbers (evidence across sources, as the nightly flow
gathers it) / train / link; a record is linked only when its decision is
`match` (`review` is a candidate for a human, not a link). Febrl uses the
generic profile API with `febrl_profile()`: Febrl4 (two files) through
`train_profile` + `link_profile` (again decision `match` only: the engine's
best left record per right record), Febrl1–3 (deduplication) through
`train_dedupe` + `score_pairs`, a pair being a link when its probability is at
least the model's own `thresholds.match_probability`.
"""

import time
from collections.abc import Mapping

import polars as pl

from matching.evidence import shared_numbers, with_shared_persons
from matching.linker import (
    link,
    link_profile,
    prepare_registry,
    prepare_source,
    score_pairs,
    train,
    train_dedupe,
    train_profile,
)
from matching.profiles import febrl_profile

Timings = dict[str, float]


def link_world(registry: pl.DataFrame, sources: Mapping[str, pl.DataFrame]
               ) -> tuple[dict[tuple[str, str], str], dict[str, int], Timings]:
    """Link every source to the registry: (source, record_id) → person_id, the number of
    records per source sent to review, and step timings."""
    timings: Timings = {}
    start = time.perf_counter()
    prepared_registry = prepare_registry(registry)
    prepared = {kind: prepare_source(kind, frame) for kind, frame in sources.items()}
    numbers = shared_numbers(prepared_registry, prepared.values())
    prepared = {kind: with_shared_persons(frame, numbers) for kind, frame in prepared.items()}
    timings["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    model = train(prepared_registry, prepared, seed=0)
    timings["train"] = time.perf_counter() - start
    links: dict[tuple[str, str], str] = {}
    reviews: dict[str, int] = {}
    for kind, records in prepared.items():
        start = time.perf_counter()
        matches = link(model, prepared_registry, records, source=kind).matches
        timings[f"link {kind}"] = time.perf_counter() - start
        reviews[kind] = int((matches.get_column("decision") == "review").sum())
        for record_id, person_id in (matches.filter(pl.col("decision") == "match")
                                     .select("record_id", "person_id").iter_rows()):
            links[kind, record_id] = person_id
    return links, reviews, timings


def predict_pairs(frames: list[pl.DataFrame]) -> list[tuple[str, str]]:
    """Predicted links on Febrl: one frame = deduplication, two = link frames[0] ↔ frames[1].

    Frames as `pl.from_pandas(load_febrlN().reset_index())` (docs/matching.md).
    Pairs are (rec_id in frames[0], rec_id in frames[1]) for a link task.
    """
    profile = febrl_profile()
    if len(frames) == 1:
        frame = profile.prepare_left(frames[0])
        model = train_dedupe(profile, frame, seed=0)
        pairs = score_pairs(model, frame, source="dedupe")
        cut = model.thresholds.match_probability
        return [(a, b) for a, b in pairs.filter(pl.col("probability") >= cut)
                .select("left_id", "right_id").iter_rows()]
    left = profile.prepare_left(frames[0])
    right = profile.prepare_right("febrl", frames[1])
    model = train_profile(profile, left, {"febrl": right}, seed=0)
    matches = link_profile(model, left, right, source="febrl").matches
    return [(a, b) for a, b in matches.filter(pl.col("decision") == "match")
            .select("person_id", "record_id").iter_rows()]
