"""Progress lines on stderr, shown only when a person is watching a terminal."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from popdq.masking import printable


@contextmanager
def step(label: str) -> Iterator[None]:
    """Announce a long step and how long it took; silent when stderr is not a terminal."""
    shown = sys.stderr.isatty()
    if shown:
        print(f"{printable(label)} …", end="", file=sys.stderr, flush=True)  # names a file
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        if shown:
            print(" failed", file=sys.stderr, flush=True)
        raise
    if shown:
        print(f" done ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
