"""The trained linkage model: everything needed to score and decide again, as JSON.

The warehouse stores one model per full run; a locality rerun loads it and
links the locality's records with exactly the same parameters, so its rows
equal the full run's. Floats are written by `json` as the shortest text that
reads back to the same double, so `from_json(to_json(m)) == m` holds exactly.
"""

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

MODEL_VERSION = 1


@dataclass(frozen=True)
class ComparisonParameters:
    """m and u probability of each level of one comparison (same order as `levels`)."""

    comparison: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    def weights(self) -> tuple[float, ...]:
        """log2(m / u) of each level: the Bayes factor in bits."""
        return tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True))


@dataclass(frozen=True)
class SourceParameters:
    """The parameters of linking one source (m differs by source, and so does u).

    `prior_weight` is log2 of the prior odds that a random (left, right) pair
    is a match; `em_*` and `*_pairs` record how the estimate was made.
    """

    source: str
    prior_weight: float
    comparisons: tuple[ComparisonParameters, ...]
    candidate_pairs: int
    u_pairs: int
    em_iterations: int
    em_converged: bool

    def comparison(self, name: str) -> ComparisonParameters:
        """The parameters of one comparison."""
        for params in self.comparisons:
            if params.comparison == name:
                return params
        raise KeyError(f"no comparison {name!r} in source {self.source!r}")


@dataclass(frozen=True)
class TermFrequencies:
    """How often each value of a left column occurs: `counts` of `(value, n)`, `total` rows."""

    column: str
    total: int
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds (see `matching.decisions`) and the term-frequency floor."""

    match_probability: float
    review_probability: float
    ambiguity_gap_bits: float
    tf_minimum: float


@dataclass(frozen=True)
class LinkModel:
    """A trained Fellegi–Sunter model of one profile."""

    profile: str
    dedupe: bool
    seed: int
    left_rows: int
    sources: tuple[SourceParameters, ...]
    term_frequencies: tuple[TermFrequencies, ...]
    thresholds: Thresholds
    version: int = MODEL_VERSION

    def source(self, name: str) -> SourceParameters:
        """The parameters of one source; a clear error for a source it was not trained on."""
        for params in self.sources:
            if params.source == name:
                return params
        known = ", ".join(p.source for p in self.sources)
        raise KeyError(f"the model was not trained on source {name!r} (has: {known})")

    def to_json(self) -> str:
        """The model as JSON text (stable key order)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "LinkModel":
        """Read a model written by `to_json`."""
        data: dict[str, Any] = json.loads(text)
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"unsupported model version {data.get('version')!r}")
        return cls(
            profile=data["profile"],
            dedupe=data["dedupe"],
            seed=data["seed"],
            left_rows=data["left_rows"],
            sources=tuple(
                SourceParameters(
                    source=s["source"],
                    prior_weight=s["prior_weight"],
                    comparisons=tuple(
                        ComparisonParameters(c["comparison"], tuple(c["levels"]),
                                             tuple(c["m"]), tuple(c["u"]))
                        for c in s["comparisons"]
                    ),
                    candidate_pairs=s["candidate_pairs"],
                    u_pairs=s["u_pairs"],
                    em_iterations=s["em_iterations"],
                    em_converged=s["em_converged"],
                )
                for s in data["sources"]
            ),
            term_frequencies=tuple(
                TermFrequencies(t["column"], t["total"],
                                tuple((str(v), int(n)) for v, n in t["counts"]))
                for t in data["term_frequencies"]
            ),
            thresholds=Thresholds(**data["thresholds"]),
            version=data["version"],
        )
