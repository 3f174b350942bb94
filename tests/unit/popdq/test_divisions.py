"""The division tables (popdq.divisions): domain §3."""

import polars as pl

from popdq.divisions import load_divisions


def test_division_table_2025() -> None:
    """Domain §3: 34 provinces, 3,321 communes, 63 old codes mapped to the new ones."""
    divisions = load_divisions()
    assert divisions.version == "2025-07-01"
    assert divisions.provinces.height == 34
    assert divisions.communes.height == 3321
    assert len(divisions.old_province_codes) == 63
    assert set(divisions.old_province_codes.values()) == set(divisions.province_codes)


def test_commune_mapping_2025() -> None:
    """The official old → new commune conversion: many-to-many, onto the current communes."""
    divisions = load_divisions()
    mapping = divisions.commune_mapping
    assert mapping.columns == ["old_code", "old_name", "old_province_code", "new_code"]
    assert mapping.rows() == sorted(mapping.rows(), key=lambda r: (r[0], r[3]))
    assert mapping.select("old_code", "new_code").is_unique().all()
    assert all(len(c) == 5 and c.isdigit() for c in mapping.get_column("old_code"))
    assert mapping.get_column("old_code").n_unique() == 10033
    assert set(mapping.get_column("new_code")) <= divisions.commune_codes
    assert mapping.get_column("new_code").n_unique() == 3316  # 5 island zones had no commune
    assert set(mapping.get_column("old_province_code")) == set(divisions.old_province_codes)
    # Phúc Xá (Ba Đình district) became part of Hồng Hà; Ngọc Hà was split in two.
    assert mapping.filter(pl.col("old_code") == "00001").rows() == [
        ("00001", "Phường Phúc Xá", "01", "00097")]
    assert mapping.filter(pl.col("old_code") == "00016").get_column("new_code").to_list() == [
        "00004", "00008"]


def test_old_communes_are_the_codes_no_longer_current() -> None:
    old = load_divisions().old_communes
    assert old.height == 6717
    assert not set(old.get_column("old_code")) & load_divisions().commune_codes
    split = old.filter(pl.col("old_code") == "25741").row(0, named=True)
    assert split == {"old_code": "25741", "new_codes": ["25747", "25750"], "current": None,
                     "province": "79"}
    assert old.filter(pl.col("old_code") == "25753").row(0, named=True)["current"] == "25747"
