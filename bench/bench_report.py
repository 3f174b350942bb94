"""The reviewers' report at a size: how long `popdq report` takes, its peak memory, and the
file's size (the issue's limit: 3 MB at 1M persons).

    .venv/bin/python bench/bench_report.py [--persons 100000] [--seed 1] [--keep DIR]

Through the contract: `popdq synth`, `popdq load`, two nights (`popdq run`; between them
a twentieth of the tax extract leaves, so the report has a history and changes), then
`popdq report` as a reviewer asks for it: the whole country in Vietnamese (the nightly
default), in English, one province, and unmasked. Each report is timed in its own
process (wall time and peak RSS of that process).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

POPDQ = Path(sys.executable).with_name("popdq")
FILES = ("registry", "social_insurance", "tax", "health_insurance")
REPORTS = {"vi (default)": (), "en": ("--lang", "en"), "province 79": ("--locality", "79"),
           "unmasked": ("--unmasked",)}


def popdq(*args: str | Path, env: dict[str, str]) -> tuple[float, float]:
    """Run one command; its wall seconds and its own peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen([str(POPDQ), *map(str, args)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"popdq {args[0]} failed: {error}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="popdq-report-"))
    world, warehouse = folder / "world", folder / "w.duckdb"
    env = {**os.environ, "POPDQ_WAREHOUSE": str(warehouse)}
    popdq("synth", "--persons", str(args.persons), "--seed", str(args.seed), "--out", world,
          "--force", env=env)
    for name in FILES:
        popdq("load", name, world / f"{name}.csv", env=env)
    popdq("run", "--as-of", "2026-12-01", env=env)
    tax = pl.read_csv(world / "tax.csv", infer_schema=False)
    tax.filter(pl.int_range(pl.len()) % 20 != 0).write_csv(folder / "tax.csv")
    popdq("load", "tax", folder / "tax.csv", "--allow-shrink", env=env)
    popdq("run", "--as-of", "2026-12-02", env=env)
    print(f"{args.persons:,} persons, seed {args.seed}, two runs; reports:")
    for name, options in REPORTS.items():
        out = folder / f"report-{name.split()[0]}.html"
        wall, rss = popdq("report", *options, "--out", out, env=env)
        print(f"  {name:<13} {out.stat().st_size / 1e6:6.2f} MB  {wall:6.1f} s"
              f"  peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
