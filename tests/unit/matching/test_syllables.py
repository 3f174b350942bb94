"""The Vietnamese syllable validator and per-token repairs (matching.syllables)."""

import pytest

from matching.syllables import TokenFlag, normalise_token, parse_syllable, split_tones


def _valid(token: str) -> bool:
    split = split_tones(token)
    assert split is not None
    base, marks = split
    return parse_syllable(base, marks[0][1] if marks else 0) is not None


@pytest.mark.parametrize("token", [
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ",
    "hồ", "ngô", "dương", "lý", "văn", "thị", "ngọc", "thanh", "minh", "quý", "quỳnh", "quốc",
    "giang", "giếng", "gìn", "già", "nghĩa", "kỳ", "khuỷu", "khuya", "người", "hươu", "yến",
    "uyên", "thuyền", "hòa", "khỏe", "thủy", "oanh", "xoong", "phúc", "phuc", "đức", "hạt",
])
def test_valid_syllables(token: str) -> None:
    assert _valid(token)


@pytest.mark.parametrize("token, why", [
    ("lee", "no rhyme ee"),
    ("ce", "c never before e/ê/i/y"),
    ("ka", "k only before e/ê/i/y"),
    ("gha", "gh only before e/ê/i"),
    ("ngha", "ngh only before e/ê/i"),
    ("nge", "ng never before e/ê/i"),
    ("hàt", "stop final -t takes only sắc or nặng"),
    ("hảp", "stop final -p takes only sắc or nặng"),
    ("lãc", "stop final -c takes only sắc or nặng"),
    ("thìch", "stop final -ch takes only sắc or nặng"),
    ("tyên", "yê only without onset or after qu"),
    ("iên", "iê needs an onset"),
    ("quu", "the u of qu is not a vowel of the rhyme"),
    ("trưong", "half-horned ươ"),
    ("niê", "open iê is written ia"),
])
def test_invalid_syllables(token: str, why: str) -> None:
    assert not _valid(token), why


@pytest.mark.parametrize("token, canonical, flag", [
    # One convention for open oa/oe/uy: tone on the first vowel (old style).
    ("hòa", "hòa", TokenFlag.NONE),
    ("hoà", "hòa", TokenFlag.OTHER_TONE_STYLE),
    ("khoẻ", "khỏe", TokenFlag.OTHER_TONE_STYLE),
    ("thuỷ", "thủy", TokenFlag.OTHER_TONE_STYLE),
    ("uý", "úy", TokenFlag.OTHER_TONE_STYLE),
    # Closed syllables have one spelling; a tone put elsewhere is mis-composed.
    ("hoàn", "hoàn", TokenFlag.NONE),
    ("hòan", "hoàn", TokenFlag.REPAIRED_VOWEL),
    ("thuyền", "thuyền", TokenFlag.NONE),
    ("huỳnh", "huỳnh", TokenFlag.NONE),
    ("hùynh", "huỳnh", TokenFlag.REPAIRED_VOWEL),
    # In qu- the u belongs to the consonant.
    ("quý", "quý", TokenFlag.NONE),
    ("qúy", "quý", TokenFlag.REPAIRED_VOWEL),
    ("qùynh", "quỳnh", TokenFlag.REPAIRED_VOWEL),
    # Mis-composed vowels.
    ("lựơng", "lượng", TokenFlag.REPAIRED_VOWEL),
    ("trưong", "trương", TokenFlag.REPAIRED_VOWEL),
    ("truơng", "trương", TokenFlag.REPAIRED_VOWEL),
    # Telex and VNI keystrokes left in the text.
    ("nguyeenx", "nguyễn", TokenFlag.REPAIRED_TELEX),
    ("nguyeexn", "nguyễn", TokenFlag.REPAIRED_TELEX),
    ("truwowngf", "trường", TokenFlag.REPAIRED_TELEX),
    ("thuowng", "thương", TokenFlag.REPAIRED_TELEX),
    ("ddinh", "đinh", TokenFlag.REPAIRED_TELEX),
    ("vawn", "văn", TokenFlag.REPAIRED_TELEX),
    ("nhw", "như", TokenFlag.REPAIRED_TELEX),
    ("nguye64n", "nguyễn", TokenFlag.REPAIRED_VNI),
    ("tra62n", "trần", TokenFlag.REPAIRED_VNI),
    ("d9o64", "đỗ", TokenFlag.REPAIRED_VNI),
    ("thuo7ng", "thương", TokenFlag.REPAIRED_VNI),
    ("va8n", "văn", TokenFlag.REPAIRED_VNI),
    # Guards: no Telex evidence, or the repair gives no valid syllable.
    ("lee", "lee", TokenFlag.NONE),
    ("moon", "moon", TokenFlag.NONE),
    ("james", "james", TokenFlag.NONE),
    ("ksor", "ksor", TokenFlag.NONE),
    ("a1b2", "a1b2", TokenFlag.NONE),
    # A wrong tone is a valid syllable: kept, it is a substantive difference.
    ("nguyển", "nguyển", TokenFlag.NONE),
])
def test_normalise_token(token: str, canonical: str, flag: TokenFlag) -> None:
    result = normalise_token(token)
    assert (result.canonical, result.flags) == (canonical.capitalize(), flag)


@pytest.mark.parametrize("token, folded", [
    ("đặng", "dang"), ("nguyễn", "nguyen"), ("người", "nguoi"), ("h'hen", "h'hen"),
    ("müller", "muller"),
])
def test_fold(token: str, folded: str) -> None:
    assert normalise_token(token).folded == folded
