"""Blocking (matching.blocking): OR-ed keys, list keys, caps, deduplication, statistics."""

import polars as pl
import pytest

from matching.blocking import BlockingRule, candidate_pairs

LEFT = pl.DataFrame({
    "name": ["an", "an", "binh", "chi", "an"],
    "ids": [["1"], ["2"], ["3"], [], ["5"]],
})
RIGHT = pl.DataFrame({
    "name": ["an", "chi", "dung", ""],
    "ids": [["3", "9"], [], ["2"], ["1"]],
})


def pairs_of(frame: pl.DataFrame) -> set[tuple[int, int]]:
    return set(frame.select("left_row", "right_row").iter_rows())


def test_rules_are_or_ed_and_list_keys_match_any_item() -> None:
    pairs, stats = candidate_pairs(LEFT, RIGHT, [BlockingRule("name", ("name",)),
                                                 BlockingRule("ids", ("ids",))])
    assert pairs_of(pairs) == {(0, 0), (1, 0), (4, 0), (3, 1), (2, 0), (1, 2), (0, 3)}
    assert pairs.get_column("right_row").is_sorted()
    rows = {r["rule"]: r for r in stats.iter_rows(named=True)}
    assert (rows["name"]["pairs"], rows["name"]["new_pairs"]) == (4, 4)
    assert (rows["ids"]["pairs"], rows["ids"]["new_pairs"]) == (3, 3)
    assert rows["all"]["pairs"] == 7
    assert rows["all"]["reduction_ratio"] == pytest.approx(1 - 7 / 20)


def test_a_key_value_over_the_cap_is_skipped_and_counted() -> None:
    pairs, stats = candidate_pairs(LEFT, RIGHT, [BlockingRule("name", ("name",), max_block=2)])
    assert pairs_of(pairs) == {(3, 1)}
    assert stats.filter(pl.col("rule") == "name").get_column("skipped_values").item() == 1


def test_the_cap_counts_left_rows_only() -> None:
    many = pl.DataFrame({"name": ["an"] * 50, "ids": [[]] * 50},
                        schema={"name": pl.String, "ids": pl.List(pl.String)})
    pairs, _ = candidate_pairs(LEFT.head(1), many, [BlockingRule("name", ("name",), max_block=1)])
    assert pairs.height == 50


def test_a_rule_may_read_several_columns_and_a_frame_may_lack_some() -> None:
    right = RIGHT.with_columns(pl.Series("other", ["x", "binh", None, "chi"]))
    pairs, _ = candidate_pairs(LEFT, right, [BlockingRule("names", ("name", "other"))])
    assert pairs_of(pairs) == {(0, 0), (1, 0), (4, 0), (3, 1), (2, 1), (3, 3)}


def test_dedupe_excludes_self_pairs_and_gives_each_pair_once() -> None:
    pairs, stats = candidate_pairs(LEFT, None, [BlockingRule("name", ("name",)),
                                                BlockingRule("ids", ("ids",))])
    assert pairs_of(pairs) == {(0, 1), (0, 4), (1, 4)}
    ratio = stats.filter(pl.col("rule") == "all").get_column("reduction_ratio").item()
    assert ratio == pytest.approx(1 - 3 / 10)
