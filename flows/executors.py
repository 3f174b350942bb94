"""Where a run's partition tasks run (`popdq run --executor`).

- `local` (the default): Prefect's thread pool in the popdq process, `CONCURRENT_PARTITIONS`
  at a time (polars and DuckDB release the GIL, so threads work side by side).
- `dask`: a Dask cluster through prefect-dask's `DaskTaskRunner`: the scheduler at
  `--address`, else a `LocalCluster` of `CONCURRENT_PARTITIONS` worker processes that
  share POPDQ_MEMORY_LIMIT. Workers read their inputs from the warehouse's spool, so a
  remote cluster's workers must see the warehouse's folder at the same path
  (docs/scale.md).

The steps, the client's work and the single writer that publishes stay in the popdq
process either way; only the partition tasks move.
"""

import os
import socket
from typing import Any
from urllib.parse import urlsplit

from popdq.errors import BadParameter
from popdq.settings import memory_limit

EXECUTORS = ("local", "dask")
CONCURRENT_PARTITIONS = 2
"""Partition tasks running at once on this machine (threads or local workers): the
machines popdq is sized for have 2 cores, and each partition already uses all of them."""
CONNECT_SECONDS = 10


def check_executor(executor: str, address: str | None) -> None:
    """Refuse, before the run starts, an executor popdq does not know or a scheduler no one
    listens for (a plain TCP connection: a Dask client would wait and retry)."""
    if executor not in EXECUTORS:
        raise BadParameter(f"--executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if address is None:
        return
    if executor != "dask":
        raise BadParameter("--address names a Dask scheduler: give it with --executor dask")
    where = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = where.hostname, where.port
    except ValueError:
        host = port = None
    if where.scheme not in ("tcp", "tls") or not host or not port:
        raise BadParameter(f"--address {address!r}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise BadParameter(f"--address {address}: no Dask scheduler answers there "
                           f"({exc.strerror or exc})") from None


def quiet_dask() -> None:
    """Dask's own logging says only errors on the operator's terminal (set before Dask is
    imported; an operator's DASK_LOGGING__DISTRIBUTED wins)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")


def task_runner(executor: str, address: str | None) -> Any:
    """The Prefect task runner of `executor` (a TaskRunner; Prefect's are generic)."""
    if executor == "local":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=CONCURRENT_PARTITIONS)
    quiet_dask()
    from prefect_dask import DaskTaskRunner

    if address is not None:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={
        "n_workers": CONCURRENT_PARTITIONS, "threads_per_worker": 1, "processes": True,
        "memory_limit": memory_limit() // CONCURRENT_PARTITIONS, "dashboard_address": None})
