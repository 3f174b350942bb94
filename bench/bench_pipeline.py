"""The whole pipeline at a size, stage by stage: cold, warm, after a 1% change, a province rerun.

    make bench SIZE=1000000 [COMPARE=1]
    .venv/bin/python bench/bench_pipeline.py --persons 1000000 [--seed 1] [--compare] [--dask]

Every step is the real `popdq` command in its own process (so each has its own
peak RSS): synth, the four loads, then the nightly flow

1. cold: the first full run on a fresh warehouse (it trains the model), with the report;
2. warm: the same run again on unchanged data;
3. change: 1% of the tax extract's rows edited (a name), then load and run;
4. province: `popdq run --locality 79` (Hồ Chí Minh City, the largest province);
5. the warm run and the province rerun again with a Prefect server already running
   (PREFECT_API_URL), as stewards run popdq: without one, each run first starts
   Prefect's temporary API server, about ten seconds;
6. with `--dask`, a full run (every record relinked with the current model) with the
   local runner, then the same on a Dask LocalCluster of two workers: each worker's
   peak memory is in the table.

Each run's own record says how long each step took, its CPU time and the
process's peak memory when the step ended (`runs.timings`, `runs.resources`);
rows/s is the records of the run's scope over the step's wall time. Figures go
to `bench/results/<persons>.json` and a Markdown table on stdout, with the
machine's cores and memory. `--compare` also links the same world with Splink
5 (bench/peers/splink_vn.py, in its own process) and prints both tools'
precision, recall and F1 against truth.csv (popdq: decision `match` of the
cold run).
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from common import Metrics, record_metrics

POPDQ = Path(sys.executable).with_name("popdq")
SOURCES = ("social_insurance", "tax", "health_insurance")
RESULTS = Path(__file__).parent / "results"
PROVINCE = "79"


@dataclass
class Command:
    """One popdq command: wall and CPU time, peak RSS of its process."""

    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rows: int = 0


@dataclass
class Run:
    """One nightly run: the command, and its steps as its run record has them."""

    command: Command
    mode: str
    records: int
    relinked: int
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    workers: dict[str, float] = field(default_factory=dict)
    """Peak RSS (MB) of each process that ran partition tasks (the client's own included)."""


def popdq(name: str, *args: str | Path, env: dict[str, str], rows: int = 0) -> Command:
    """Run a popdq command to completion; its own rusage (wait4), not the children's sum."""
    started = time.perf_counter()
    process = subprocess.Popen([str(POPDQ), *map(str, args)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"popdq {name} failed: {err.strip() or out.strip()}")
    return Command(name, round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2),
                   round(usage.ru_maxrss / 1024), rows)


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A Prefect API server already running, as in a steward's set-up: a run then does not
    start popdq's temporary one (about ten seconds of every run without it)."""
    from flows.schedule import prefect_server as start_server

    os.environ.pop("PREFECT_API_URL", None)
    os.environ.update({"PREFECT_HOME": str(home / "prefect"), "DO_NOT_TRACK": "1",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    (home / "prefect").mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        with start_server("127.0.0.1", port) as url:
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def last_run(warehouse: Path, command: Command) -> Run:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mode, timings, resources, counts = con.execute(
            "SELECT mode, timings, resources, counts FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    counted, used = json.loads(counts), json.loads(resources)
    steps = {name: {"wall_s": round(wall, 2), **used.get(name, {})}
             for name, wall in json.loads(timings).items()}
    return Run(command, mode, sum(c["records"] for c in counted.values()),
               sum(c["relinked"] for c in counted.values()), steps, used.get("workers", {}))


def change_one_percent(path: Path, out: Path) -> int:
    """Edit the name of every 100th record of an extract; returns how many were edited."""
    rows = pl.read_csv(path, infer_schema=False)
    edited = pl.int_range(pl.len()) % 100 == 0
    rows.with_columns(pl.when(edited).then(pl.col("full_name") + " Văn")
                      .otherwise(pl.col("full_name")).alias("full_name")).write_csv(out)
    return rows.height // 100 + (1 if rows.height % 100 else 0)


def popdq_accuracy(warehouse: Path, world: Path, env: dict[str, str], tmp: Path) -> Metrics:
    """Scored in a child process: a process's peak RSS passes to the processes it starts
    (Linux keeps ru_maxrss across fork and exec), so this one must stay small for the peaks
    of the popdq commands it starts next to be theirs."""
    popdq("export matches", "export", "matches", "--out", tmp / "matches.csv", "--warehouse",
          warehouse, env=env)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(score_matches, tmp / "matches.csv", world).result()


def score_matches(matches_csv: Path, world: Path) -> Metrics:
    matches = pl.read_csv(matches_csv, infer_schema=False)
    linked = {(s, r): p for s, r, p, d in matches.select(
        "source", "record_id", "person_id", "decision").iter_rows() if d == "match"}
    return record_metrics(linked, truth(world))


def truth(world: Path) -> dict[tuple[str, str], str]:
    frame = pl.read_csv(world / "truth.csv", infer_schema=False)
    return {(s, r): p or "" for s, r, p in frame.select("source", "record_id",
                                                         "person_id").iter_rows()}


def splink_accuracy(world: Path, tmp: Path) -> tuple[Metrics, float, float]:
    """Splink 5 on the same files, in its own process (bench_accuracy's set-up)."""
    from bench_accuracy import run_isolated

    for name in ("registry", *SOURCES, "truth"):
        pl.read_csv(world / f"{name}.csv", infer_schema=False).write_parquet(
            tmp / f"{name}.parquet")
    run = run_isolated("splink", "vn", tmp, 0.9)
    if run.error:
        sys.exit(f"splink: {run.error}")
    return run.metrics["all sources"], run.wall, run.peak_mb


def table(runs: dict[str, Run], loads: list[Command]) -> str:
    lines = ["| step | wall s | CPU s | peak RSS MB | rows/s |", "|---|---|---|---|---|"]
    for load in loads:
        rate = f"{load.rows / load.wall_s:,.0f}" if load.wall_s else ""
        lines.append(f"| {load.name} | {load.wall_s} | {load.cpu_s} | {load.peak_rss_mb:,.0f}"
                     f" | {rate} |")
    for label, run in runs.items():
        c = run.command
        lines.append(f"| **{label}** ({run.mode}, {run.relinked:,} of {run.records:,} records"
                     f" relinked) | **{c.wall_s}** | {c.cpu_s} | **{c.peak_rss_mb:,.0f}** | |")
        for step, s in run.steps.items():
            rate = f"{run.records / s['wall_s']:,.0f}" if s["wall_s"] > 0.05 else ""
            lines.append(f"| &nbsp; {step} | {s['wall_s']} | {s.get('cpu_s', '')} |"
                         f" {s.get('peak_rss_mb', '')} | {rate} |")
        if run.workers:
            peaks = ", ".join(f"{mb:,.0f}" for mb in run.workers.values())
            lines.append(f"| &nbsp; partition workers ({len(run.workers)}) | | | {peaks} | |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare", action="store_true", help="also run Splink 5")
    parser.add_argument("--dask", action="store_true", help="also a full run with the local "
                        "runner and one on a Dask LocalCluster (popdq run --executor dask)")
    parser.add_argument("--keep", type=Path, help="keep the world and warehouse here")
    parser.add_argument("--world", type=Path, help="a world `popdq synth` wrote already "
                        "(same --persons and --seed): its synth is not timed again")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    work.mkdir(parents=True, exist_ok=True)
    world, warehouse = args.world or work / "world", work / "w.duckdb"
    env = {**os.environ, "POPDQ_HOME": str(work / "home"), "POPDQ_WAREHOUSE": str(warehouse)}
    try:
        synth = (Command("synth (given)", 0.0, 0.0, 0.0, args.persons) if args.world else
                 popdq("synth", "synth", "--persons", args.persons, "--seed", args.seed,
                       "--out", world, env=env, rows=args.persons))
        loads = []
        for kind in ("registry", *SOURCES):
            rows = pl.scan_csv(world / f"{kind}.csv", infer_schema=False).select(pl.len())
            loads.append(popdq(f"load {kind}", "load", kind, world / f"{kind}.csv", env=env,
                               rows=int(rows.collect().item())))
        runs = {}
        runs["cold"] = last_run(warehouse, popdq("run (cold)", "run", "--as-of", "2026-07-01",
                                                 env=env))
        accuracy = popdq_accuracy(warehouse, world, env, work)
        runs["warm"] = last_run(warehouse, popdq("run (warm)", "run", "--as-of", "2026-07-01",
                                                 env=env))
        edited = change_one_percent(world / "tax.csv", work / "tax-changed.csv")
        loads.append(popdq("load tax (1% changed)", "load", "tax", work / "tax-changed.csv",
                           env=env, rows=edited))
        runs["1% of tax changed"] = last_run(warehouse, popdq(
            "run (changed)", "run", "--as-of", "2026-07-01", env=env))
        runs[f"province {PROVINCE} rerun"] = last_run(warehouse, popdq(
            "run (province)", "run", "--as-of", "2026-07-01", "--locality", PROVINCE, env=env))
        with prefect_server(work / "home") as url:  # as stewards run it (popdq serve, a UI)
            served = {**env, "PREFECT_API_URL": url}
            runs["warm, Prefect server running"] = last_run(warehouse, popdq(
                "run (warm, server)", "run", "--as-of", "2026-07-01", env=served))
            runs[f"province {PROVINCE} rerun, Prefect server running"] = last_run(
                warehouse, popdq("run (province, server)", "run", "--as-of", "2026-07-01",
                                 "--locality", PROVINCE, env=served))
            if args.dask:
                for executor in ("local", "dask"):
                    runs[f"full, {executor} executor, Prefect server running"] = last_run(
                        warehouse, popdq(f"run (full, {executor})", "run", "--as-of",
                                         "2026-07-01", "--full", "--executor", executor,
                                         env=served))
        cold_total = sum(c.wall_s for c in loads[:4]) + runs["cold"].command.wall_s
        result = {
            "persons": args.persons, "seed": args.seed,
            "machine": {"cores": os.cpu_count(), "memory_gb": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                "python": platform.python_version()},
            "synth": asdict(synth), "loads": [asdict(c) for c in loads],
            "runs": {k: asdict(r) for k, r in runs.items()},
            "cold_total_s": round(cold_total, 1),
            "cold_peak_rss_mb": max(c.peak_rss_mb for c in [*loads[:4], runs["cold"].command]),
            "accuracy": {"popdq": {"precision": accuracy.precision, "recall": accuracy.recall,
                                   "f1": accuracy.f1}},
        }
        print(f"\n{args.persons:,} persons (seed {args.seed}), {os.cpu_count()} cores; "
              f"cold (4 loads + full run + report): {cold_total:.1f} s, peak RSS "
              f"{result['cold_peak_rss_mb']:,} MB\n")
        print(table(runs, loads))
        print(f"\npopdq: precision {accuracy.precision:.4f}, recall {accuracy.recall:.4f}, "
              f"F1 {accuracy.f1:.4f} (decision match, cold run)")
        if args.compare:
            splink, wall, peak = splink_accuracy(world, work)
            result["accuracy"]["splink"] = {"precision": splink.precision,
                                            "recall": splink.recall, "f1": splink.f1,
                                            "wall_s": round(wall, 1), "peak_rss_mb": peak}
            print(f"Splink 5: precision {splink.precision:.4f}, recall {splink.recall:.4f}, "
                  f"F1 {splink.f1:.4f} ({wall:.0f} s, peak {peak:,.0f} MB)")
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"{args.persons}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nresults: {out}; this process peak "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
