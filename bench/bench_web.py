"""The workbench's inbox page with a national queue: server time per page (p50, p95).

    .venv/bin/python bench/bench_web.py [--items 1000000] [--requests 200] [--persons 10000]
                                        [--seed 1] [--warehouse W] [--keep DIR]

Through the contract: `popdq synth`, `popdq load`, `popdq run` on a small world (unless
--warehouse names one with a run), then — the one step outside the product — the queue is
grown to --items by copying its items with new ids and record ids (same kinds, priorities,
statuses and localities; their records are the world's, so items and pages stay real).
Then `popdq users add` and `popdq web` in its own process; a client signs in and asks for
inbox pages, --requests of each scenario: a steward's first page of everything, a
filtered page (kind and status), a page deep in the queue (keyset, past 90% of it), and a
reviewer's first page of one province. Prints, per scenario, the server's own time (its
Server-Timing header: from the request's arrival to the page's last byte, connection to
the warehouse included) and the client's round trip, p50 and p95, in milliseconds.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from warehouse.db import open_warehouse

POPDQ = Path(sys.executable).with_name("popdq")
FILES = ("registry", "social_insurance", "tax", "health_insurance")
PASSWORD = "bench password 1"


def popdq(*args: str | Path, env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run([str(POPDQ), *map(str, args)], env=env, capture_output=True,
                            text=True, input=stdin, check=False)
    if result.returncode:
        raise SystemExit(f"popdq {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def grow_queue(warehouse: Path, items: int) -> tuple[int, str]:
    """Copy the queue's items until it holds `items` (bench only: the product never writes
    items but through a run). Returns the count and the busiest province."""
    with open_warehouse(warehouse) as con:
        have = int(con.execute("SELECT count(*) FROM queue_items").fetchall()[0][0])
        top = int(con.execute("SELECT max(item_id) FROM queue_items").fetchall()[0][0])
        copies = -(-items // have) - 1
        con.execute(
            "INSERT INTO queue_items SELECT q.* REPLACE (item_id + ? * c AS item_id,"
            " record_id || '~' || c AS record_id) FROM queue_items q, range(1, ? + 1) t(c)",
            [top, copies])
        con.execute("DELETE FROM queue_items WHERE item_id > (SELECT item_id FROM queue_items"
                    " ORDER BY item_id LIMIT 1 OFFSET ?)", [items - 1])
        con.execute("CHECKPOINT")
        count = int(con.execute("SELECT count(*) FROM queue_items").fetchall()[0][0])
        province = str(con.execute("SELECT province FROM queue_items WHERE province IS NOT"
                                   " NULL GROUP BY province ORDER BY count(*) DESC LIMIT 1"
                                   ).fetchall()[0][0])
        return count, province


def deep_key(warehouse: Path) -> str:
    """The page key of the item 90% of the way down the queue."""
    with open_warehouse(warehouse, read_only=True) as con:
        priority, item_id = con.execute(
            "SELECT priority, item_id FROM queue_items ORDER BY priority, item_id"
            " LIMIT 1 OFFSET (SELECT (count(*) * 0.9)::BIGINT FROM queue_items)").fetchall()[0]
    return f"{priority}.{item_id}"


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:7.1f}  p95 {cuts[94]:7.1f}"


def measure(url: str, user: str, path: str, requests: int) -> tuple[list[float], list[float]]:
    server, client = [], []
    with httpx.Client(base_url=url, follow_redirects=True, timeout=120) as browser:
        assert browser.post("/login", data={"username": user, "password": PASSWORD}
                            ).status_code == 200
        browser.get(path)  # the first page of a process warms its caches
        for _ in range(requests):
            started = time.perf_counter()
            answer = browser.get(path)
            client.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text[:200]
            server.append(float(answer.headers["server-timing"].split("dur=")[1]))
    return server, client


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="A warehouse with a run (a copy is used: it is not changed).")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="popdq-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "w.duckdb"
    env = {**os.environ, "POPDQ_WAREHOUSE": str(warehouse)}
    started = time.perf_counter()
    if args.warehouse:
        warehouse.write_bytes(args.warehouse.read_bytes())
    else:
        popdq("synth", "--persons", str(args.persons), "--seed", str(args.seed), "--out",
              folder / "world", "--force", env=env)
        for name in FILES:
            popdq("load", name, folder / "world" / f"{name}.csv", env=env)
        popdq("run", env=env)
    count, province = grow_queue(warehouse, args.items)
    print(f"queue: {count:,} items ({time.perf_counter() - started:.0f} s to build);"
          f" reviewer of province {province}")
    popdq("users", "add", "bench-steward", "--role", "steward", "--password-stdin", env=env,
          stdin=PASSWORD)
    popdq("users", "add", "bench-reviewer", "--role", "reviewer", "--locality", province,
          "--password-stdin", env=env, stdin=PASSWORD)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(POPDQ), "web", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        scenarios = [
            ("steward, first page of all items", "bench-steward", "/"),
            ("steward, kind=name_mismatch status=open", "bench-steward",
             "/?kind=name_mismatch&status=open"),
            ("steward, a page 90% deep (keyset)", "bench-steward",
             f"/?after={deep_key(warehouse)}"),
            (f"reviewer of {province}, first page", "bench-reviewer", "/"),
        ]
        print(f"{args.requests} requests each, ms (server = Server-Timing; client = round"
              " trip on localhost)")
        for name, user, path in scenarios:
            times, round_trips = measure(url, user, path, args.requests)
            print(f"  {name:<42} server {percentiles(times)}   client"
                  f" {percentiles(round_trips)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1:])
