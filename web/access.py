"""How the workbench reaches the warehouse: one use case at a time per process, each on
its own short connection, off the event loop.

DuckDB lets one process open a file either read-only or read-write at a time (one
configuration per file), and one process in the world write it. So the workbench's
requests take turns (a lock), and each opens and closes its connection within its turn:
the workbench holds no connection between requests, and a night's run finds the file
free within one request's time. A request that finds the warehouse held (a run
publishing) waits for it, at most POPDQ_BUSY_WAIT seconds (default 30), then answers
503 (`warehouse.lock.WarehouseBusy`): nothing was done, the reviewer tries again.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from web.throttle import Throttle

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Workbench:
    """One served warehouse: where it is, the sign-in throttle, the turn lock."""

    warehouse: Path
    throttle: Throttle = field(default_factory=Throttle)
    _turn: threading.Lock = field(default_factory=threading.Lock)

    async def call(self, use_case: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a `popdq.commands` use case in a worker thread, in turn."""
        def in_turn() -> T:
            with self._turn:
                return use_case(*args, **kwargs)

        return await run_in_threadpool(in_turn)


def workbench(request: Request) -> Workbench:
    found = request.app.state.workbench
    assert isinstance(found, Workbench)
    return found
