"""Time the synthetic world generator: generate_world + write_world.

    .venv/bin/python bench/bench_synth.py --persons 1000000

Prints wall time of each step, peak RSS of the process (ru_maxrss) and the rows
of each file; the files go to a temporary directory unless --out is given.
Budget at 1M persons: 60 s and 4 GB on a 2-core machine.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

import polars as pl

import synth


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        out = args.out or Path(tmp)
        start = time.perf_counter()
        world = synth.generate_world(args.persons, args.seed)
        generated = time.perf_counter()
        paths = synth.write_world(world, out)
        written = time.perf_counter()

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"persons          {args.persons:>12,}  (seed {args.seed})")
        print(f"generate_world   {generated - start:>12.1f} s")
        print(f"write_world      {written - generated:>12.1f} s")
        print(f"total wall time  {written - start:>12.1f} s")
        print(f"peak RSS         {peak_mb:>12,.0f} MB")
        for name, frame in world.files().items():
            size = paths[name].stat().st_size / 2**20
            print(f"{name + '.csv':<22}{frame.height:>10,} rows  {size:>8.1f} MiB")
        kinds = world.truth["kinds"].str.split(";").explode()
        counts = kinds.filter(kinds != "").value_counts(sort=True)
        clean = cast(float, (world.truth["kinds"] == "").mean())
        print(f"clean source records {clean:.1%}; kinds (records carrying each):")
        for kind, n in counts.iter_rows():
            print(f"  {kind:<22}{n:>10,}  {n / world.truth.height:6.2%}")
        print(f"polars {pl.__version__}")


if __name__ == "__main__":
    main(sys.argv[1:])
