"""The division tables (popdq.divisions): domain §3."""

from popdq.divisions import load_divisions


def test_division_table_2025() -> None:
    """Domain §3: 34 provinces, 3,321 communes, 63 old codes mapped to the new ones."""
    divisions = load_divisions()
    assert divisions.version == "2025-07-01"
    assert divisions.provinces.height == 34
    assert divisions.communes.height == 3321
    assert len(divisions.old_province_codes) == 63
    assert set(divisions.old_province_codes.values()) == set(divisions.province_codes)
