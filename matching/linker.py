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
from matching.blocking import LEFT_ROW, RIGHT_ROW, LeftKeys, candidate_pairs, index_left
from matching.decisions import (
    DECIDED,
    MATCHES_SCHEMA,
    REJECTED,
    decide,
    rank_candidates,
    vetoed,
)
from matching.explain import EXPLANATIONS_SCHEMA, explain
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
from popdq.errors import PopdqError

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
         source: str, index: dict[str, LeftKeys] | None = None) -> Links:
    """Link prepared records of one source to the prepared registry (`index`: the registry's
    blocking keys from `index_registry`, to share between sources)."""
    return link_profile(model, registry, records, source=source, index=index)


def index_registry(model: LinkModel, registry: pl.DataFrame) -> dict[str, LeftKeys]:
    """The prepared registry's blocking keys under the model's profile, computed once."""
    return index_left(registry, profile_named(model.profile).blocking)


def _with_context(profile: Profile, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    return right if profile.add_left_context is None else profile.add_left_context(left, right)


def _train_source(profile: Profile, left: pl.DataFrame, right: pl.DataFrame | None,
                  source: str, seed: int, u_pairs: int) -> SourceParameters:
    """Parameters of one source: u from random pairs, m and prior from EM on a sample.

    EM runs on the first-stage candidate pairs: they hold nearly every match
    (the keys of later stages rescue the few records whose ID is broken) and
    far fewer non-matches. The prior is the expected matches among them over
    all possible pairs.
    """
    dedupe = right is None
    other = left if right is None else right
    sample = sample_levels(profile.comparisons, left, other, pairs=u_pairs,
                           rng=random_generator(seed, f"u:{source}"), dedupe=dedupe)
    if right is not None and right.height > EM_RECORDS:
        rows = random_generator(seed, f"em:{source}").choice(right.height, EM_RECORDS,
                                                              replace=False)
        right = right[sorted(rows.tolist())]
    pairs, _ = candidate_pairs(left, right, [r for r in profile.blocking if r.stage == 0])
    if pairs.is_empty():
        raise PopdqError(f"cannot estimate a model for {source}: none of its records shares a "
                         f"blocking key with the {left.height:,} registry rows (is the registry "
                         "loaded whole?)")
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
    """Train a model linking each prepared right frame of `sources` to the prepared `left`.

    A source without records has nothing to estimate from and is left out of
    the model (linking no records needs no parameters).
    """
    parameters = tuple(
        _train_source(profile, left, _with_context(profile, left, sources[name]), name, seed,
                      u_pairs)
        for name in sorted(sources) if sources[name].height > 0
    )
    return LinkModel(profile.name, False, seed, left.height, parameters,
                     term_frequencies(left, profile.comparisons), profile.thresholds)


def train_dedupe(profile: Profile, frame: pl.DataFrame, *, seed: int = 0,
                 u_pairs: int = U_PAIRS) -> LinkModel:
    """Train a model finding pairs of records of one prepared frame that are the same entity."""
    parameters = (_train_source(profile, frame, None, "dedupe", seed, u_pairs),)
    return LinkModel(profile.name, True, seed, frame.height, parameters,
                     term_frequencies(frame, profile.comparisons), profile.thresholds)


def _score(profile: Profile, model: LinkModel, left: pl.DataFrame, right: pl.DataFrame,
           pairs: pl.DataFrame, source: str) -> pl.DataFrame:
    """Candidate pairs with their levels, weights, probability, ids and veto flag."""
    levels = compare_pairs(profile.comparisons, left, right, pairs)
    scored = score_levels(levels, profile.comparisons, model.source(source),
                          model.term_frequencies, model.thresholds.tf_minimum)
    scored = scored.with_columns(
        left.get_column(profile.left_key).cast(pl.String)
        .gather(scored.get_column(LEFT_ROW)).alias("person_id"),
        right.get_column(profile.right_key).cast(pl.String)
        .gather(scored.get_column(RIGHT_ROW)).alias("record_id"),
        vetoed(profile.comparisons, profile.vetoes).alias("vetoed"),
    )
    if DECIDED not in right.columns:
        return scored.with_columns(pl.lit(False).alias(DECIDED))
    decided = right.get_column(DECIDED).cast(pl.String).gather(scored.get_column(RIGHT_ROW))
    return scored.with_columns((pl.lit(decided) == pl.col("person_id")).fill_null(False)
                               .alias(DECIDED))


def _reviewed_pairs(left: pl.DataFrame, right: pl.DataFrame,
                    profile: Profile) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pairs a reviewer chose (`DECIDED`) and rejected (`REJECTED`), as row pairs; a
    person no longer in `left` is no pair."""
    empty = pl.DataFrame(schema={LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32})

    def pairs(column: str) -> pl.DataFrame:
        if column not in right.columns:
            return empty
        wanted = right.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(RIGHT_ROW),
                              pl.col(column).alias("__key"))
        if isinstance(wanted.schema["__key"], pl.List):
            wanted = wanted.explode("__key")
        wanted = wanted.drop_nulls("__key")
        if wanted.is_empty():
            return empty
        rows = (left.select(pl.col(profile.left_key).cast(pl.String).alias("__key"))
                .with_row_index(LEFT_ROW)
                .filter(pl.col("__key").is_in(wanted.get_column("__key").implode())))
        return wanted.join(rows, on="__key").select(pl.col(LEFT_ROW).cast(pl.UInt32),
                                                    RIGHT_ROW)

    return pairs(DECIDED), pairs(REJECTED)


def score_pairs(model: LinkModel, left: pl.DataFrame, right: pl.DataFrame | None = None, *,
                source: str) -> pl.DataFrame:
    """Every candidate pair of every blocking rule (all stages): `left_id, right_id, weight`
    (bits, prior included), `probability`.

    `right=None` deduplicates `left` (each pair once, left row before right row).
    """
    profile = profile_named(model.profile)
    other = left if right is None else _with_context(profile, left, right)
    pairs, _ = candidate_pairs(left, right if right is None else other, profile.blocking)
    scored = _score(profile, model, left, other, pairs, source)
    return scored.select(pl.col("person_id").alias("left_id"),
                         pl.col("record_id").alias("right_id"), "weight", "probability")


def link_profile(model: LinkModel, left: pl.DataFrame, right: pl.DataFrame, *,
                 source: str, index: dict[str, LeftKeys] | None = None) -> Links:
    """Link each record of `right` to at most one row of `left` (see `matching.decisions`).

    A reviewer's decisions ride on `right` (`matching.decisions.DECIDED`, `REJECTED`):
    the chosen person is a candidate and the link, a rejected one is no candidate.

    Blocking runs in stages (`BlockingRule.stage`): a record that the pairs of
    one stage already link (decision `match`) takes no part in the next, so
    the wide keys that only rescue records with a broken ID are spent on the
    few records that need them. Whether a record is settled depends on that
    record alone, so reruns of a subset still give the full run's rows.
    """
    profile = profile_named(model.profile)
    if model.dedupe:
        raise ValueError("a deduplication model scores pairs (score_pairs), it does not link")
    if right.is_empty():
        _, counts = candidate_pairs(left.clear(), right, profile.blocking)
        return Links(pl.DataFrame(schema=MATCHES_SCHEMA),
                     pl.DataFrame(schema=EXPLANATIONS_SCHEMA),
                     counts.with_columns(
                         pl.when(pl.col("rule") != "all").then(
                             pl.col("rule").replace_strict(
                                 {r.name: r.stage for r in profile.blocking}, default=None,
                                 return_dtype=pl.Int32)).alias("stage")))
    other = _with_context(profile, left, right)
    right_ids = other.get_column(profile.right_key).cast(pl.String)
    open_rows = pl.Series(RIGHT_ROW, range(other.height), dtype=pl.UInt32)
    scored_parts: list[pl.DataFrame] = []
    statistics: list[pl.DataFrame] = []
    ranked = matches = pl.DataFrame()
    index = index if index is not None else index_left(left, profile.blocking)
    chosen_pairs, rejected_pairs = _reviewed_pairs(left, other, profile)
    for stage in sorted({rule.stage for rule in profile.blocking}):
        rules = [rule for rule in profile.blocking if rule.stage == stage]
        pairs, stage_statistics = candidate_pairs(left, other[open_rows], rules, index)
        pairs = pairs.with_columns(open_rows.gather(pairs.get_column(RIGHT_ROW)))
        if not scored_parts:  # a reviewer's choice is a candidate whatever the blocking
            pairs = pl.concat([pairs, chosen_pairs]).unique().sort(RIGHT_ROW, LEFT_ROW)
        pairs = pairs.join(rejected_pairs, on=[LEFT_ROW, RIGHT_ROW], how="anti")
        if scored_parts:
            pairs = pairs.join(pl.concat(scored_parts).select(LEFT_ROW, RIGHT_ROW),
                               on=[LEFT_ROW, RIGHT_ROW], how="anti")
        scored_parts.append(_score(profile, model, left, other, pairs, source))
        statistics.append(stage_statistics.filter(pl.col("rule") != "all")
                          .with_columns(pl.lit(stage, dtype=pl.Int32).alias("stage")))
        ranked = rank_candidates(pl.concat(scored_parts))
        matches = decide(right_ids, ranked, model.thresholds, source)
        settled = matches.filter(pl.col("decision") == "match").get_column("record_id")
        open_rows = (~right_ids.is_in(settled.implode())).arg_true().cast(pl.UInt32).alias(
            RIGHT_ROW)
    chosen = ranked.filter(pl.col("rank") == 1).join(
        matches.filter(pl.col("decision") != "none").select("record_id"), on="record_id")
    explanations = explain(chosen, profile.comparisons, model.source(source).prior_weight,
                           source)
    assert list(matches.columns) == list(MATCHES_SCHEMA)
    pairs_total = sum(part.height for part in scored_parts)
    union = pl.DataFrame({"rule": ["all"], "pairs": [pairs_total], "new_pairs": [pairs_total],
                          "skipped_values": [sum(part.get_column("skipped_values").sum()
                                                 for part in statistics)],
                          "reduction_ratio": [1 - pairs_total / max(left.height * other.height,
                                                                    1)],
                          "stage": [None]},
                         schema=statistics[0].schema)
    return Links(matches, explanations, pl.concat([*statistics, union]))


def check_model(model: LinkModel) -> None:
    """Refuse a stored model whose comparisons or levels are not this version's: weights
    are only meaningful for the levels they were estimated on."""
    expected = {c.name: c.levels for c in profile_named(model.profile).comparisons}
    for params in model.sources:
        stored = {c.comparison: c.levels for c in params.comparisons}
        if stored != expected:
            raise ValueError(
                f"the stored model's comparisons for {params.source} differ from this "
                "version of popdq"
            )
