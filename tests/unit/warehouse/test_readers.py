"""Reading extracts: every format, BOM, header checks, quarantine accounting."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from popdq.contract import DATASETS
from popdq.errors import PopdqError
from warehouse.readers import read_extract

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
    assert extract.rows["person_id"].to_list() == ["001090000001", "1190000002"]
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
