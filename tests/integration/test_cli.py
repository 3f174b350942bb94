"""The contract's commands end to end: synth, load, run, and their failures."""

import csv
import gzip
import os
import stat
import subprocess
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


def test_warehouse_can_be_named_before_or_after_the_command(world: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before.duckdb", tmp_path / "after.duckdb"
    assert popdq("--warehouse", before, "load", "tax", world / "tax.csv").returncode == 0
    assert popdq("--warehouse", before, "load", "tax", world / "tax.csv",
                 "--warehouse", after).returncode == 0  # the command's own option wins
    assert before.exists() and after.exists()
    assert popdq("synth", "--persons", "10", "--seed", "1", "--out", tmp_path / "w",
                 "--warehouse", tmp_path / "unused.duckdb").returncode == 0
    assert not (tmp_path / "unused.duckdb").exists()


def test_an_unclosed_quote_costs_one_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    header = ",".join(DATASETS["registry"].columns)
    rows = [f"{i:012d},Nguyễn Văn An,1990-01-02,M,01,00004,,,alive,," for i in range(1, 51)]
    rows[9] = rows[9].replace("Nguyễn", '"Nguyễn')  # line 11
    broken = tmp_path / "registry.csv"
    broken.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = popdq("load", "registry", broken, "--warehouse", tmp_path / "w.duckdb")
    assert result.returncode == 0, result.stderr
    assert load_counts(result.stdout)["registry"] == (50, 49, 1)
    assert "quarantined 1: quote not closed (line 11)" in result.stdout


def test_a_load_that_would_shrink_or_empty_a_dataset_needs_allow_shrink(
    world: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    first = popdq("load", "registry", world / "registry.csv", "--warehouse", db)
    assert first.returncode == 0, first.stderr
    loaded = load_counts(first.stdout)["registry"][1]
    small = tmp_path / "small.csv"
    small.write_text("".join((world / "registry.csv").read_text(encoding="utf-8")
                             .splitlines(keepends=True)[:51]), encoding="utf-8")
    refused = popdq("load", "registry", small, "--warehouse", db)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("popdq: small.csv: registry would shrink by ")
    assert f"the loaded version has {loaded:,} rows, this file has 50;" in refused.stderr
    assert "nothing changed (pass --allow-shrink" in refused.stderr
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(DATASETS["registry"].columns) + "\n", encoding="utf-8")
    emptied = popdq("load", "registry", header_only, "--warehouse", db)
    assert emptied.returncode == 1 and emptied.stderr.count("\n") == 1
    assert "registry would be left empty" in emptied.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM registry").fetchall() == [(loaded,)]
        assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(1,)]
    finally:
        con.close()
    allowed = popdq("load", "registry", small, "--allow-shrink", "--warehouse", db)
    assert allowed.returncode == 0, allowed.stderr
    assert load_counts(allowed.stdout)["registry"] == (50, 50, 0)


def test_every_file_popdq_writes_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the child inherits it: a shell's usual umask
    try:
        out = tmp_path / "world"
        assert popdq("synth", "--persons", "50", "--seed", "1", "--out", out).returncode == 0
        db = tmp_path / "db" / "w.duckdb"
        for name in FILES:
            assert popdq("load", name, out / f"{name}.csv", "--warehouse", db).returncode == 0
    finally:
        os.umask(old)
    made = list(tmp_path.rglob("*"))
    assert db in made and out / "registry.csv" in made
    modes = {p.relative_to(tmp_path): stat.S_IMODE(p.stat().st_mode) for p in made}
    assert modes == {p: 0o700 if (tmp_path / p).is_dir() else 0o600 for p in modes}


REGISTRY_HEADER = ",".join(DATASETS["registry"].columns)
VNI_NAMES = {"Nguyễn Văn An": b"Nguye\xe3n Va\xean An", "Trần Thị Bình": b"Tra\xe0n Th\xf2 B\xecnh",
             "Đặng Quốc Việt": b"\xd1a\xebng Quo\xe1c Vie\xe4t"}
"""Names and their bytes in VNI (warehouse/data/encodings/vni.csv)."""


def vni_registry(path: Path) -> Path:
    lines = [REGISTRY_HEADER.encode()] + [
        f"00109000000{i},".encode() + raw + b",1990-01-02,M,01,00004,,,alive,,"
        for i, raw in enumerate(VNI_NAMES.values(), start=1)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def assert_one_line_refusal(result: "subprocess.CompletedProcess[str]", *parts: str) -> None:
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for part in parts:
        assert part in result.stderr, (part, result.stderr)


def test_a_legacy_file_is_refused_naming_its_encoding_then_loads_with_it(
    world: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    assert popdq("load", "registry", world / "registry.csv", "--warehouse", db).returncode == 0
    legacy = vni_registry(tmp_path / "vni.csv")
    assert_one_line_refusal(popdq("load", "registry", legacy, "--warehouse", db),
                            "vni.csv: 3 of 3 rows are not UTF-8 text", "--encoding vni")
    mojibake = tmp_path / "mojibake.csv"
    mojibake.write_text(legacy.read_bytes().decode("cp1252"), encoding="utf-8")
    assert_one_line_refusal(popdq("load", "registry", mojibake, "--warehouse", db),
                            "mojibake.csv: 3 of 3 sampled names are VNI text read as "
                            "Windows-1252", "rerun with --encoding vni")
    con = duckdb.connect(str(db), read_only=True)
    try:  # the refusals kept the previous version
        assert con.execute("SELECT count(*) FROM registry").fetchall() == [
            (data_rows(world / "registry.csv"),)]
    finally:
        con.close()
    for name, path in (("legacy", legacy), ("repaired", mojibake)):
        fresh = tmp_path / f"{name}.duckdb"
        loaded = popdq("load", "registry", path, "--encoding", "vni", "--warehouse", fresh)
        assert loaded.returncode == 0, loaded.stderr
        assert load_counts(loaded.stdout)["registry"] == (3, 3, 0)
        con = duckdb.connect(str(fresh), read_only=True)
        try:
            assert [n for (n,) in con.execute(
                "SELECT full_name FROM registry ORDER BY line_number").fetchall()] == list(
                VNI_NAMES)
        finally:
            con.close()


def test_files_that_are_not_utf8_csv_are_refused_for_their_real_cause(tmp_path: Path) -> None:
    text = f"{REGISTRY_HEADER}\n001090000001,Nguyễn Văn An,1990,M,01,00004,,,alive,,\n"
    (tmp_path / "folder.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "zipped.csv").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "wide.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "semicolons.csv").write_text(text.replace(",", ";"), encoding="utf-8")
    (tmp_path / "spaced.csv").write_text(text.replace("full_name", " full_name "),
                                         encoding="utf-8")
    causes = {
        "folder.csv": "is a directory, not a file",
        "pipe.csv": "is a named pipe (FIFO), not a regular file",
        "zipped.csv": "the file is gzip-compressed",
        "wide.csv": "the file is UTF-16 text",
        "semicolons.csv": "the columns are separated by semicolons, not commas",
        "spaced.csv": "column ' full_name ' is written with spaces around the name",
    }
    for name, cause in causes.items():
        result = popdq("load", "registry", tmp_path / name, "--warehouse", tmp_path / "w.duckdb")
        assert_one_line_refusal(result, name, cause)


def test_a_200000_character_name_is_quarantined_not_an_internal_error(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        f"{REGISTRY_HEADER}\n001090000001,{'Nguyễn' * 33_334},1990,M,01,00004,,,alive,,\n"
        '001090000002,"Lê ""Tí""",1990,M,01,00004,,,alive,,\n'  # a doubled quote: exact reader
        "001090000003,Lê\x00An,1990,M,01,00004,,,alive,,\n", encoding="utf-8")
    result = popdq("load", "registry", path, "--warehouse", tmp_path / "w.duckdb")
    assert result.returncode == 0, result.stderr
    assert load_counts(result.stdout)["registry"] == (3, 1, 2)
    assert "a value longer than 1,000 characters (line 2)" in result.stdout
    assert "a control character (NUL, …) in a value (line 4)" in result.stdout
