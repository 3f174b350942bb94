"""Sign-in throttling: after `limit` failed attempts within `window` seconds for one user
name, or from one client address, further attempts are refused (429) until the oldest
failure leaves the window.

Kept in memory, per `popdq web` process: a restart forgets it, and two processes count
apart (docs/workbench.md). A refused attempt is not checked and does not count.
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

LIMIT = 5
WINDOW = 15 * 60.0


class Throttle:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until these keys (user name, client) may try again; 0 when they may now."""
        now = self.clock()
        with self._lock:
            longest = 0.0
            for key in keys:
                failures = self._prune(key, now)
                if failures is not None and len(failures) >= self.limit:
                    longest = max(longest, failures[0] + self.window - now)
            return longest

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._prune(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        """A good password clears its user name's failures (not the client's)."""
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float] | None:
        """A key's failures within the window; a key with none is forgotten (no memory
        grows with names tried once long ago)."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures
