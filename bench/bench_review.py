"""Reviewers decide the review band from the truth; `popdq evaluate` then estimates
precision and recall, printed beside the truth's own figures.

    .venv/bin/python bench/bench_review.py [--persons 100000] [--seed 1] [--decide 200]
                                           [--world DIR] [--keep DIR]

Through the contract: `popdq synth` (unless --world), `popdq load`, `popdq run`; then
the `--decide` most urgent `link_review` items (queue order) are decided as a reviewer who
knows the truth would (confirm the proposed person, set the true one, or reject), through
`popdq.commands.decide_link` (what `popdq link` calls, without a process per decision);
then `popdq run` again and `popdq evaluate`. Prints the evaluation, the decisions made and
the truth's precision and recall of decision `match` before and after, and of each
discrepancy kind after.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
from common import record_metrics

from popdq.commands import decide_link

POPDQ = Path(sys.executable).with_name("popdq")
FILES = ("registry", "social_insurance", "tax", "health_insurance")


def popdq(*args: str | Path, env: dict[str, str]) -> str:
    result = subprocess.run([str(POPDQ), *map(str, args)], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode:
        raise SystemExit(f"popdq {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def truth_of(world: Path) -> dict[tuple[str, str], str]:
    truth = pl.read_csv(world / "truth.csv", infer_schema=False).fill_null("")
    return {(s, r): p for s, r, p in truth.select("source", "record_id", "person_id").iter_rows()}


def score(warehouse: Path, world: Path, env: dict[str, str], out: Path) -> str:
    popdq("export", "matches", "--out", out, "--warehouse", warehouse, env=env)
    matches = pl.read_csv(out, infer_schema=False).fill_null("")
    linked = {(s, r): p for s, r, p, d in matches.select(
        "source", "record_id", "person_id", "decision").iter_rows() if d == "match"}
    m = record_metrics(linked, truth_of(world))
    review = int((matches.get_column("decision") == "review").sum())
    return (f"precision {m.precision:.5f}, recall {m.recall:.5f}, F1 {m.f1:.5f},"
            f" review {review:,} ({review / matches.height:.3%})")


def kinds(warehouse: Path, world: Path, env: dict[str, str], out: Path) -> pl.DataFrame:
    """Precision and recall of each discrepancy kind against the truth's injected kinds."""
    popdq("export", "discrepancies", "--out", out, "--warehouse", warehouse, env=env)
    found = pl.read_csv(out, infer_schema=False).select("source", "record_id", "kind").unique()
    truth = (pl.read_csv(world / "truth.csv", infer_schema=False)
             .with_columns(pl.col("kinds").fill_null("").str.split(";")).explode("kinds")
             .filter(pl.col("kinds") != "")
             .select("source", "record_id", pl.col("kinds").alias("kind")).unique())
    both = truth.join(found, on=["source", "record_id", "kind"]).group_by("kind").len("hits")
    return (truth.group_by("kind").len("truth")
            .join(found.group_by("kind").len("found"), on="kind", how="full", coalesce=True)
            .join(both, on="kind", how="left").fill_null(0)
            .with_columns((pl.col("hits") / pl.col("found").clip(1)).round(4).alias("precision"),
                          (pl.col("hits") / pl.col("truth").clip(1)).round(4).alias("recall"))
            .sort("kind"))


def decide(warehouse: Path, world: Path, env: dict[str, str], count: int) -> dict[str, int]:
    """Decide the `count` most urgent review items as the truth says."""
    truth = truth_of(world)
    items = pl.read_csv(_export_queue(warehouse, env), infer_schema=False).filter(
        (pl.col("kind") == "link_review") & (pl.col("status") == "open")
    ).with_columns(pl.col("priority").cast(pl.Int64), pl.col("item_id").cast(pl.Int64)
                   ).sort("priority", "item_id").head(count)
    made = {"confirm": 0, "set": 0, "reject": 0}
    for source, record_id, proposed in items.select("source", "record_id",
                                                    "person_id").iter_rows():
        true = truth.get((source, record_id), "")
        verdict = "confirm" if true == proposed else "set" if true else "reject"
        decide_link(warehouse, verdict, source, record_id, by="bench-truth",
                    note="decided from the synthetic truth",
                    person_id=true if verdict == "set" else None)
        made[verdict] += 1
    return made


def _export_queue(warehouse: Path, env: dict[str, str]) -> Path:
    out = warehouse.parent / "queue.csv"
    popdq("export", "queue", "--out", out, "--warehouse", warehouse, env=env)
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decide", type=int, default=200)
    parser.add_argument("--world", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="popdq-review-"))
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "w.duckdb"
    env = {**os.environ, "POPDQ_WAREHOUSE": str(warehouse)}
    world = args.world or folder / "world"
    if args.world is None:
        popdq("synth", "--persons", str(args.persons), "--seed", str(args.seed), "--out",
              world, "--force", env=env)
    for name in FILES:
        popdq("load", name, world / f"{name}.csv", env=env)
    popdq("run", "--as-of", "2026-12-01", env=env)
    print(f"before decisions: {score(warehouse, world, env, folder / 'matches.csv')}")
    made = decide(warehouse, world, env, args.decide)
    print("decided from truth: " + ", ".join(f"{n} {v}" for v, n in made.items()))
    popdq("run", "--as-of", "2026-12-01", env=env)
    print(f"after decisions:  {score(warehouse, world, env, folder / 'matches.csv')}")
    print("popdq evaluate:")
    print(popdq("evaluate", env=env))
    with pl.Config(tbl_rows=30, tbl_hide_dataframe_shape=True):
        print(kinds(warehouse, world, env, folder / "discrepancies.csv"))


if __name__ == "__main__":
    main(sys.argv[1:])
