"""Precision and recall estimates (matching.evaluation)."""

import polars as pl
import pytest

from matching.evaluation import estimate, summarise_decisions


def test_the_model_estimates_its_own_errors_from_its_scores() -> None:
    totals = pl.DataFrame({"decision": ["match", "none", "review"], "records": [1000, 50, 10],
                           "score_sum": [998.0, 1.0, 6.0]})
    got = estimate(totals, summarise_decisions(pl.DataFrame(schema={
        "source": pl.String, "record_id": pl.String, "decision_id": pl.Int64,
        "verdict": pl.String, "person_id": pl.String, "proposed_person_id": pl.String,
        "proposed_decision": pl.String})))
    assert got.model_false_matches == pytest.approx(2.0)
    assert got.model_missed_matches == pytest.approx(7.0)
    assert got.model_precision == pytest.approx(0.998)
    assert got.model_recall == pytest.approx(998 / (998 + 7))
    assert got.reviewed_recall is None and got.reviewed_precision is None


def test_decisions_on_the_review_band_estimate_recall() -> None:
    decided = pl.DataFrame({
        "source": ["tax"] * 5, "record_id": ["a", "b", "c", "d", "a"],
        "decision_id": [1, 2, 3, 4, 5], "verdict": ["reject", "confirm", "set", "reject", "set"],
        "person_id": ["P", "Q", "R", "S", "T"], "proposed_person_id": ["P", "Q", "X", "S", "P"],
        "proposed_decision": ["review", "review", "review", "review", "review"]})
    summary = summarise_decisions(decided)
    assert summary.rows() == [("review", 4, 1, 2)]  # a: set T (newest); b confirmed; c other
    totals = pl.DataFrame({"decision": ["match", "review"], "records": [96, 4],
                           "score_sum": [96.0, 2.0]})
    got = estimate(totals, summary)
    assert got.bands["review"].decided == 4
    assert got.reviewed_recall == pytest.approx(96 / (96 + 4 * 3 / 4))
