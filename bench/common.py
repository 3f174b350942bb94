"""Small helpers shared by the benchmark scripts: peak RSS and linkage metrics."""

import resource
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Pair = tuple[str, str]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(who).ru_maxrss / 1024


@dataclass(frozen=True)
class Metrics:
    """Precision, recall and F1 of predicted links against the truth."""

    predicted: int
    true_positives: int
    relevant: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.relevant if self.relevant else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def unordered(pairs: Iterable[Pair]) -> set[Pair]:
    """Pairs with the smaller id first, without self-pairs (for deduplication)."""
    return {(a, b) if a < b else (b, a) for a, b in pairs if a != b}


def pair_metrics(predicted: Iterable[Pair], truth: Iterable[Pair], *, dedupe: bool) -> Metrics:
    """Metrics over record pairs; for deduplication (a, b) and (b, a) are the same pair."""
    pred = unordered(predicted) if dedupe else set(predicted)
    true = unordered(truth) if dedupe else set(truth)
    return Metrics(predicted=len(pred), true_positives=len(pred & true), relevant=len(true))


def record_metrics(predicted: Mapping[Pair, str], truth: Mapping[Pair, str]) -> Metrics:
    """Metrics of record → person links.

    `predicted` and `truth` map (source, record_id) to a person_id; a truth value
    of "" means the record's person is not in the registry. A link is a true
    positive when truth names that person; recall is over records whose truth
    has a person.
    """
    tp = sum(1 for key, person in predicted.items() if person and truth.get(key) == person)
    linked = sum(1 for person in predicted.values() if person)
    relevant = sum(1 for person in truth.values() if person)
    return Metrics(predicted=linked, true_positives=tp, relevant=relevant)
