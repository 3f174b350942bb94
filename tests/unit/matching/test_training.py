"""Estimating without labels (matching.training) and term-frequency weights (matching.scoring)."""

import numpy as np
import polars as pl
import pytest

import synth
from matching.comparisons import Comparison
from matching.linker import prepare_registry, prepare_source, train
from matching.scoring import comparison_weights
from matching.training import (
    estimate_m,
    random_generator,
    sample_levels,
    term_frequencies,
    u_from_sample,
)
from matching.vietnamese_comparisons import add_context, comparisons


def simulated_levels(rng: np.random.Generator, pairs: int, share: float,
                     m: list[list[float]], u: list[list[float]]) -> pl.DataFrame:
    """Comparison vectors drawn from a known two-class mixture."""
    is_match = rng.random(pairs) < share
    columns = {}
    for k, (m_k, u_k) in enumerate(zip(m, u, strict=True)):
        drawn_m = rng.choice(len(m_k), pairs, p=m_k)
        drawn_u = rng.choice(len(u_k), pairs, p=u_k)
        columns[f"c{k}"] = pl.Series(np.where(is_match, drawn_m, drawn_u), dtype=pl.Int8)
    return pl.DataFrame(columns)


def test_em_recovers_a_known_mixture() -> None:
    m = [[0.9, 0.08, 0.02], [0.85, 0.1, 0.05], [0.95, 0.05], [0.7, 0.2, 0.1]]
    u = [[0.05, 0.15, 0.8], [0.1, 0.2, 0.7], [0.02, 0.98], [0.2, 0.3, 0.5]]
    levels = simulated_levels(np.random.default_rng(1), 40_000, 0.25, m, u)
    named = [Comparison(f"c{k}", tuple(map(str, range(len(m_k)))), pl.lit(0), (), ())
             for k, m_k in enumerate(m)]
    start = {f"c{k}": np.full(len(u[k]), 1000.0) for k in range(len(u))}
    result = estimate_m(levels, named, start)
    assert result.converged
    assert result.match_share == pytest.approx(0.25, abs=0.01)
    for k, m_k in enumerate(m):
        assert result.m[f"c{k}"] == pytest.approx(m_k, abs=0.02)


def test_u_from_a_sample_leaves_out_the_expected_matches() -> None:
    counts = np.array([10.0, 990.0])
    u = u_from_sample(counts, m=np.array([1.0, 0.0]), match_share=0.01)
    assert u == pytest.approx([1 / 992, 991 / 992])


@pytest.fixture(scope="module")
def world() -> synth.World:
    return synth.generate_world(2000, 11)


def test_u_sampling_is_reproducible_from_the_seed(world: synth.World) -> None:
    registry = prepare_registry(world.registry)
    source = add_context(registry, prepare_source("tax", world.tax))

    def sampled(seed: int) -> dict[str, np.ndarray]:
        return sample_levels(comparisons(), registry, source, pairs=20_000,
                             rng=random_generator(seed, "u:tax"), dedupe=False)

    first, again, other = sampled(1), sampled(1), sampled(2)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert any(not np.array_equal(first[k], other[k]) for k in first)


def test_a_common_family_name_weighs_less_than_a_rare_one(world: synth.World) -> None:
    registry = prepare_registry(world.registry)
    sources = {"tax": prepare_source("tax", world.tax)}
    model = train(registry, sources, seed=0, u_pairs=100_000)
    family = [c for c in comparisons() if c.name == "family_name"]
    tables = term_frequencies(registry, family)
    counts = dict(next(t for t in tables if t.column == "fam").counts)
    rare = min(counts, key=lambda name: (counts[name], name))
    assert counts["Nguyễn"] > 0.3 * registry.height > counts[rare]
    exact = family[0].levels.index("exact")
    frame = pl.DataFrame({"family_name": [exact, exact], "fam_l": ["Nguyễn", rare],
                          "fam_key_l": ["nguyen", "x"]},
                         schema={"family_name": pl.Int8, "fam_l": pl.String,
                                 "fam_key_l": pl.String})
    weights = frame.select(comparison_weights(family, model.source("tax"), tables,
                                              model.thresholds.tf_minimum)).to_series()
    nguyen, rare_weight = weights.to_list()
    assert nguyen < 2 < 6 < rare_weight
