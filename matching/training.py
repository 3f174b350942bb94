"""Estimating the model without labels: u by random sampling, m by EM, term frequencies.

- u (how often each level occurs among non-matches) comes from random
  (left, right) pairs: almost all of them are non-matches (about 1 in the
  registry size is not; those expected are taken out once m is known). The
  right side is the source itself, not the registry again, because a level's
  u depends on how the source writes things: no registry name lacks
  diacritics, many source names do.
- m (how often each level occurs among matches) comes from EM over the
  blocked candidate pairs, a two-class mixture with conditionally independent
  comparisons. The EM's own u (non-matches *within blocks*, which agree far
  more than random pairs) is a nuisance parameter: scoring uses the sampled u.
- The prior: EM's expected number of matches among the candidates, over all
  possible pairs.

Counts are smoothed with one pseudo-observation per level, so no level has a
probability of 0 (an infinite weight). The EM works on the distinct
comparison vectors with their counts, so it costs little whatever the size.
"""

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from matching.blocking import LEFT_ROW, RIGHT_ROW
from matching.comparisons import Comparison
from matching.model import TermFrequencies
from matching.scoring import compare_pairs


def random_generator(seed: int, purpose: str) -> np.random.Generator:
    """A generator of its own for each purpose (and source), reproducible from the seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [seed, zlib.crc32(purpose.encode())])))


def term_frequencies(left: pl.DataFrame,
                     comparisons: Sequence[Comparison]) -> tuple[TermFrequencies, ...]:
    """Counts of each value of every left column a comparison adjusts by frequency."""
    columns = sorted({column for c in comparisons for _, column in c.term_frequency})
    tables = []
    for column in columns:
        counts = (left.get_column(column).drop_nulls().value_counts(name="n")
                  .sort(column))
        tables.append(TermFrequencies(column, left.height,
                                      tuple((str(v), int(n)) for v, n in counts.iter_rows())))
    return tuple(tables)


def level_counts(levels: pl.DataFrame, comparison: Comparison) -> np.ndarray:
    """How many pairs fall in each level of one comparison (missing ones not counted)."""
    counts = np.zeros(len(comparison.levels))
    for code, n in levels.get_column(comparison.name).drop_nulls().value_counts().iter_rows():
        counts[code] = n
    return counts


def smoothed(counts: np.ndarray) -> np.ndarray:
    """Probabilities from counts, with one pseudo-observation per level."""
    return (counts + 1.0) / (counts.sum() + len(counts))


def sample_levels(comparisons: Sequence[Comparison], left: pl.DataFrame, right: pl.DataFrame,
                  *, pairs: int, rng: np.random.Generator,
                  dedupe: bool) -> dict[str, np.ndarray]:
    """Level counts of each comparison over `pairs` uniformly random (left, right) pairs."""
    left_rows = rng.integers(0, left.height, pairs)
    right_rows = rng.integers(0, right.height, pairs)
    if dedupe:
        keep = left_rows != right_rows
        left_rows, right_rows = left_rows[keep], right_rows[keep]
    sample = pl.DataFrame({LEFT_ROW: left_rows, RIGHT_ROW: right_rows},
                          schema={LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32})
    levels = compare_pairs(comparisons, left, right, sample)
    return {c.name: level_counts(levels, c) for c in comparisons}


def u_from_sample(counts: np.ndarray, m: np.ndarray, match_share: float) -> np.ndarray:
    """u from a random sample's level counts, less the few true matches expected in it.

    A random pair is a match with probability `match_share` (about 1 in the
    registry size): negligible nationally, but in a small registry they
    would make a shared ID look common among non-matches.
    """
    expected_matches = counts.sum() * match_share * m
    return smoothed(np.clip(counts - expected_matches, 0.0, None))


@dataclass(frozen=True)
class EMResult:
    """What EM estimated: m per comparison, the share of matches among the candidates."""

    m: dict[str, np.ndarray]
    match_share: float
    iterations: int
    converged: bool


def _start_m(size: int) -> np.ndarray:
    """Starting m: most matches at the first (most similar) level, the rest halving."""
    rest = 0.5 ** np.arange(1, size)
    return np.concatenate([[0.9], 0.1 * rest / rest.sum()]) if size > 1 else np.ones(1)


def estimate_m(levels: pl.DataFrame, comparisons: Sequence[Comparison],
               u_sample: dict[str, np.ndarray], *, max_iterations: int = 200,
               tolerance: float = 1e-7) -> EMResult:
    """EM over the candidate pairs' comparison vectors (see the module docstring)."""
    names = [c.name for c in comparisons]
    patterns = levels.group_by(names).len().sort(names, nulls_last=True)
    counts = patterns.get_column("len").to_numpy().astype(np.float64)
    codes = [patterns.get_column(n).fill_null(-1).to_numpy().astype(np.int64) for n in names]
    observed = [code >= 0 for code in codes]
    m = {c.name: _start_m(len(c.levels)) for c in comparisons}
    u = {name: smoothed(u_sample[name]) for name in names}
    share = 0.3
    for iteration in range(1, max_iterations + 1):
        log_odds = np.full(len(counts), math.log(share / (1 - share)))
        for name, code, seen in zip(names, codes, observed, strict=True):
            log_odds += np.where(seen, np.log(m[name][code]) - np.log(u[name][code]), 0.0)
        posterior = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        matched, unmatched = counts * posterior, counts * (1 - posterior)
        change = 0.0
        for comparison, code, seen in zip(comparisons, codes, observed, strict=True):
            size = len(comparison.levels)
            new_m = smoothed(np.bincount(code[seen], matched[seen], minlength=size))
            new_u = smoothed(np.bincount(code[seen], unmatched[seen], minlength=size))
            change = max(change, float(np.abs(new_m - m[comparison.name]).max()))
            m[comparison.name], u[comparison.name] = new_m, new_u
        new_share = float(matched.sum() / counts.sum())
        change = max(change, abs(new_share - share))
        share = min(max(new_share, 1e-9), 1 - 1e-9)
        if change < tolerance:
            return EMResult(m, share, iteration, True)
    return EMResult(m, share, max_iterations, False)
