"""Blocking: the candidate pairs worth comparing, from several keys OR-ed together.

Comparing every record with every registry person is out of reach (1M × 1.4M
pairs), so only pairs that share at least one blocking key are compared. Each
rule names key columns of the prepared frames (a record with two personal
IDs has two columns); keys are chosen so that every common error leaves at
least one intact.

Key columns are text (hashed here), 64-bit hashes already, or lists of
either. A key value shared by more than `max_block`
left rows (very common name and year combinations, a junk ID) is skipped for
that rule: such a block costs many pairs and tells little. The count is taken
on the left frame only, so whether a record meets a block never depends on
which other records are linked in the same batch (locality reruns give the
same pairs).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

LEFT_ROW, RIGHT_ROW = "left_row", "right_row"
"""Pair columns: row positions (UInt32) in the left and right prepared frames."""
_PAIR = "__pair"  # left_row · 2³² + right_row: one integer column is faster to deduplicate


@dataclass(frozen=True)
class BlockingRule:
    """Pairs where a value of any of `columns` on one side equals one on the other side.

    A frame may lack some of the columns (the registry has no `id_code`): it
    contributes the ones it has. `stage` 0 rules block every record; later
    stages only the records that the earlier stages left unlinked (see
    `matching.linker.link_profile`).
    """

    name: str
    columns: tuple[str, ...]
    max_block: int = 100
    stage: int = 0


_KEY = "__key"


def _keys(frame: pl.DataFrame, columns: tuple[str, ...], row: str) -> pl.DataFrame:
    """(row, key) for every non-empty key value of each row; text keys are hashed to 64 bits
    (a collision only adds a candidate pair, which then scores low)."""
    index = pl.int_range(pl.len(), dtype=pl.UInt32).alias(row)
    parts = []
    for column in columns:
        if column not in frame.columns:
            continue
        keys = frame.select(index, pl.col(column).alias(_KEY))
        if isinstance(keys.schema[_KEY], pl.List):
            keys = keys.explode(_KEY)
        if keys.schema[_KEY] == pl.String:
            keys = keys.filter(pl.col(_KEY) != "").with_columns(pl.col(_KEY).hash())
        parts.append(keys.select(row, pl.col(_KEY).cast(pl.UInt64)))
    if not parts:
        return pl.DataFrame(schema={row: pl.UInt32, _KEY: pl.UInt64})
    return pl.concat(parts).filter(pl.col(_KEY).is_not_null()).unique()


@dataclass(frozen=True)
class LeftKeys:
    """A rule's usable keys of the left frame: (left_row, key) without the over-full blocks,
    and how many key values were skipped for being over `max_block`."""

    keys: pl.DataFrame
    skipped: int


def index_left(left: pl.DataFrame, rules: Sequence[BlockingRule]) -> dict[str, LeftKeys]:
    """Every rule's left keys, computed once: linking several sources (or several stages)
    against one registry then costs the registry's keys once."""
    return {rule.name: _left_keys(left, rule) for rule in rules}


def _left_keys(left: pl.DataFrame, rule: BlockingRule) -> LeftKeys:
    keys = _keys(left, rule.columns, LEFT_ROW)
    skipped = keys.group_by(_KEY).len().filter(pl.col("len") > rule.max_block)
    return LeftKeys(keys.join(skipped.select(_KEY), on=_KEY, how="anti"), skipped.height)


def _rule_pairs(left: pl.DataFrame, right: pl.DataFrame | None, rule: BlockingRule,
                index: dict[str, LeftKeys] | None) -> tuple[pl.DataFrame, int]:
    """The rule's pairs (deduplicated) and how many key values it skipped."""
    found = index[rule.name] if index is not None and rule.name in index else _left_keys(
        left, rule)
    left_keys = found.keys
    if right is None:
        right_keys = left_keys.rename({LEFT_ROW: RIGHT_ROW})
    else:
        right_keys = _keys(right, rule.columns, RIGHT_ROW)
    pairs = right_keys.join(left_keys, on=_KEY).select(
        (pl.col(LEFT_ROW).cast(pl.UInt64) * 2**32 + pl.col(RIGHT_ROW)).alias(_PAIR))
    if right is None:
        pairs = pairs.filter(pl.col(_PAIR) // 2**32 < pl.col(_PAIR) % 2**32)
    return pairs.unique(), found.skipped


def candidate_pairs(left: pl.DataFrame, right: pl.DataFrame | None,
                    rules: Sequence[BlockingRule],
                    index: dict[str, LeftKeys] | None = None,
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Candidate pairs (left_row, right_row) sorted by right then left row, and statistics.

    `right=None` deduplicates `left`: self-pairs are excluded and each pair
    comes once, with left_row < right_row. The statistics frame has one row
    per rule (`rule, pairs, new_pairs, skipped_values, reduction_ratio`) and
    a last row `all` for the union; the reduction ratio is 1 − pairs / all
    possible pairs. `index` (from `index_left` on the same left frame) saves computing
    the left keys again.
    """
    n_left = left.height
    possible = n_left * (n_left - 1) // 2 if right is None else n_left * right.height
    found, stats = [], []
    for number, rule in enumerate(rules):
        pairs, skipped = _rule_pairs(left, right, rule, index)
        found.append(pairs.with_columns(pl.lit(number, dtype=pl.UInt8).alias("__rule")))
        stats.append((rule.name, pairs.height, skipped))
    union = (pl.concat(found).group_by(_PAIR).agg(pl.col("__rule").min()) if found
             else pl.DataFrame(schema={_PAIR: pl.UInt64, "__rule": pl.UInt8}))
    first_found = dict(union.group_by("__rule").len().iter_rows())
    rows = [(name, n, first_found.get(i, 0), skipped) for i, (name, n, skipped) in enumerate(stats)]
    rows.append(("all", union.height, union.height, sum(s[2] for s in stats)))
    statistics = pl.DataFrame(
        rows, schema={"rule": pl.String, "pairs": pl.Int64, "new_pairs": pl.Int64,
                      "skipped_values": pl.Int64}, orient="row",
    ).with_columns(
        (1 - pl.col("pairs") / max(possible, 1)).alias("reduction_ratio"),
    )
    pairs = union.select(
        (pl.col(_PAIR) // 2**32).cast(pl.UInt32).alias(LEFT_ROW),
        (pl.col(_PAIR) % 2**32).cast(pl.UInt32).alias(RIGHT_ROW),
    ).sort(RIGHT_ROW, LEFT_ROW)
    return pairs, statistics
