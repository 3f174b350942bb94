"""Exports: CSV, Parquet or .xlsx by name, owner-only, formulas neutralised."""

import io
import stat
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from popdq.errors import PopdqError
from warehouse import exports
from warehouse.exports import neutralise_formulas, stream_export, write_export

FRAME = pl.DataFrame({
    "record_id": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tX", "plain", None],
    "score": [0.5, 1.0, 0.123456789, 0.0, 1.0, 0.25, None],
})


def test_csv_neutralises_formula_cells_and_is_owner_only(tmp_path: Path) -> None:
    out = write_export(FRAME, tmp_path / "m.csv")
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0] == "record_id,score"
    assert text[1].startswith("\"'=HYPERLINK(")
    assert [line.split(",")[0] for line in text[2:5]] == ["'+1", "'-2", "'@SUM(A1)"]
    assert text[6] == "plain,0.250000"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".m.csv.*"))  # no temporary left behind


def test_parquet_keeps_values_as_they_are(tmp_path: Path) -> None:
    out = write_export(FRAME, tmp_path / "m.parquet")
    assert pl.read_parquet(out).equals(FRAME)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_same_frame_same_bytes(tmp_path: Path) -> None:
    a = write_export(FRAME, tmp_path / "a.csv").read_bytes()
    b = write_export(FRAME, tmp_path / "b.csv").read_bytes()
    assert a == b


@pytest.mark.parametrize("cell", [
    "=1+1", "+1", "-2", "@SUM(A1)",  # what was neutralised before
    " =1+1", "   +cmd|' /C calc'!A0", "\u00a0=1", "\u3000@x",  # a sign after whitespace
    "＝1+1", "＋1", "－2", "＠SUM(A1)",  # full-width signs
    "\tX", "\rX", "\nX", "\t=1", "\r\n@x",  # tab, CR, LF first
])
def test_formula_starts_are_neutralised(cell: str) -> None:
    assert neutralise_formulas(pl.DataFrame({"c": [cell]}))["c"].to_list() == ["'" + cell]


@pytest.mark.parametrize("cell", ["plain", "  plain", "a=b", "x\n=1", "Nguyễn Văn An", "",
                                  "001090000001", "2026-07-01"])
def test_ordinary_text_is_left_as_it_is(cell: str) -> None:
    assert neutralise_formulas(pl.DataFrame({"c": [cell]}))["c"].to_list() == [cell]


def test_a_stream_gets_the_same_csv_as_a_file(tmp_path: Path) -> None:
    sink = io.BytesIO()
    stream_export(FRAME, sink)
    assert sink.getvalue() == write_export(FRAME, tmp_path / "m.csv").read_bytes()


def test_a_workbook_has_one_sheet_a_frozen_filtered_header_and_no_formula(
        tmp_path: Path) -> None:
    frame = FRAME.with_columns(pl.Series("detail", ["a", "b", "c", "d", "e", "x\x01y", "g"]))
    out = write_export(frame, tmp_path / "d.xlsx")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    book = openpyxl.load_workbook(out)
    assert len(book.worksheets) == 1
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C8"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["record_id", "score", "detail"]
    assert [r[0] for r in rows[1:]] == FRAME["record_id"].to_list()  # text as written
    formula = sheet["A2"]
    assert formula.data_type == "s" and formula.quotePrefix  # text, never evaluated
    assert not sheet["A7"].quotePrefix  # plain text stays plain
    assert sheet["B2"].value == 0.5 and sheet["B2"].data_type == "n"
    assert rows[6][2] == "x\ufffdy"  # a control character a workbook cannot hold


def test_a_workbook_refuses_more_rows_than_a_sheet_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "XLSX_ROWS", 3)
    with pytest.raises(PopdqError, match=r"d.xlsx: 7 rows do not fit an Excel sheet"):
        write_export(FRAME, tmp_path / "d.xlsx")
    assert not list(tmp_path.iterdir())
