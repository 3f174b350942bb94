"""Every command refuses a locality that is not one, the same way: one line, exit code 2,
before any flow or query starts, whatever Prefect's logging settings say."""

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import POPDQ, popdq

BAD = ("999", "40' OR 1=1", "40'; DROP TABLE registry; --")
"""The rest of the malformed codes are refused by the same parser: tests/unit/popdq."""
COMMANDS = (
    ("run",),
    ("report", "--out", "report.html"),
    ("queue", "list"),
    ("queue", "assign", "--to", "someone", "--yes"),
    ("queue", "resolve", "--note", "x", "--yes"),
    ("queue", "reject", "--note", "x", "--yes"),
    ("queue", "reopen", "--note", "x", "--yes"),
)


def operators_environment() -> dict[str, str]:
    """The test run's environment without the logging settings popdq derived in it
    (tests/conftest.py configures Prefect in-process): as an operator's shell has it."""
    derived = ("PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL")
    return {k: v for k, v in os.environ.items() if k not in derived}


@pytest.fixture(scope="module")
def warehouse(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("localities") / "w.duckdb"
    for name in ("registry", "tax"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    return db


def runs(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM runs").fetchall()[0][0])
    finally:
        con.close()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("logging", [None, "WARNING"], ids=["default", "PREFECT_LOGGING_LEVEL"])
def test_a_bad_locality_is_one_line_and_exit_code_2(
    warehouse: Path, tmp_path: Path, command: tuple[str, ...], logging: str | None,
) -> None:
    env = operators_environment()
    if logging:
        env["PREFECT_LOGGING_LEVEL"] = logging
    for bad in BAD:
        result = subprocess.run(
            [str(POPDQ), *command, "--locality", bad, "--warehouse", str(warehouse)],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
        assert result.returncode == 2, (bad, result.stderr)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("popdq: ")
        assert f"unknown locality {bad!r}" in result.stderr
        assert "Traceback" not in result.stderr
    assert runs(warehouse) == 0, "no flow started"
    assert not (tmp_path / "report.html").exists()


@pytest.mark.usefixtures("shared_prefect")
def test_an_error_raised_inside_the_flow_is_logged_without_its_traceback(
    warehouse: Path,
) -> None:
    """Prefect logs a failing task and flow (PREFECT_LOGGING_LEVEL=INFO here): a popdq error
    among them is its one line, on the terminal as on the API."""
    result = subprocess.run(
        [str(POPDQ), "run", "--locality", "40", "--warehouse", str(warehouse)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**operators_environment(), "PREFECT_LOGGING_LEVEL": "INFO"})
    assert result.returncode == 1
    assert "Task run failed with exception: PopdqError('no full run yet" in result.stderr
    assert "Traceback" not in result.stderr
    assert ("popdq: no full run yet: run `popdq run` without --locality or --source first"
            in result.stderr.splitlines())
