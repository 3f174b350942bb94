"""Each step of a run: its wall time, CPU time and the process's peak memory when it ended.

The run record keeps them (`runs.timings`, `runs.resources`), so every run is its own
benchmark: `make bench` reads them back. Those are written when the run ends; `started`
is told each step's name as it starts (the run records its current step with it).
"""

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Clock:
    """Each step's wall time, CPU time and the process's peak memory when it ended."""

    wall: dict[str, float] = field(default_factory=dict)
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    started: Callable[[str], object] = lambda name: None

    def time(self, name: str, call: Callable[[], T]) -> T:
        self.started(name)  # before the clock starts: saying so is not the step's time
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return call()
        finally:
            self.wall[name] = time.perf_counter() - started
            self.resources[name] = {
                "cpu_s": round(time.process_time() - cpu, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
