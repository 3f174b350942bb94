"""The linkage API: prepare, train, link (see docs/matching.md).

`prepare_registry`, `prepare_source`, `train` and `link` are the Vietnamese
registry and sources; `train_profile`, `train_dedupe`, `score_pairs` and
`link_profile` do the same for any `matching.profiles.Profile`.

A record's result depends only on the record, the left frame and the model:
blocking caps are counted on the left frame, comparisons are pairwise, the
decision looks at the record's own candidates. So linking a subset of the
records gives exactly the full run's rows for them (locality reruns).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from matching import vietnamese
from matching.blocking import LEFT_ROW, RIGHT_ROW, candidate_pairs
from matching.decisions import MATCHES_SCHEMA, decide, rank_candidates, vetoed
from matching.explain import explain
from matching.model import ComparisonParameters, LinkModel, SourceParameters
from matching.profiles import Profile, profile_named, vietnamese_profile
from matching.scoring import compare_pairs, score_levels
from matching.training import (
    estimate_m,
    random_generator,
    sample_levels,
    term_frequencies,
    u_from_sample,
)

U_PAIRS = 1_000_000
"""Random pairs drawn per source to estimate u (the `u_pairs` default): u of a level seen
once in a million pairs is still estimated, and it takes about 2 s per source."""

EM_RECORDS = 100_000
"""At most this many records of a source (drawn at random) are blocked and compared for EM:
enough for every level that matters, and training time stays flat at national scale."""


@dataclass(frozen=True)
class Links:
    """The result of linking one source: decisions, their explanations, blocking figures."""

    matches: pl.DataFrame
    explanations: pl.DataFrame
    blocking: pl.DataFrame


def prepare_registry(registry: pl.DataFrame) -> pl.DataFrame:
    """Registry (contract text columns) → prepared frame, one row per person_id."""
    return vietnamese.prepare_registry(registry)


def prepare_source(kind: str, records: pl.DataFrame) -> pl.DataFrame:
    """A source extract (contract text columns) → prepared frame, one row per record_id."""
    return vietnamese.prepare_source(kind, records)


def train(registry: pl.DataFrame, sources: Mapping[str, pl.DataFrame], *,
          seed: int = 0, u_pairs: int = U_PAIRS) -> LinkModel:
    """Estimate the Vietnamese model from prepared frames (no labels); deterministic."""
    return train_profile(vietnamese_profile(), registry, sources, seed=seed, u_pairs=u_pairs)


def link(model: LinkModel, registry: pl.DataFrame, records: pl.DataFrame, *,
         source: str) -> Links:
    """Link prepared records of one source to the prepared registry."""
    return link_profile(model, registry, records, source=source)


def _with_context(profile: Profile, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    return right if profile.add_left_context is None else profile.add_left_context(left, right)


def _train_source(profile: Profile, left: pl.DataFrame, right: pl.DataFrame | None,
                  source: str, seed: int, u_pairs: int) -> SourceParameters:
    """Parameters of one source: u from random pairs, m and prior from EM on a sample."""
    dedupe = right is None
    other = left if right is None else right
    sample = sample_levels(profile.comparisons, left, other, pairs=u_pairs,
                           rng=random_generator(seed, f"u:{source}"), dedupe=dedupe)
    if right is not None and right.height > EM_RECORDS:
        rows = random_generator(seed, f"em:{source}").choice(right.height, EM_RECORDS,
                                                              replace=False)
        right = right[sorted(rows.tolist())]
    pairs, _ = candidate_pairs(left, right, profile.blocking)
    levels = compare_pairs(profile.comparisons, left, left if right is None else right, pairs)
    em = estimate_m(levels, profile.comparisons, sample)
    possible = (left.height * (left.height - 1) / 2 if right is None
                else left.height * right.height)
    share = min(max(em.match_share * pairs.height / max(possible, 1), 1e-300), 0.5)
    u = {c.name: u_from_sample(sample[c.name], em.m[c.name], share) for c in profile.comparisons}
    return SourceParameters(
        source=source,
        prior_weight=math.log2(share / (1 - share)),
        comparisons=tuple(
            ComparisonParameters(c.name, c.levels, tuple(float(x) for x in em.m[c.name]),
                                 tuple(float(x) for x in u[c.name]))
            for c in profile.comparisons
        ),
        candidate_pairs=pairs.height,
        u_pairs=u_pairs,
        em_iterations=em.iterations,
        em_converged=em.converged,
    )


def train_profile(profile: Profile, left: pl.DataFrame, sources: Mapping[str, pl.DataFrame],
                  *, seed: int = 0, u_pairs: int = U_PAIRS) -> LinkModel:
    """Train a model linking each prepared right frame of `sources` to the prepared `left`."""
    parameters = tuple(
        _train_source(profile, left, _with_context(profile, left, sources[name]), name, seed,
                      u_pairs)
        for name in sorted(sources)
    )
    return LinkModel(profile.name, False, seed, left.height, parameters,
                     term_frequencies(left, profile.comparisons), profile.thresholds)


def train_dedupe(profile: Profile, frame: pl.DataFrame, *, seed: int = 0,
                 u_pairs: int = U_PAIRS) -> LinkModel:
    """Train a model finding pairs of records of one prepared frame that are the same entity."""
    parameters = (_train_source(profile, frame, None, "dedupe", seed, u_pairs),)
    return LinkModel(profile.name, True, seed, frame.height, parameters,
                     term_frequencies(frame, profile.comparisons), profile.thresholds)


def _scored_pairs(model: LinkModel, left: pl.DataFrame, right: pl.DataFrame | None,
                  source: str) -> tuple[Profile, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The profile, the right frame used, every scored candidate pair, blocking statistics."""
    profile = profile_named(model.profile)
    other = left if right is None else _with_context(profile, left, right)
    pairs, statistics = candidate_pairs(left, right if right is None else other,
                                        profile.blocking)
    levels = compare_pairs(profile.comparisons, left, other, pairs)
    scored = score_levels(levels, profile.comparisons, model.source(source),
                          model.term_frequencies, model.thresholds.tf_minimum)
    return profile, other, scored, statistics


def score_pairs(model: LinkModel, left: pl.DataFrame, right: pl.DataFrame | None = None, *,
                source: str) -> pl.DataFrame:
    """Every candidate pair: `left_id, right_id, weight` (bits, prior included), `probability`.

    `right=None` deduplicates `left` (each pair once, left row before right row).
    """
    profile, other, scored, _ = _scored_pairs(model, left, right, source)
    left_ids = left.get_column(profile.left_key).cast(pl.String)
    right_ids = other.get_column(profile.right_key).cast(pl.String)
    return scored.select(
        left_ids.gather(scored.get_column(LEFT_ROW)).alias("left_id"),
        right_ids.gather(scored.get_column(RIGHT_ROW)).alias("right_id"),
        "weight", "probability",
    )


def link_profile(model: LinkModel, left: pl.DataFrame, right: pl.DataFrame, *,
                 source: str) -> Links:
    """Link each record of `right` to at most one row of `left` (see `matching.decisions`)."""
    profile, other, scored, statistics = _scored_pairs(model, left, right, source)
    left_ids = left.get_column(profile.left_key).cast(pl.String)
    right_ids = other.get_column(profile.right_key).cast(pl.String)
    scored = scored.with_columns(
        left_ids.gather(scored.get_column(LEFT_ROW)).alias("person_id"),
        right_ids.gather(scored.get_column(RIGHT_ROW)).alias("record_id"),
        vetoed(profile.comparisons, profile.vetoes).alias("vetoed"),
    )
    ranked = rank_candidates(scored)
    matches = decide(right_ids, ranked, model.thresholds, source)
    chosen = ranked.filter(pl.col("rank") == 1).join(
        matches.filter(pl.col("decision") != "none").select("record_id"), on="record_id")
    explanations = explain(chosen, profile.comparisons, model.source(source).prior_weight,
                           source)
    assert list(matches.columns) == list(MATCHES_SCHEMA)
    return Links(matches, explanations, statistics)
