"""Where a run's partition tasks run (flows.executors)."""

import socket

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flows import executors
from popdq.errors import BadParameter
from popdq.settings import MEMORY_ENV


def test_the_local_runner_runs_partitions_side_by_side_in_threads() -> None:
    runner = executors.task_runner("local", None)
    assert isinstance(runner, ThreadPoolTaskRunner)
    assert runner._max_workers == executors.CONCURRENT_PARTITIONS


def test_a_local_dask_cluster_shares_the_memory_limit_between_its_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MEMORY_ENV, "8GB")
    runner = executors.task_runner("dask", None)
    assert isinstance(runner, DaskTaskRunner) and runner.address is None
    assert runner.cluster_kwargs == {
        "n_workers": 2, "threads_per_worker": 1, "processes": True,
        "memory_limit": 4 * 2**30, "dashboard_address": None}


def test_an_address_names_the_operators_cluster() -> None:
    runner = executors.task_runner("dask", "tcp://10.0.0.5:8786")
    assert isinstance(runner, DaskTaskRunner)
    assert (runner.address, runner.cluster_kwargs) == ("tcp://10.0.0.5:8786", {})


@pytest.mark.parametrize(("executor", "address", "says"), [
    ("spark", None, "expected one of local, dask"),
    ("local", "tcp://127.0.0.1:8786", "give it with --executor dask"),
    ("dask", "not an address", "expected tcp://HOST:PORT"),
    ("dask", "tcp://scheduler", "expected tcp://HOST:PORT"),
    ("dask", "http://10.0.0.5:8786", "expected tcp://HOST:PORT"),
])
def test_check_executor_refuses_in_one_line(executor: str, address: str | None,
                                            says: str) -> None:
    with pytest.raises(BadParameter, match=says) as refused:
        executors.check_executor(executor, address)
    assert "\n" not in str(refused.value)


def test_check_executor_refuses_a_scheduler_that_does_not_answer() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(BadParameter, match=f"tcp://127.0.0.1:{port}: no Dask scheduler"):
        executors.check_executor("dask", f"tcp://127.0.0.1:{port}")


def test_check_executor_accepts_a_scheduler_that_listens() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        executors.check_executor("dask", f"tcp://127.0.0.1:{listening.getsockname()[1]}")
