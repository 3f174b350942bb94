"""Reading extracts: every format, BOM, header checks, quarantine accounting."""

import datetime as dt
import gzip
import os
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from popdq.contract import DATASETS, ID_LEADING_ZEROS
from popdq.errors import PopdqError
from warehouse import readers
from warehouse.readers import Extract, QuarantinedRow, read_extract

REGISTRY = DATASETS["registry"]
HEADER = "person_id,full_name,date_of_birth,sex,province_code,commune_code,status"
ROW_A = "001090000001,Nguyễn Văn An,1990-01-02,M,01,00004,alive"
ROW_B = "001190000002,Trần Thị Bình,1990-05-06,F,79,26734,alive"


def write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("bom", [False, True])
def test_csv_reads_all_columns_as_text_with_or_without_bom(tmp_path: Path, bom: bool) -> None:
    path = write(tmp_path / "registry.csv", f"{HEADER}\n{ROW_A}\n{ROW_B}\n", bom=bom)
    extract = read_extract(path, REGISTRY)
    assert extract.rows.height == 2
    assert extract.quarantined == []
    row = extract.rows.row(0, named=True)
    assert row["person_id"] == "001090000001"  # leading zeros kept: text, not numbers
    assert row["full_name"] == "Nguyễn Văn An"
    assert row["line_number"] == 2
    assert row["household_id"] is None  # optional column absent → missing
    assert set(extract.rows.schema.values()) == {pl.Int64, pl.String}


def test_missing_required_column_refuses_the_file_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "registry.csv", "full_name,date_of_birth,sex,province_code,"
                 "commune_code,status\nA,1990,M,01,00004,alive\n")
    with pytest.raises(PopdqError, match=r"registry\.csv: missing required column 'person_id'"):
        read_extract(path, REGISTRY)


def test_duplicate_header_and_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PopdqError, match="appears twice"):
        read_extract(write(tmp_path / "a.csv", f"{HEADER},sex\n"), REGISTRY)
    with pytest.raises(PopdqError, match="empty file"):
        read_extract(write(tmp_path / "b.csv", ""), REGISTRY)


def test_unsupported_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PopdqError, match=r"unsupported file type '\.json'"):
        read_extract(tmp_path / "x.json", REGISTRY)
    with pytest.raises(PopdqError, match="no such file"):
        read_extract(tmp_path / "x.csv", REGISTRY)


def test_bad_rows_are_quarantined_with_reasons_and_counts_add_up(tmp_path: Path) -> None:
    text = (
        f"{HEADER},nickname\n"
        f"{ROW_A},An\n"                                    # 2 ok
        f"{ROW_A},dup\n"                                   # 3 duplicate key
        ",Lê C,1990,F,01,00004,alive,x\n"                  # 4 empty key
        '001090000003,"Phạm\nDũng",1990,M,01,00004,alive,\n'  # 5-6 ok, quoted newline
        "001090000004,Short,1990\n"                        # 7 wrong width
        "\n"                                               # 8 empty row
    )
    raw = text.encode("utf-8") + b"001090000005,Bad \xff,1990,F,01,00004,alive,x\n"  # 9
    path = tmp_path / "registry.csv"
    path.write_bytes(raw)
    extract = read_extract(path, REGISTRY)
    reasons = {q.line_number: q.reason for q in extract.quarantined}
    assert reasons == {
        3: "duplicate person_id (first at line 2)",
        4: "empty person_id",
        7: "expected 8 fields, found 3",
        8: "empty row",
        9: "not valid UTF-8 text",
    }
    assert extract.rows["line_number"].to_list() == [2, 5]
    assert extract.rows["full_name"].to_list() == ["Nguyễn Văn An", "Phạm\nDũng"]
    assert extract.rows_read == 7 == extract.rows.height + len(extract.quarantined)
    assert extract.quarantined[-1].raw_line.startswith("001090000005,Bad \ufffd")
    assert extract.rows["extra"].to_list() == ['{"nickname": "An"}', '{"nickname": ""}']


def test_parquet_values_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "registry.parquet"
    pl.DataFrame({
        "person_id": ["001090000001", "001190000002"],
        "full_name": ["Nguyễn Văn An", "Trần Thị Bình"],
        "date_of_birth": [dt.date(1990, 1, 2), dt.date(1990, 5, 6)],
        "sex": ["M", "F"],
        "province_code": ["01", "79"],
        "commune_code": [4, 26734],
        "status": ["alive", None],
    }).write_parquet(path)
    extract = read_extract(path, REGISTRY)
    assert extract.rows["date_of_birth"].to_list() == ["1990-01-02", "1990-05-06"]
    assert extract.rows["commune_code"].to_list() == ["4", "26734"]
    assert extract.rows["status"].to_list() == ["alive", None]
    assert extract.rows["line_number"].to_list() == [1, 2]


def test_xlsx_first_sheet_cells_as_typed_text(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["001090000001", "Nguyễn Văn An", dt.datetime(1990, 1, 2), "M", "01", "00004",
                  "alive"])
    sheet.append([1190000002, "Trần Thị Bình", "06/05/1990", "F", 79, 26734.0, "alive"])
    sheet.append([None] * 7)
    book.create_sheet("ignored").append(["not", "read"])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    extract = read_extract(path, REGISTRY)
    assert extract.rows["person_id"].to_list() == ["001090000001", "001190000002"]  # zeros back
    assert extract.rows["date_of_birth"].to_list() == ["1990-01-02", "06/05/1990"]
    assert extract.rows["commune_code"].to_list() == ["00004", "26734"]
    assert [(q.line_number, q.reason) for q in extract.quarantined] == [(4, "empty row")]


def test_corrupt_xlsx_and_parquet_are_one_line_errors(tmp_path: Path) -> None:
    for name in ("bad.xlsx", "bad.parquet"):
        path = write(tmp_path / name, "not really")
        with pytest.raises(PopdqError, match=f"{name}: not a readable"):
            read_extract(path, REGISTRY)


def test_a_legacy_8bit_file_is_refused_not_quarantined_row_by_row(tmp_path: Path) -> None:
    names = ("Lê Văn Ân", "Trương Văn Hà", "Đoàn Văn Tú")  # precomposed in Windows-1258
    text = HEADER + "\n" + "".join(
        f"00109000000{i},{name},1990,M,01,00004,alive\n" for i, name in enumerate(names)
    )
    path = tmp_path / "registry.csv"
    path.write_bytes(text.encode("cp1258"))  # Windows-1258: what older systems export
    with pytest.raises(PopdqError, match=r"3 of 3 rows are not UTF-8.*Windows-1258"):
        read_extract(path, REGISTRY)


# --------------------------------------------------------- the native and the exact CSV readers

def same_extract(a: Extract, b: Extract) -> bool:
    return (a.file_name, a.file_format, a.quarantined) == (
        b.file_name, b.file_format, b.quarantined) and a.rows.equals(b.rows)


def read_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Extract, Extract]:
    """The extract as read_extract reads it, and as the exact reader alone reads it."""
    chosen = read_extract(path, REGISTRY)
    with monkeypatch.context() as patched:
        patched.setattr(readers, "read_csv_natively", lambda data: None)
        exact = read_extract(path, REGISTRY)
    return chosen, exact


EXTRA = f"{HEADER},note,line,c0,rule"
WELL_FORMED = {
    "plain": f"{HEADER}\n{ROW_A}\n{ROW_B}\n",
    "no final newline": f"{HEADER}\n{ROW_A}\n{ROW_B}",
    "CRLF": f"{HEADER}\r\n{ROW_A}\r\n{ROW_B}\r\n",
    "header only": f"{HEADER}\n",
    "header only, no newline": HEADER,
    "quoted commas, empty quoted fields": (
        f'{HEADER}\n001090000001,"Nguyễn, Văn An",1990,M,01,00004,alive\n'
        '001090000002,"",1990,F,01,"",alive\n'),
    "quoted line breaks, then duplicate and empty keys and an empty record": (
        f'{HEADER}\n001090000001,"Phạm\nDũng",1990,M,01,00004,alive\n'   # lines 2-3
        '001090000002,"Lê\r\nC\n\nD",1990,F,01,00004,alive\n'             # lines 4-7
        "001090000001,dup,1990,M,01,00004,alive\n"                         # 8: duplicate
        ",no key,1990,M,01,00004,alive\n"                                  # 9: empty key
        '"","","","","","",""\n'                                           # 10: empty row
        '001090000003,"x\ny",1990,M,01,00004,alive\n'),                   # 11-12
    "extra columns as JSON, with names like the reader's own": (
        f'{EXTRA}\n{ROW_A},"a\tb\\\\c","y,z",\u00a0é,Dũng\n{ROW_B},,,,\n'),
    "spaces and tabs kept as typed": (
        f"{HEADER}\n001090000001, Nguyễn\u00a0 ,1990,M,01,00004,\talive\n"),
    "control characters, each in its own record": (
        f"{HEADER}\n{ROW_A}\n001090000002,Lê\x00An,1990,M,01,00004,alive\n"
        f"001090000003,Lê An,1990,M,01\x1b,00004,alive\n001090000004,Lê\u0085,1990,M,01,00004,"
        "alive\n001090000005,Lê\x7f,1990,M,01,00004,alive\n"),
}
IRREGULAR = {  # polars would read some the same way; the quoted ones it is not trusted with
    "doubled quotes": (f'{EXTRA}\n001090000001,"Nguyễn ""Tí"" An",1990,M,01,00004,alive,'
                       f'"a ""b"", c",x,y,""""\n{ROW_B},,,,\n'),
    "blank line": f"{HEADER}\n{ROW_A}\n\n{ROW_B}\n",
    "blank lines at the end": f"{HEADER}\n{ROW_A}\n{ROW_B}\n\n\n",
    "a record of commas only": f"{HEADER}\n{ROW_A}\n,,,,,,\n{ROW_B}\n",
    "short record": f"{HEADER}\n{ROW_A}\n001090000009,Short,1990\n{ROW_B}\n",
    "long record": f"{HEADER}\n{ROW_A},x\n{ROW_B}\n",
    "stray quote": f'{HEADER}\n001090000001,Nguyễn "An",1990,M,01,00004,alive\n{ROW_B}\n',
    "text after a closing quote": f'{HEADER}\n001090000001,"Nguyễn" An,1990,M,01,00004,alive\n',
    "space before a quote": f'{HEADER}\n001090000001, "Nguyễn, An",1990,M,01,00004,alive\n',
    "unclosed quote": f'{HEADER}\n001090000001,"Nguyễn,1990,M,01,00004,alive\n{ROW_B}\n',
    "unclosed quote on the last line": f'{HEADER}\n{ROW_A}\n001190000002,"Trần,1990,F\n',
    "a quote closed lines later, leaving the wrong width": (
        f'{HEADER}\n001090000001,"Nguyễn,1990,M,01,00004,alive\n{ROW_B}\n'
        '001090000003,"Lê, C",1990,M,01,00004,alive\n'),
    "a quoted field over more than MAX_RECORD_LINES lines": (
        f'{HEADER}\n001090000001,"{"x" * 0}' + "\n" * readers.MAX_RECORD_LINES
        + f'end",1990,M,01,00004,alive\n{ROW_B}\n'),
    "lone CR": f"{HEADER}\n{ROW_A}\r{ROW_B}\n",
    "quoted header": f'"person_id",{HEADER.split(",", 1)[1]}\n{ROW_A}\n',
    "empty file": "",
}


@pytest.mark.parametrize("text", WELL_FORMED.values(), ids=WELL_FORMED.keys())
def test_polars_reads_well_formed_files_exactly_as_the_exact_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = write(tmp_path / "registry.csv", text, bom=True)
    assert readers.read_csv_natively(path.read_bytes()[3:]) is not None
    chosen, exact = read_both_ways(path, monkeypatch)
    assert same_extract(chosen, exact)


@pytest.mark.parametrize("text", IRREGULAR.values(), ids=IRREGULAR.keys())
def test_irregular_files_are_left_to_the_exact_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = write(tmp_path / "registry.csv", text)
    assert readers.read_csv_natively(path.read_bytes()) is None
    try:
        chosen, exact = read_both_ways(path, monkeypatch)
    except PopdqError as refused:  # an empty file, a quoted header left open, …
        assert "\n" not in str(refused)
        return
    assert same_extract(chosen, exact)
    assert chosen.rows_read == chosen.rows.height + len(chosen.quarantined)


FIELD = st.one_of(
    st.text(alphabet="ab1é ", max_size=4),
    st.text(alphabet='a,\n"é', max_size=5).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.text(alphabet='a,"\r\n ', max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(FIELD, min_size=5, max_size=8).map(",".join), max_size=6),
       eol=st.sampled_from(["\n", "\r\n"]), final_eol=st.booleans())
def test_whatever_the_file_the_chosen_reader_agrees_with_the_exact_one(
    rows: list[str], eol: str, final_eol: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "registry.csv", eol.join([HEADER, *rows]) + eol * final_eol)
        try:
            chosen = read_extract(path, REGISTRY)
        except PopdqError:
            return  # e.g. most rows not UTF-8 after a lone CR: refused either way
        with mock.patch.object(readers, "read_csv_natively", return_value=None):
            assert same_extract(chosen, read_extract(path, REGISTRY))


def test_bad_utf8_in_one_row_of_many_is_read_exactly_and_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(f"{HEADER}\n{ROW_A}\n".encode() + b"001190000002,B\xe0,1990,F,01,00004,"
                     b"alive\n" + f"{ROW_B.replace('002', '003', 1)}\n".encode())
    assert readers.read_csv_natively(path.read_bytes()) is None
    chosen, exact = read_both_ways(path, monkeypatch)
    assert same_extract(chosen, exact)
    assert [(q.line_number, q.rule) for q in chosen.quarantined] == [(3, "not_utf8")]


def test_a_synthetic_world_is_read_natively_and_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synth

    files = synth.write_world(synth.generate_world(300, 5), tmp_path)
    for kind, dataset in DATASETS.items():
        assert readers.read_csv_natively(files[kind].read_bytes()) is not None, kind
        chosen = read_extract(files[kind], dataset)
        with monkeypatch.context() as patched:
            patched.setattr(readers, "read_csv_natively", lambda data: None)
            assert same_extract(chosen, read_extract(files[kind], dataset)), kind


# ------------------------------------------------------------------------- unclosed quotes

def registry_rows(count: int) -> list[str]:
    return [f"{i:012d},Nguyễn Văn An,1990-01-02,M,01,00004,alive" for i in range(1, count + 1)]


def test_an_unclosed_quote_sets_aside_its_line_and_reading_resumes_after_it(
    tmp_path: Path,
) -> None:
    rows = registry_rows(50)
    rows[9] = rows[9].replace("Nguyễn", '"Nguyễn')  # line 11 (the header is line 1)
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *rows]) + "\n")
    extract = read_extract(path, REGISTRY)
    assert (extract.rows_read, extract.rows.height, len(extract.quarantined)) == (50, 49, 1)
    assert extract.quarantined == [QuarantinedRow(
        11, rows[9], "unclosed_quote",
        "unclosed quote on line 11: the quoted field runs to the end of the file")]
    assert extract.rows["line_number"].to_list() == [n for n in range(2, 52) if n != 11]


def test_an_unclosed_quote_closed_by_a_later_quote_is_told_apart_by_its_width(
    tmp_path: Path,
) -> None:
    rows = registry_rows(50)
    rows[9] = rows[9].replace("Nguyễn", '"Nguyễn')  # line 11
    rows[18] = rows[18].replace("Nguyễn Văn An", '"Nguyễn, Văn An"')  # line 20, well quoted
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *rows]) + "\n")
    extract = read_extract(path, REGISTRY)
    assert (extract.rows_read, extract.rows.height) == (50, 49)
    assert [(q.line_number, q.reason) for q in extract.quarantined] == [
        (11, "unclosed quote on line 11: the quoted field runs to line 20 and leaves 8 fields,"
             " expected 7")]
    assert extract.rows.filter(pl.col("line_number") == 20)["full_name"].item() == (
        "Nguyễn, Văn An")


def test_an_unclosed_quote_on_the_last_line(tmp_path: Path) -> None:
    rows = registry_rows(50)
    rows[-1] = rows[-1].replace("Nguyễn", '"Nguyễn')  # line 51, no newline after it
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *rows]))
    extract = read_extract(path, REGISTRY)
    assert (extract.rows_read, extract.rows.height) == (50, 49)
    assert [(q.line_number, q.rule, q.raw_line) for q in extract.quarantined] == [
        (51, "unclosed_quote", rows[-1])]


def test_unclosed_quotes_in_a_large_file_cost_one_line_each(tmp_path: Path) -> None:
    rows = registry_rows(100_000)
    for at in (9, 60_000):  # lines 11 and 60,002; nothing closes them
        rows[at] = rows[at].replace("Nguyễn", '"Nguyễn')
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *rows]) + "\n")
    extract = read_extract(path, REGISTRY)
    assert (extract.rows_read, extract.rows.height) == (100_000, 99_998)
    assert [(q.line_number, q.reason) for q in extract.quarantined] == [
        (line, f"unclosed quote on line {line}: the quoted field runs on for more than"
               f" {readers.MAX_RECORD_LINES:,} lines") for line in (11, 60_002)]


# ------------------------------------------------------------------ identifiers as numbers

SOCIAL = DATASETS["social_insurance"]


def test_every_identifier_column_has_its_digit_counts() -> None:
    for ds in DATASETS.values():
        assert set(ds.id_digits) == set(ds.identifiers), ds.kind
        assert {n for lengths in ds.id_digits.values() for n in lengths} <= set(ID_LEADING_ZEROS)


@pytest.mark.parametrize(("column", "digits", "lengths", "restored"), [
    ("person_id", 10, (12,), 12), ("person_id", 11, (12,), 12), ("person_id", 12, (12,), 12),
    ("person_id", 9, (12,), "fits none of its lengths (12 digits)"),
    ("old_id_number", 8, (9,), 9), ("id_number", 9, (9, 12), 9), ("id_number", 10, (9, 12), 12),
    ("bhxh_code", 9, (10, 12), 10), ("bhxh_code", 11, (10, 12), 12),
    ("bhxh_code", 10, (10, 12), "could be 10 digits as shown or 12 digits that lost 2 leading"
                                " zeros"),
])
def test_restored_length(column: str, digits: int, lengths: tuple[int, ...],
                         restored: int | str) -> None:
    found = readers.restored_length(column, digits, lengths)
    assert found == restored if isinstance(restored, int) else restored in str(found)


def test_xlsx_identifier_numbers_get_their_zeros_back_or_the_row_is_set_aside(
    tmp_path: Path,
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["record_id", "bhxh_code", "full_name", "date_of_birth", "status", "id_number"])
    sheet.append(["S1", 790123456, "A", "1990", "active", 1090000001])
    sheet.append(["S2", 79123456789, "B", "1990", "active", 123456789])
    sheet.append(["S3", 7912345678, "C", "1990", "active", None])
    sheet.append(["S4", "0790123456", "D", "1990", "active", 79190000002.5])
    sheet.append(["S5", 79123.0, "E", "1990", "active", 12345678.0])
    path = tmp_path / "social_insurance.xlsx"
    book.save(path)
    extract = read_extract(path, SOCIAL)
    assert extract.rows.select("record_id", "bhxh_code", "id_number").rows() == [
        ("S1", "0790123456", "001090000001"), ("S2", "079123456789", "123456789")]
    assert [(q.line_number, q.rule, q.reason) for q in extract.quarantined] == [
        (4, "numeric_id", "bhxh_code is stored as a 10-digit number, which could be 10 digits"
                          " as shown or 12 digits that lost 2 leading zeros: store the column"
                          " as text"),
        (5, "numeric_id", "id_number is stored as a number that is not a whole number: store"
                          " the column as text"),
        (6, "numeric_id", "bhxh_code is stored as a 5-digit number, which fits none of its"
                          " lengths (10 or 12 digits): store the column as text"),
    ]
    assert "7912345678" in extract.quarantined[0].raw_line  # the value: in quarantine only
    for value, q in zip(("7912345678", "79190000002", "79123"), extract.quarantined,
                        strict=True):
        assert value not in q.reason  # reasons are shown and logged: no ID numbers


def test_parquet_integer_and_float_identifiers_become_their_digits(tmp_path: Path) -> None:
    path = tmp_path / "registry.parquet"
    pl.DataFrame({
        "person_id": pl.Series([1090000001, 79190000002, 1234, 1090000004], dtype=pl.Int64),
        "full_name": ["A", "B", "C", "D"],
        "date_of_birth": ["1990"] * 4, "sex": ["M"] * 4, "province_code": ["01"] * 4,
        "commune_code": ["00004"] * 4, "status": ["alive"] * 4,
        "old_id_number": pl.Series([12345678.0, None, 1.0, 1.2e10 + 0.5], dtype=pl.Float64),
    }).write_parquet(path)
    extract = read_extract(path, REGISTRY)
    assert extract.rows.select("person_id", "old_id_number").rows() == [
        ("001090000001", "012345678"), ("079190000002", None)]
    assert [(q.line_number, q.reason.split(":")[0]) for q in extract.quarantined] == [
        (3, "person_id is stored as a 4-digit number, which fits none of its lengths (12"
            " digits)"),
        (4, "old_id_number is stored as a number that is not a whole number")]
    floats = tmp_path / "tax.parquet"
    pl.DataFrame({
        "record_id": ["T1", "T2", "T3", "T4"],
        "tax_code": [8.01234567e8, 8.012345678e9, -8.01234567e8, 7.9190000002e10],
        "full_name": ["A", "B", "C", "D"], "status": ["active"] * 4,
        "id_number": [1.09e10, 7.9190000002e10, 1.0e10, None],
        "card_number": pl.Series([None, None, None, 1.09e10], dtype=pl.Float32),  # extra
    }).write_parquet(floats)
    taxes = read_extract(floats, DATASETS["tax"])
    assert taxes.rows.select("record_id", "tax_code", "id_number").rows() == [
        ("T1", "0801234567", "010900000000"), ("T4", "079190000002", None)]
    assert [q.reason.split(":")[0] for q in taxes.quarantined] == [
        "tax_code is stored as a 10-digit number, which could be 10 digits as shown or 12"
        " digits that lost 2 leading zeros",
        "tax_code is stored as a negative number"]
    assert not any("e" in v for v in taxes.rows["id_number"].drop_nulls().to_list())
    single = tmp_path / "social_insurance.parquet"
    pl.DataFrame({"record_id": ["S1", "S2"], "bhxh_code": ["0790123456"] * 2,
                  "full_name": ["A", "B"], "date_of_birth": ["1990"] * 2,
                  "status": ["active"] * 2,
                  "id_number": pl.Series([1.09e10, 123456789.0], dtype=pl.Float32),
                  }).write_parquet(single)
    assert [q.reason for q in read_extract(single, SOCIAL).quarantined] == [
        "id_number is stored as a floating-point number too imprecise to hold all its digits:"
        " store the column as text"] * 2


@pytest.mark.parametrize("column", [
    pl.Series("household_id", [["HK1"], ["HK2"]]),
    pl.Series("address", [{"street": "a"}, {"street": "b"}]),
    pl.Series("photo", [b"\x00", b"\x01"]),
], ids=["list", "struct", "binary"])
def test_parquet_list_struct_and_binary_columns_are_refused_naming_them(
    tmp_path: Path, column: pl.Series
) -> None:
    path = tmp_path / "registry.parquet"
    base = {c: ["001090000001", "001090000002"] for c in REGISTRY.required}
    pl.DataFrame(base).with_columns(column).write_parquet(path)
    kind = {"household_id": "list", "address": "struct", "photo": "binary"}[column.name]
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    assert str(refused.value) == (
        f"registry.parquet: column {column.name!r} holds {kind} values, not text or numbers;"
        " write it as a text column; nothing loaded")


def test_an_xlsx_header_below_title_rows_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Danh sách dân cư xã Hòa Bình"])
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(HEADER.split(","))
    sheet.append(ROW_A.split(","))
    path = tmp_path / "registry.xlsx"
    book.save(path)
    with pytest.raises(PopdqError, match=r"^registry\.xlsx: the header is on row 3, not on the"
                                         r" first row \(title rows above it\?\)"):
        read_extract(path, REGISTRY)


@pytest.mark.parametrize("merged", ["B1:C1", "A1:A2"])
def test_an_xlsx_with_a_merged_header_cell_is_refused(tmp_path: Path, merged: str) -> None:
    book = Workbook()
    sheet = book.active
    names = HEADER.split(",")
    sheet.append([names[0], names[1], None, *names[2:]])
    sheet.append(["001090000001", "Nguyễn", "Văn An", "1990", "M", "01", "00004", "alive"])
    sheet.append(["001090000002", "Trần", "Thị Bình", "1990", "F", "79", "26734", "alive"])
    sheet.merge_cells(merged)
    path = tmp_path / "registry.xlsx"
    book.save(path)
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    assert str(refused.value) == (
        f"registry.xlsx: header cells {merged} are merged; unmerge them so that every column"
        " has its own name in the first row; nothing loaded")


# ------------------------------------------------------------------- legacy 8-bit encodings

LEGACY_NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Đặng Quốc Việt", "Phạm Ngọc Ánh",
                "Lê Thị Hồng Nhung", "Hoàng Minh Tuấn", "Vũ Thị Thu Hương", "Bùi Đức Thắng"]


def registry_text(names: list[str]) -> str:
    return HEADER + "\n" + "".join(f"0010900000{i:02d},{name},1990,M,01,00004,alive\n"
                                   for i, name in enumerate(names, start=1))


def legacy_file(path: Path, encoding: str, names: list[str] = LEGACY_NAMES) -> Path:
    """A registry extract in a legacy encoding (TCVN3 has no capitals with tone marks)."""
    from tests.unit.warehouse.test_encodings import encode

    names = [n.lower() for n in names] if encoding == "tcvn3" else names
    path.write_bytes(encode(registry_text(names), encoding))
    return path


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "cp1258"])
def test_a_legacy_file_loads_as_nfc_text_with_its_encoding(tmp_path: Path,
                                                           encoding: str) -> None:
    path = legacy_file(tmp_path / "registry.csv", encoding)
    extract = read_extract(path, REGISTRY, encoding)
    expected = [n.lower() if encoding == "tcvn3" else n for n in LEGACY_NAMES]
    assert extract.rows["full_name"].to_list() == expected
    assert all(unicodedata.is_normalized("NFC", n) for n in expected)
    assert extract.rows_read == len(LEGACY_NAMES) and extract.quarantined == []


@pytest.mark.parametrize(("encoding", "called"), [
    ("tcvn3", "TCVN3"), ("vni", "VNI"), ("viscii", "VISCII"), ("cp1258", "Windows-1258")])
def test_without_encoding_a_legacy_file_is_refused_naming_the_likely_one(
    tmp_path: Path, encoding: str, called: str
) -> None:
    path = legacy_file(tmp_path / "registry.csv", encoding)
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    message = str(refused.value)
    assert message.startswith("registry.csv: 8 of 8 rows are not UTF-8 text; it looks like "
                              f"{called}")
    assert message.endswith(f"rerun with --encoding {encoding}; nothing loaded")


def test_a_header_that_is_not_utf8_names_line_1_its_column_and_the_encoding(
    tmp_path: Path,
) -> None:
    path = legacy_file(tmp_path / "registry.csv", "cp1258")
    path.write_bytes(path.read_bytes().replace(b"status", b"status,ghi_ch\xfa", 1)
                     .replace(b"alive\n", b"alive,x\n"))
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    assert str(refused.value) == (
        "registry.csv: the header (line 1) is not UTF-8 text (column 8, 'ghi_ch\ufffd'); it "
        "looks like Windows-1258: rerun with --encoding cp1258; nothing loaded")
    assert read_extract(path, REGISTRY, "cp1258").rows["extra"].to_list()[0] == (
        '{"ghi_chú": "x"}')


def test_the_wrong_encoding_is_refused_naming_the_right_one(tmp_path: Path) -> None:
    path = legacy_file(tmp_path / "registry.csv", "vni", LEGACY_NAMES * 3)
    with pytest.raises(PopdqError, match=r"read as Windows-1258, \d+% of its words are "
                                         r"Vietnamese; read as VNI, 100% are: rerun with "
                                         r"--encoding vni; nothing loaded$"):
        read_extract(path, REGISTRY, "cp1258")


def test_a_byte_the_encoding_lacks_sets_its_row_aside(tmp_path: Path) -> None:
    path = legacy_file(tmp_path / "registry.csv", "tcvn3")
    path.write_bytes(path.read_bytes() + b"001090000099,l\x80,1990,M,01,00004,alive\n")
    extract = read_extract(path, REGISTRY, "tcvn3")
    assert (extract.rows.height, extract.rows_read) == (8, 9)
    assert [(q.line_number, q.rule, q.reason) for q in extract.quarantined] == [
        (10, "not_in_encoding", "not valid TCVN3 (ABC) text")]


def test_encoding_is_for_csv_files_only(tmp_path: Path) -> None:
    path = tmp_path / "registry.parquet"
    pl.DataFrame({c: ["x"] for c in REGISTRY.required}).write_parquet(path)
    with pytest.raises(PopdqError, match=r"^registry\.parquet: --encoding applies to CSV files "
                                         r"only;.*load it without --encoding$"):
        read_extract(path, REGISTRY, "vni")


def test_a_utf8_file_given_a_legacy_encoding_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "registry.csv", registry_text(LEGACY_NAMES))
    with pytest.raises(PopdqError, match="the file is UTF-8 text, not VNI read as Windows-1252:"
                                         " load it without --encoding"):
        read_extract(path, REGISTRY, "vni")


# ----------------------------------------------------------------------- mojibake in UTF-8

def mojibake(text: str, encoding: str) -> str:
    """Text in `encoding` read as Windows-1252 (UTF-8 for doubly-encoded UTF-8)."""
    from tests.unit.warehouse.test_encodings import as_windows_1252, encode

    raw = text.encode("utf-8") if encoding == "double-utf8" else encode(text, encoding)
    return as_windows_1252(raw)


@pytest.mark.parametrize(("encoding", "called"), [
    ("vni", "VNI text read as Windows-1252 and saved as UTF-8"),
    ("tcvn3", "TCVN3 (ABC) text read as Windows-1252 and saved as UTF-8"),
    ("double-utf8", "UTF-8 text read as Windows-1252 and saved again (doubly-encoded UTF-8)"),
])
def test_a_utf8_file_of_mojibake_names_is_refused_then_repaired_with_encoding(
    tmp_path: Path, encoding: str, called: str
) -> None:
    names = ["Nguyễn Văn An", "Trần Văn Bình", "Lê Văn Tú", "Vũ Văn Hùng"]
    names = [n.lower() for n in names] if encoding == "tcvn3" else names
    path = write(tmp_path / "registry.csv", mojibake(registry_text(names), encoding))
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    assert str(refused.value).startswith(f"registry.csv: 4 of 4 sampled names are {called} (")
    assert str(refused.value).endswith(f"rerun with --encoding {encoding} to convert it; "
                                       "nothing loaded")
    assert read_extract(path, REGISTRY, encoding).rows["full_name"].to_list() == names


def test_a_handful_of_mojibake_names_in_a_good_file_load(tmp_path: Path) -> None:
    good = [f"{i:012d},{LEGACY_NAMES[i % 8]} {i},1990,M,01,00004,alive" for i in range(1, 200)]
    odd = [f"{i:012d},{mojibake(LEGACY_NAMES[i % 8], 'vni')},1990,M,01,00004,alive"
           for i in range(200, 205)]
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *good, *odd]) + "\n")
    assert read_extract(path, REGISTRY).rows.height == 204  # the normaliser flags the five


def test_a_handful_of_mojibake_names_among_unaccented_ones_load(tmp_path: Path) -> None:
    plain = [f"{i:012d},Nguyen Van An {i},1990,M,01,00004,alive" for i in range(1, 200)]
    odd = [f"{i:012d},{mojibake(LEGACY_NAMES[i % 8], 'vni')},1990,M,01,00004,alive"
           for i in range(200, 205)]
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *plain, *odd]) + "\n")
    assert read_extract(path, REGISTRY).rows.height == 204


def test_mojibake_names_in_a_workbook_are_refused_pointing_to_csv(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for i, name in enumerate(LEGACY_NAMES, start=1):
        sheet.append([f"{i:012d}", mojibake(name, "vni"), "1990", "M", "01", "00004", "alive"])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    with pytest.raises(PopdqError, match="or save it as CSV and load that with --encoding vni;"):
        read_extract(path, REGISTRY)


def test_the_mojibake_sample_is_small_and_the_same_every_time() -> None:
    from warehouse.refusals import MOJIBAKE_NAMES, sample_names

    names = pl.Series([f"Nguyễn Văn {i}" for i in range(1_000_000)])
    sample = sample_names(names)
    assert len(sample) == MOJIBAKE_NAMES == len(set(sample))
    assert sample == sample_names(names)
    assert sample[-1] >= "Nguyễn Văn 990000"  # spread to the end of the file, not its head


# ------------------------------------------------------------ control characters, long values

def test_control_characters_set_the_record_aside_naming_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "registry.csv", WELL_FORMED["control characters, each in its own"
                                                       " record"])
    chosen, exact = read_both_ways(path, monkeypatch)
    assert same_extract(chosen, exact)
    assert [(q.line_number, q.rule, q.reason) for q in chosen.quarantined] == [
        (3, "control_characters", "full_name holds a control character (U+0000)"),
        (4, "control_characters", "province_code holds a control character (U+001B)"),
        (5, "control_characters", "full_name holds a control character (U+0085)"),
        (6, "control_characters", "full_name holds a control character (U+007F)"),
    ]
    assert chosen.rows["line_number"].to_list() == [2]


def test_tabs_and_line_breaks_are_text_not_control_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "registry.csv",
                 f'{HEADER}\n001090000001,"Phạm\r\nDũng\tAn",1990,M,01,00004,alive\n')
    assert read_extract(path, REGISTRY).rows["full_name"].to_list() == ["Phạm\r\nDũng\tAn"]


def test_control_characters_in_xlsx_and_parquet_follow_the_same_rule(tmp_path: Path) -> None:
    parquet = tmp_path / "registry.parquet"
    pl.DataFrame({**{c: ["001090000001", "001090000002"] for c in REGISTRY.required},
                  "full_name": ["An", "B\x00n"]}).write_parquet(parquet)
    assert [(q.line_number, q.reason) for q in read_extract(parquet, REGISTRY).quarantined] == [
        (2, "full_name holds a control character (U+0000)")]
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["001090000001", "An\x85", "1990", "M", "01", "00004", "alive"])
    sheet.append(["001090000002", "Bình", "1990", "F", "01", "00004", "alive"])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    extract = read_extract(path, REGISTRY)
    assert [(q.line_number, q.rule, q.reason) for q in extract.quarantined] == [
        (2, "control_characters", "full_name holds a control character (U+0085)")]


@pytest.mark.parametrize("irregular", [False, True], ids=["native", "exact"])
def test_a_value_too_long_is_quarantined_naming_the_column(tmp_path: Path,
                                                           irregular: bool) -> None:
    long_name = "Nguyễn " * (200_000 // 7)
    doubled = '"Lê ""Tí"""' if irregular else "Lê Tí"  # a doubled quote: the exact reader
    path = write(tmp_path / "registry.csv",
                 f"{HEADER}\n001090000001,{long_name},1990,M,01,00004,alive\n"
                 f"001090000002,{'x' * readers.MAX_FIELD_CHARS},1990,M,01,00004,alive\n"
                 f"001090000003,{doubled},1990,M,01,00004,alive\n")
    assert (readers.read_csv_natively(path.read_bytes()) is None) == irregular
    extract = read_extract(path, REGISTRY)
    assert [(q.line_number, q.rule, q.reason) for q in extract.quarantined] == [
        (2, "field_too_long", f"full_name is {len(long_name)} characters long (more than "
                              f"{readers.MAX_FIELD_CHARS:,})")]
    assert extract.rows["line_number"].to_list() == [3, 4]


# -------------------------------------------------------------- the registry's person_id

def test_registry_keys_that_are_not_12_digit_ids_are_quarantined(tmp_path: Path) -> None:
    rows = [
        "001090000001,An,1990,M,01,00004,alive",
        "001 090 000001,Spaces,1990,M,01,00004,alive",       # 3: the same ID once cleaned
        "00109000000A,Letters,1990,M,01,00004,alive",        # 4
        "００１０９００００００５,Fullwidth,1990,M,01,00004,alive",  # 5
        "01090000006,Eleven,1990,M,01,00004,alive",          # 6
        "\u00a0\u00a0,Blank,1990,M,01,00004,alive",          # 7: only spaces
        " 001090000007 ,Padded,1990,M,01,00004,alive",       # 8: loads, cleaned
    ]
    path = write(tmp_path / "registry.csv", "\n".join([HEADER, *rows]) + "\n")
    extract = read_extract(path, REGISTRY)
    assert [(q.line_number, q.rule, q.reason) for q in extract.quarantined] == [
        (3, "duplicate_key", "duplicate person_id (first at line 2)"),
        (4, "invalid_key", "person_id holds characters other than digits"),
        (5, "invalid_key", "person_id is written with full-width or other non-ASCII digits:"
                           " use 0-9"),
        (6, "invalid_key", "person_id has 11 digits, not 12"),
        (7, "empty_key", "empty person_id"),
    ]
    assert extract.rows["person_id"].to_list() == ["001090000001", "001090000007"]
    assert extract.rows_read == len(rows)


def test_source_keys_are_not_checked_as_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "tax.csv", "record_id,tax_code,full_name,status\n"
                                       "T 1,0100109106,An,active\nT1,0100109106,An,active\n")
    assert read_extract(path, DATASETS["tax"]).rows["record_id"].to_list() == ["T 1", "T1"]


# ----------------------------------------------------------------- what the file really is

@pytest.mark.parametrize(("content", "cause"), [
    (lambda t: t.encode("utf-16"), "the file is UTF-16 text, not CSV text in UTF-8: save it as"
                                   " UTF-8"),
    (lambda t: t.encode("utf-16-le"), "the file is UTF-16 text without a byte-order mark"),
    (lambda t: gzip.compress(t.encode()), "the file is gzip-compressed, not CSV text in UTF-8:"
                                          " decompress it (gunzip)"),
    (lambda t: t.replace(",", "\t").encode(), "the columns are separated by tabs, not commas"),
    (lambda t: t.replace(",", ";").encode(), "the columns are separated by semicolons, not"
                                             " commas"),
    (lambda t: t.replace("full_name", " full_name ", 1).encode(),
     "column ' full_name ' is written with spaces around the name: rename it 'full_name'"),
    (lambda t: t.replace(",", ", ", 2).encode(),
     "columns ' full_name', ' date_of_birth' are written with spaces around the name: rename"
     " them 'full_name', 'date_of_birth'"),
    (lambda t: t.replace("full_name", "Full_Name", 1).encode(),
     "column 'Full_Name' must be written 'full_name'"),
], ids=["utf-16", "utf-16 no BOM", "gzip", "tabs", "semicolons", "spaced", "spaces after commas",
        "capitals"])
def test_a_file_that_is_not_what_it_seems_is_named_for_its_real_cause(
    tmp_path: Path, content: Callable[[str], bytes], cause: str
) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(content(f"{HEADER}\n{ROW_A}\n{ROW_B}\n"))
    with pytest.raises(PopdqError) as refused:
        read_extract(path, REGISTRY)
    assert str(refused.value).startswith(f"registry.csv: {cause}")
    assert "missing required column" not in str(refused.value)


def test_a_directory_or_a_pipe_is_said_to_be_one(tmp_path: Path) -> None:
    folder = tmp_path / "registry.csv"
    folder.mkdir()
    with pytest.raises(PopdqError, match=r"registry\.csv: is a directory, not a file"):
        read_extract(folder, REGISTRY)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    with pytest.raises(PopdqError, match=r"pipe\.csv: is a named pipe \(FIFO\), not a regular"
                                         " file"):
        read_extract(pipe, REGISTRY)
