"""Province and commune codes (matching.localities): domain §3."""

import shutil
from pathlib import Path

import polars as pl
import pytest

from matching.localities import (
    normalise_communes,
    normalise_localities,
    normalise_provinces,
)
from popdq import divisions
from popdq.divisions import load_divisions


@pytest.mark.parametrize("old, new", [
    ("02", "08"), ("10", "15"), ("74", "79"), ("77", "79"), ("79", "79"), ("40", "40"),
    ("94", "92"), ("95", "96"), ("72", "80"), ("49", "48"),
])
def test_old_to_new_province(old: str, new: str) -> None:
    assert load_divisions().old_province_codes[old] == new


def provinces(values: list[str | None]) -> list[tuple]:
    frame = pl.DataFrame({"province_code": values}, schema={"province_code": pl.String})
    out = normalise_provinces(frame, "province_code")
    return list(out.select("province_code_current", "province_code_status",
                           "province_code_ambiguous", "province_code_padded").iter_rows())


@pytest.mark.parametrize("raw, expected", [
    ("79", ("79", "current", True, False)),
    ("40", ("40", "current", True, False)),
    ("01", ("01", "current", True, False)),
    ("74", ("79", "outdated", False, False)),
    ("02", ("08", "outdated", False, False)),
    ("1", ("01", "current", True, True)),
    ("2", ("08", "outdated", False, True)),
    (" 79 ", ("79", "current", True, False)),
    ("99", (None, "unknown", False, False)),
    ("HN", (None, "unknown", False, False)),
    ("", (None, None, False, False)),
    (None, (None, None, False, False)),
])
def test_provinces(raw: str | None, expected: tuple) -> None:
    assert provinces([raw]) == [expected]


def communes(values: list[str | None]) -> list[tuple]:
    frame = pl.DataFrame({"commune_code": values}, schema={"commune_code": pl.String})
    out = normalise_communes(frame, "commune_code")
    return list(out.select("commune_code_current", "commune_code_province",
                           "commune_code_status", "commune_code_padded").iter_rows())


@pytest.mark.parametrize("raw, expected", [
    ("00004", ("00004", "01", "current", False)),
    ("4", ("00004", "01", "current", True)),
    ("25747", ("25747", "79", "current", False)),
    ("16681", ("16681", "40", "current", False)),
    ("00001", ("00097", "01", "outdated", False)),   # Phúc Xá, now in Hồng Hà
    ("1", ("00097", "01", "outdated", True)),
    ("25753", ("25747", "79", "outdated", False)),   # Phú Thọ (Bình Dương), now Thủ Dầu Một
    ("25741", (None, "79", "outdated", False)),      # Hiệp Thành: split in two, both in 79
    ("00002", (None, None, "not_current", False)),   # neither current nor pre-2025
    ("99999", (None, None, "not_current", False)),
    ("123456", (None, None, "invalid", False)),
    ("abc", (None, None, "invalid", False)),
    ("", (None, None, None, False)),
    (None, (None, None, None, False)),
])
def test_communes(raw: str | None, expected: tuple) -> None:
    assert communes([raw]) == [expected]


@pytest.mark.parametrize("raw, candidates", [
    ("25741", "25747;25750"),
    ("00016", "00004;00008"),
    ("25753", None),
    ("25747", None),
    ("00002", None),
    (None, None),
])
def test_a_split_commune_lists_its_candidates(raw: str | None, candidates: str | None) -> None:
    frame = pl.DataFrame({"commune_code": [raw]}, schema={"commune_code": pl.String})
    out = normalise_communes(frame, "commune_code")
    assert out.row(0, named=True)["commune_code_candidates"] == candidates


def test_a_pre_2025_commune_is_mapped() -> None:
    """An old commune that lies in one commune now is the record's place; a split one
    still tells the province; an old province and an old commune agree (no conflict)."""
    frame = pl.DataFrame({
        "province_code": ["74", "79", "74", "01", "74"],
        "commune_code": ["25753", "25753", "25741", "25753", "00002"],
    })
    out = normalise_localities(frame)
    assert list(out.select("locality_province", "locality_commune", "locality_conflict")
                .iter_rows()) == [
        ("79", "25747", False),
        ("79", "25747", False),
        ("79", None, False),
        ("79", "25747", True),
        ("79", None, False),
    ]


def test_record_locality() -> None:
    frame = pl.DataFrame({
        "province_code": ["79", "74", "74", "01", None, "99"],
        "commune_code": ["25747", "25747", "00004", None, "00004", "00002"],
    })
    out = normalise_localities(frame)
    assert list(out.select("locality_province", "locality_commune", "locality_conflict")
                .iter_rows()) == [
        ("79", "25747", False),
        ("79", "25747", False),
        ("01", "00004", True),
        ("01", None, False),
        ("01", "00004", False),
        (None, None, False),
    ]


def test_record_locality_without_commune() -> None:
    out = normalise_localities(pl.DataFrame({"province_code": ["74"]}), commune_column=None)
    assert out.row(0, named=True)["locality_province"] == "79"
    assert out.row(0, named=True)["locality_commune"] is None


def test_next_merger_is_a_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new dated folder becomes the default; the old one stays loadable by name."""
    current = divisions.DIVISIONS_DIR / "2025-07-01"
    shutil.copytree(current, tmp_path / "2025-07-01")
    later = tmp_path / "2030-01-01"
    shutil.copytree(current, later)
    (later / "provinces.csv").write_text(
        "province_code,name,division_type\n79,Thành phố Hồ Chí Minh,thành phố trung ương\n",
        encoding="utf-8",
    )
    mapping = (later / "province_mapping.csv").read_text(encoding="utf-8")
    mapping = "\n".join(
        line if line.startswith("old_code") else ",".join([*line.split(",")[:2], "79"])
        for line in mapping.splitlines() if line
    )
    (later / "province_mapping.csv").write_text(mapping + "\n", encoding="utf-8")
    monkeypatch.setattr(divisions, "DIVISIONS_DIR", tmp_path)
    load_divisions.cache_clear()
    try:
        assert divisions.available_versions() == ["2025-07-01", "2030-01-01"]
        assert provinces(["40"]) == [("79", "outdated", False, False)]
        old = load_divisions("2025-07-01")
        frame = normalise_provinces(pl.DataFrame({"p": ["40"]}), "p", divisions=old)
        assert frame.row(0, named=True)["p_status"] == "current"
        with pytest.raises(ValueError, match="unknown division version"):
            load_divisions("1999-01-01")
    finally:
        load_divisions.cache_clear()
