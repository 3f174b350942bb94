"""Syllable mistypings reproduce the examples of domain §1."""

import unicodedata

import numpy as np
import pytest

from synth import spelling


@pytest.mark.parametrize(("syllable", "expected"), [
    ("Nguyễn", "Nguyeenx"), ("Văn", "Vawn"), ("Đức", "Dduwcs"), ("Trường", "Truwowngf"),
    ("Lê", "Lee"),
])
def test_telex(syllable: str, expected: str) -> None:
    assert spelling.telex(syllable) == expected


@pytest.mark.parametrize(("syllable", "expected"), [
    ("Nguyễn", "Nguye64n"), ("Văn", "Va8n"), ("Đức", "D9u71c"),
])
def test_vni(syllable: str, expected: str) -> None:
    assert spelling.vni(syllable) == expected


@pytest.mark.parametrize(("old", "new"), [
    ("Hòa", "Hoà"), ("Thủy", "Thuỷ"), ("Khỏe", "Khoẻ"), ("Thúy", "Thuý"),
    ("Quý", "Quý"), ("Hoàng", "Hoàng"), ("Huy", "Huy"), ("Quỳnh", "Quỳnh"),
])
def test_tone_convention_moves_only_open_oa_oe_uy(old: str, new: str) -> None:
    assert spelling.tone_convention(old) == new


def test_formatting_variants() -> None:
    assert spelling.miscompose("Lượng") == "Lựơng"
    assert spelling.miscompose("Lan") == "Lan"
    assert spelling.strip_diacritics("Đặng") == "Dang"
    assert spelling.eth("Đức") == "\u00d0ức"
    assert len(spelling.nfd("Nguyễn")) == 8
    assert unicodedata.normalize("NFC", spelling.nfd("Nguyễn")) == "Nguyễn"


def test_typos_change_a_letter_and_retones_change_the_tone() -> None:
    rng = np.random.default_rng(0)
    for syllable in ("Nguyễn", "Văn", "Thị", "Ý", "Âu", "Đào", "Quỳnh"):
        typo = spelling.typo(syllable, rng)
        assert spelling.strip_diacritics(typo).lower() != spelling.strip_diacritics(
            syllable).lower()
    assert spelling.retones("Nguyễn")[0] == "Nguyển"
    assert len(set(spelling.retones("Nguyễn"))) == 4
    assert all(spelling.strip_diacritics(r) == "Nguyen" for r in spelling.retones("Nguyễn"))
    assert spelling.retones("Văn") == []
