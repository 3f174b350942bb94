"""Settings read from the environment (popdq.settings): the memory limit and partitions."""

import pytest

from popdq.errors import BadParameter
from popdq.settings import (
    DEFAULT_MEMORY_SHARE,
    MEMORY_ENV,
    PARTITION_ROWS_ENV,
    memory_limit,
    partition_rows_cap,
    physical_memory,
)


@pytest.mark.parametrize(("given", "size"), [
    ("8GB", 8 * 2**30), ("512MB", 512 * 2**20), ("1.5G", int(1.5 * 2**30)),
    (" 2 gib ", 2 * 2**30), ("300000000", 300_000_000),
])
def test_memory_limit_reads_a_size(monkeypatch: pytest.MonkeyPatch, given: str, size: int
                                   ) -> None:
    monkeypatch.setenv(MEMORY_ENV, given)
    assert memory_limit() == size


def test_memory_limit_defaults_to_a_share_of_the_machine(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_limit() == int(physical_memory() * DEFAULT_MEMORY_SHARE)


@pytest.mark.parametrize(("given", "says"), [
    ("lots", "is not a size"), ("8 parsecs", "is not a size"), ("-1GB", "is not a size"),
    ("100MB", "below the 256 MB"),
])
def test_a_bad_memory_limit_is_one_line(monkeypatch: pytest.MonkeyPatch, given: str, says: str
                                        ) -> None:
    monkeypatch.setenv(MEMORY_ENV, given)
    with pytest.raises(BadParameter, match=says):
        memory_limit()


def test_partition_rows_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARTITION_ROWS_ENV, raising=False)
    assert partition_rows_cap() is None
    monkeypatch.setenv(PARTITION_ROWS_ENV, "500")
    assert partition_rows_cap() == 500
    for bad in ("0", "many", "1.5"):
        monkeypatch.setenv(PARTITION_ROWS_ENV, bad)
        with pytest.raises(BadParameter, match="not a positive whole number"):
            partition_rows_cap()
