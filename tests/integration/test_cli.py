"""The contract's commands end to end: synth, load, run, and their failures."""

import csv
from pathlib import Path

import duckdb

from popdq.contract import DATASETS, TRUTH_COLUMNS
from tests.integration.conftest import load_counts, popdq

FILES = ("registry", "social_insurance", "tax", "health_insurance")


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def test_synth_is_byte_for_byte_reproducible_with_contract_columns(
    world: Path, tmp_path: Path
) -> None:
    again = popdq("synth", "--persons", "5000", "--seed", "3", "--out", tmp_path)
    assert again.returncode == 0, again.stderr
    for name in (*FILES, "truth"):
        assert (tmp_path / f"{name}.csv").read_bytes() == (world / f"{name}.csv").read_bytes()
        header = (world / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        expected = TRUTH_COLUMNS if name == "truth" else DATASETS[name].columns
        assert tuple(header) == expected


def test_load_prints_counts_that_add_up(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for name in FILES:
        result = popdq("load", name, world / f"{name}.csv", "--warehouse", db)
        assert result.returncode == 0, result.stderr
        read, loaded, quarantined = load_counts(result.stdout)[name]
        assert read == loaded + quarantined == data_rows(world / f"{name}.csv")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM load_log WHERE rows_read <> rows_loaded + rows_quarantined"
        ).fetchall() == [(0,)]
    finally:
        con.close()


def test_registry_without_person_id_is_refused_and_the_old_one_kept(
    world: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    assert popdq("load", "registry", world / "registry.csv", "--warehouse", db).returncode == 0
    lines = (world / "registry.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "no_person_id.csv"
    bad.write_text("\n".join(line.split(",", 1)[1] for line in lines[:50]) + "\n",
                   encoding="utf-8")
    result = popdq("load", "registry", bad, "--warehouse", db)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "no_person_id.csv" in result.stderr and "'person_id'" in result.stderr
    assert "Traceback" not in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM registry").fetchall() == [
            (data_rows(world / "registry.csv"),)
        ]
    finally:
        con.close()


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    result = popdq("load", "census", tmp_path / "x.csv", "--warehouse", tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "'census' is not one of" in result.stderr


def test_run_records_a_run_through_prefect(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    early = popdq("run", "--warehouse", db)
    assert early.returncode != 0 and early.stderr.count("\n") == 1
    for name in FILES:
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    result = popdq("run", "--as-of", "2026-07-01", "--warehouse", db)
    assert result.returncode == 0, result.stderr
    assert "run 1 succeeded" in result.stdout
    assert result.stderr == ""
    con = duckdb.connect(str(db), read_only=True)
    try:
        status, as_of, versions = con.execute(
            "SELECT status, CAST(as_of AS VARCHAR), dataset_versions FROM runs"
        ).fetchall()[0]
        validated = con.execute(
            "SELECT DISTINCT dataset FROM validation_results WHERE run_id = 1 ORDER BY 1"
        ).fetchall()
        failure_kinds = {k for (k,) in con.execute(
            "SELECT DISTINCT kind FROM validation_failures WHERE run_id = 1").fetchall()}
    finally:
        con.close()
    assert (status, as_of) == ("succeeded", "2026-07-01")
    assert versions == '{"registry": 1, "social_insurance": 2, "tax": 3, "health_insurance": 4}'
    assert validated == [(name,) for name in sorted(FILES)]
    assert failure_kinds == {"missing_field", "invalid_format", "id_inconsistent"}


def test_validate_prints_failures_and_builds_docs(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert popdq("load", "tax", world / "tax.csv", "--warehouse", db).returncode == 0
    result = popdq("validate", "--docs", tmp_path / "docs", "--warehouse", db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tax: ")
    assert "tax_code:" in result.stdout and "(invalid_format," in result.stdout
    assert (tmp_path / "docs" / "gx" / "uncommitted" / "data_docs" / "local_site"
            / "index.html").is_file()


def test_run_refuses_an_unknown_locality_in_one_line(world: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for name in ("registry", "tax"):
        assert popdq("load", name, world / f"{name}.csv", "--warehouse", db).returncode == 0
    result = popdq("run", "--locality", "74", "--warehouse", db)
    assert result.returncode == 1
    assert result.stderr == (
        "popdq: unknown locality '74': expected a 2-digit province or 5-digit commune code"
        " of the 2025-07-01 divisions\n"
    )


def test_warehouse_can_be_named_before_or_after_the_command(world: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before.duckdb", tmp_path / "after.duckdb"
    assert popdq("--warehouse", before, "load", "tax", world / "tax.csv").returncode == 0
    assert popdq("--warehouse", before, "load", "tax", world / "tax.csv",
                 "--warehouse", after).returncode == 0  # the command's own option wins
    assert before.exists() and after.exists()
    assert popdq("synth", "--persons", "10", "--seed", "1", "--out", tmp_path / "w",
                 "--warehouse", tmp_path / "unused.duckdb").returncode == 0
    assert not (tmp_path / "unused.duckdb").exists()
