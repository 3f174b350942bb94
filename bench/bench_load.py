"""Time the loader: reading the registry and the three sources, before and after.

    .venv/bin/python bench/bench_load.py --persons 1000000 [--seed 1] [--world DIR]
                                         [--before HEAD]

A synthetic world is written as CSV (`synth.generate_world` + `write_world`) to a
temporary folder, or taken from --world (a folder `popdq synth` wrote). Then,
for each file, three measurements, each in a fresh process (so each peak RSS is
its own; ru_maxrss includes the interpreter and polars):

- before: `read_extract` of the reader as it is in git revision --before: its
  `warehouse/readers.py` from `git show` (revisions before the reader became a
  package), or its package `warehouse/readers/` from `git archive`, written to a
  temporary folder and imported from there; git's index and working tree are not
  touched;
- after: `read_extract` of the working tree's reader;
- load: the whole `popdq load` step of the working tree (read, then replace the
  dataset in a fresh DuckDB warehouse).

Prints wall time, rows read per second and peak RSS of each, and whether before
and after produced the same rows and quarantine.
"""

import argparse
import importlib.util
import io
import multiprocessing
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import peak_rss_mb

REPO = Path(__file__).resolve().parents[1]
KINDS = ("registry", "social_insurance", "tax", "health_insurance")


@dataclass
class Measure:
    rows_read: int
    rows_loaded: int
    wall: float
    peak_mb: float
    digest: str
    """Rows and quarantine, hashed: equal digests mean equal extracts."""


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    """A read-only git command in the repository (it changes neither index nor work tree)."""
    return subprocess.run(["git", *args], cwd=REPO, check=False, capture_output=True)


def write_old_reader(revision: str, into: Path) -> Path:
    """The reader as committed in a revision, written below `into`; the file to import.

    Up to the split of the reader into a package it is one file, warehouse/readers.py
    (`git show`); from then on it is the folder warehouse/readers/ (`git archive`), and
    the file to import is its __init__.py."""
    into.mkdir(parents=True, exist_ok=True)
    if git("cat-file", "-e", f"{revision}:warehouse/readers/__init__.py").returncode != 0:
        source = git("show", f"{revision}:warehouse/readers.py")
        if source.returncode != 0:
            sys.exit(f"no reader at {revision}: {source.stderr.decode().strip()}")
        path = into / "readers_before.py"
        path.write_bytes(source.stdout)
        return path
    archive = git("archive", revision, "warehouse/readers")
    if archive.returncode != 0:
        sys.exit(f"git archive {revision}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "warehouse" / "readers" / "__init__.py"


def same_as_working_tree(source_file: Path) -> bool:
    """Whether the old reader written by `write_old_reader` is the working tree's."""
    if source_file.name != "__init__.py":
        current = REPO / "warehouse" / "readers.py"
        return current.is_file() and current.read_bytes() == source_file.read_bytes()
    old, new = source_file.parent, REPO / "warehouse" / "readers"
    return {p.relative_to(old): p.read_bytes() for p in old.rglob("*.py")} == {
        p.relative_to(new): p.read_bytes() for p in new.rglob("*.py")}


def import_reader(source_file: Path | None) -> object:
    """The reader module: the working tree's, or an old one written to a temporary folder.

    An old package imports its own modules as `warehouse.readers.…`, so it is imported
    under that name: this fresh process has not imported the working tree's reader, and
    the old package's modules are then found in its folder, not in the working tree.
    (What the reader imports from outside it, `warehouse.refusals` for one, is the working
    tree's, as for an old single-file reader.)"""
    if source_file is None:
        from warehouse import readers

        return readers
    package = source_file.name == "__init__.py"
    name = "warehouse.readers" if package else "readers_before"
    assert name not in sys.modules, f"{name} is imported already"
    spec = importlib.util.spec_from_file_location(
        name, source_file, submodule_search_locations=[str(source_file.parent)] if package
        else None)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def digest(extract: object) -> str:
    """A hash of an extract's rows and quarantine (line, raw text, reason)."""
    import hashlib

    rows = extract.rows  # type: ignore[attr-defined]
    quarantined = [(q.line_number, q.raw_line, q.reason)
                   for q in extract.quarantined]  # type: ignore[attr-defined]
    text = rows.write_csv() + repr(quarantined)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]


def measure(kind: str, path: Path, how: str, source_file: Path | None) -> Measure:
    """One measurement (runs in a child process): read, or read and store."""
    from popdq.contract import DATASETS

    if how == "load":
        from warehouse.datasets import load_file
        from warehouse.db import open_warehouse

        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
            start = time.perf_counter()
            with open_warehouse(Path(tmp) / "w.duckdb") as con:
                summary = load_file(con, kind, path, loaded_by="bench")
            wall = time.perf_counter() - start
        return Measure(summary.rows_read, summary.rows_loaded, wall, peak_rss_mb(), "")
    reader = import_reader(source_file)
    start = time.perf_counter()
    extract = reader.read_extract(path, DATASETS[kind])  # type: ignore[attr-defined]
    wall = time.perf_counter() - start
    return Measure(extract.rows_read, extract.rows.height, wall, peak_rss_mb(), digest(extract))


def run_isolated(kind: str, path: Path, how: str, source_file: Path | None) -> Measure:
    """One measurement in a fresh spawned process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(measure, (kind, path, how, source_file))


def write_world(persons: int, seed: int, out: Path) -> dict[str, Path]:
    """The world's CSV files, written by a child process (its memory is not ours)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_write_world, (persons, seed, out))


def _write_world(persons: int, seed: int, out: Path) -> dict[str, Path]:
    import synth

    return synth.write_world(synth.generate_world(persons, seed), out)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="read this world's CSV files instead")
    parser.add_argument("--before", default="HEAD", help="git revision of the old reader")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        if args.world:
            files = {kind: args.world / f"{kind}.csv" for kind in KINDS}
        else:
            start = time.perf_counter()
            files = write_world(args.persons, args.seed, Path(tmp) / "world")
            print(f"world: {args.persons:,} persons (seed {args.seed}) written in "
                  f"{time.perf_counter() - start:.1f} s")
        before_file = write_old_reader(args.before, Path(tmp) / "before")
        revision = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=REPO,
                                  check=True, capture_output=True, text=True).stdout.strip()
        if same_as_working_tree(before_file):
            print(f"note: the reader at {revision} is the working tree's: before = after")
        layout = ("warehouse/readers/" if before_file.name == "__init__.py"
                  else "warehouse/readers.py")
        print(f"before: {layout} at {revision}; after: the working tree\n")
        print(f"{'file':<22}{'size':>9}  {'step':<7}{'rows read':>11}{'loaded':>11}"
              f"{'wall':>9}{'rows/s':>12}{'peak RSS':>10}  same")
        for kind in KINDS:
            path = files[kind]
            size = f"{path.stat().st_size / 2**20:,.0f} MiB"
            results = {how: run_isolated(kind, path, how, before_file if how == "before" else None)
                       for how in ("before", "after", "load")}
            same = "yes" if results["before"].digest == results["after"].digest else "NO"
            for how, m in results.items():
                print(f"{path.name if how == 'before' else '':<22}"
                      f"{size if how == 'before' else '':>9}  {how:<7}{m.rows_read:>11,}"
                      f"{m.rows_loaded:>11,}{m.wall:>8.2f}s{m.rows_read / m.wall:>12,.0f}"
                      f"{m.peak_mb:>7,.0f} MB  {same if how == 'after' else ''}")
        print(f"\npython {sys.version.split()[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
