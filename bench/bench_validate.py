"""Time the Great Expectations suites on a large synthetic world.

    .venv/bin/python bench/bench_validate.py --persons 1000000

For each dataset: rows, time to prepare the check columns and validate
(polars → pandas via Arrow → GX 1.x), failing rows, and the process's peak
RSS. The world is generated in memory first (not timed).
"""

import argparse
import resource
import sys
import time

import synth
from expectations import validate_dataset


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    world = synth.generate_world(args.persons, args.seed)
    frames = {"registry": world.registry, "social_insurance": world.social_insurance,
              "tax": world.tax, "health_insurance": world.health_insurance}
    validate_dataset("tax", world.tax.head(10))  # import and warm up GX outside the timings
    print(f"{'dataset':<18}{'rows':>12}{'seconds':>10}{'s / 1M rows':>13}{'failing':>10}")
    for kind, rows in frames.items():
        started = time.perf_counter()
        outcome = validate_dataset(kind, rows)
        seconds = time.perf_counter() - started
        failing = outcome.failures["record_key"].n_unique()
        print(f"{kind:<18}{rows.height:>12,}{seconds:>10.1f}"
              f"{seconds / rows.height * 1e6:>13.1f}{failing:>10,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak RSS {peak:.2f} GB")


if __name__ == "__main__":
    main(sys.argv[1:])
