"""How good are the links? Estimates from reviewers' decisions and from the model itself.

Reviewers' decisions are labels on a few records: a decision on a linked
record (`match`) says whether the model's link was right (precision); a
decision on a record in `review` says whether its best candidate, or another
person, was the record's person: the links the threshold left out (recall).
The model's own estimate needs no labels: a record linked with probability p
is wrong with probability 1 - p, a record left in review or unlinked is a
missed link with probability p of its best candidate (calibrated only as far
as the model is).
"""

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Band:
    """One decision band of the stored links and what reviewers said of it."""

    decision: str
    records: int
    score_sum: float
    """Σ of the best candidate's probability over the band's records."""
    decided: int = 0
    """Records of the band a holding reviewer decision covers."""
    confirmed: int = 0
    """… where the reviewer confirmed the proposed person."""
    other_person: int = 0
    """… where the reviewer set another registry person."""


@dataclass(frozen=True)
class Estimates:
    bands: dict[str, Band]
    model_false_matches: float
    model_missed_matches: float
    model_precision: float | None
    model_recall: float | None
    reviewed_precision: float | None
    """Share of decided linked records whose link the reviewer confirmed."""
    reviewed_recall: float | None
    """Links found over links that exist, the review band's true share taken from decisions."""


def summarise_decisions(decisions: pl.DataFrame) -> pl.DataFrame:
    """Per band (the model's decision when the reviewer decided): decided records, confirmed,
    set to another person. `decisions`: holding decisions with `record_id`, `source`,
    `decision_id`, `verdict`, `person_id`, `proposed_person_id`, `proposed_decision`; the
    newest decision of each record counts."""
    newest = decisions.sort("decision_id").group_by("source", "record_id").last()
    same = pl.col("person_id").eq_missing(pl.col("proposed_person_id"))
    return newest.group_by("proposed_decision").agg(
        pl.len().alias("decided"),
        ((pl.col("verdict") == "confirm") | ((pl.col("verdict") == "set") & same)).sum()
        .alias("confirmed"),
        ((pl.col("verdict") == "set") & ~same).sum().alias("other_person"),
    ).sort("proposed_decision")


def estimate(totals: pl.DataFrame, decided: pl.DataFrame) -> Estimates:
    """`totals`: per decision (`decision`, `records`, `score_sum`) of the stored links;
    `decided`: `summarise_decisions`, banded by the model's decision when the reviewer decided
    (a decided record is linked as decided now: the band's share applies to those left)."""
    by_band = {row["proposed_decision"]: row for row in decided.iter_rows(named=True)}
    stored = {row["decision"]: row for row in totals.iter_rows(named=True)}
    bands = {}
    for band in sorted(set(by_band) | set(stored), key=("match", "review", "none").index):
        now, said = stored.get(band, {}), by_band.get(band, {})
        bands[band] = Band(band, int(now.get("records", 0)), float(now.get("score_sum") or 0.0),
                           int(said.get("decided", 0)), int(said.get("confirmed", 0)),
                           int(said.get("other_person", 0)))
    empty = Band("", 0, 0.0)
    match, review, none = (bands.get(d, empty) for d in ("match", "review", "none"))
    false_matches = match.records - match.score_sum
    missed = review.score_sum + none.score_sum
    true_links = match.records - false_matches
    reviewed_precision = match.confirmed / match.decided if match.decided else None
    reviewed_recall = None
    if review.decided:
        right = reviewed_precision if reviewed_precision is not None else (
            true_links / match.records if match.records else 1.0)
        found = match.records * right
        in_review = review.records * (review.confirmed + review.other_person) / review.decided
        reviewed_recall = found / (found + in_review + none.score_sum) if found else None
    return Estimates(
        bands=bands,
        model_false_matches=false_matches,
        model_missed_matches=missed,
        model_precision=true_links / match.records if match.records else None,
        model_recall=true_links / (true_links + missed) if true_links + missed else None,
        reviewed_precision=reviewed_precision,
        reviewed_recall=reviewed_recall,
    )
