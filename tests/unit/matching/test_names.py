"""Name normalisation (matching.names): domain §1 rules, properties and the acceptance case."""

import re
import unicodedata
from typing import Literal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.names import FLAGS, normalise_name, normalise_names

# Real name syllables: common family, middle and given names (domain §1), with
# open oa/oe/uy syllables so that the tone convention is exercised.
SYLLABLES = " ".join((
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Văn Thị Ngọc "
    "Thanh Minh Hữu Đức Quốc Xuân Thu Kim An Anh Bình Cường Dũng Giang Hà Hải Hòa Hùng Hương "
    "Khánh Lan Linh Long Mai Nam Nga Ngân Phúc Phương Quân Quý Quỳnh Sơn Tâm Thảo Thủy Thúy "
    "Trang Trung Tuấn Việt Yến Thuyền Khoa Hoàn Loan Thắng Tùng Khỏe Lượng Trường Tường Nghĩa "
    "Uyên Huệ Khuê Toàn Trãi Hoa",
)).split()
TONED = "àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ"


def strip_marks(text: str) -> str:
    """What a keyboard without Vietnamese gives: no marks at all, Đ→D."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("Đ", "D").replace("đ", "d")


def new_style(text: str) -> str:
    """Rewrite open oa/oe/uy with the tone on the second vowel (hòa → hoà), outside qu-."""

    def move(m: re.Match[str]) -> str:
        first = unicodedata.normalize("NFD", m.group(1))
        return first[0] + unicodedata.normalize("NFC", m.group(2) + first[1:])

    return re.sub(r"(?<![qQ])([òóỏõọÒÓỎÕỌùúủũụÙÚỦŨỤ])([aeyAEY])\b", move, text)


VNI_KEYS = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5",
            "\u0302": "6", "\u031b": "7", "\u0306": "8"}


def vni(text: str) -> str:
    """The text typed on a VNI keyboard with the input method off: marks as digits."""
    words = []
    for word in text.split():
        letters, tone = "", ""
        for ch in unicodedata.normalize("NFD", word.replace("Đ", "D9").replace("đ", "d9")):
            if ch in "\u0301\u0300\u0309\u0303\u0323":
                tone = VNI_KEYS[ch]
            else:
                letters += VNI_KEYS.get(ch, ch)
        words.append(letters + tone)
    return " ".join(words)


names = st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=6).map(" ".join)


@pytest.mark.parametrize("raw, canonical", [
    # NFC first: NFD text gives the NFC form.
    (unicodedata.normalize("NFD", "Nguyễn Văn An"), "Nguyễn Văn An"),
    # Ð (U+00D0, eth) typed for Đ.
    ("\u00d0ặng Thị Mai", "Đặng Thị Mai"),
    ("\u00f0ặng thị mai", "Đặng Thị Mai"),
    # Case and spacing.
    ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
    ("nguyễn văn an", "Nguyễn Văn An"),
    ("  Nguyễn \t Văn\u00a0 An  ", "Nguyễn Văn An"),
    ("Ngu\u200byễn Văn An", "Nguyễn Văn An"),
    # One tone convention for open oa/oe/uy.
    ("Lê Thị Hoà", "Lê Thị Hòa"),
    ("Lê Thị Thuỷ", "Lê Thị Thủy"),
    ("Trần Văn Khoẻ", "Trần Văn Khỏe"),
    # qu-: the u belongs to the consonant.
    ("Trần Văn Qúy", "Trần Văn Quý"),
    # Keystroke leftovers and mis-composed vowels.
    ("Nguyeenx Vawn Anh", "Nguyễn Văn Anh"),
    ("Nguye64n Va8n Anh", "Nguyễn Văn Anh"),
    ("Trưong Văn Lựơng", "Trương Văn Lượng"),
    # No diacritics: kept as typed (accents cannot be recovered).
    ("Nguyen Van A", "Nguyen Van A"),
    # A doubled vowel alone is Telex only in a name with other Telex tokens.
    ("Nguyeenx Thij Haan", "Nguyễn Thị Hân"),
    ("Traanf Thij Chaau", "Trần Thị Châu"),
    ("Tran Thi Haan", "Tran Thi Haan"),
    # A foreign name is not turned into a Vietnamese one.
    ("Lee Min Ho", "Lee Min Ho"),
])
def test_canonical_form(raw: str, canonical: str) -> None:
    assert normalise_name(raw).canonical == canonical


def test_nfc_lengths() -> None:
    """Domain §1: Nguyễn is 6 code points in NFC, 8 in NFD; the canonical form is NFC."""
    nfd = unicodedata.normalize("NFD", "Nguyễn")
    assert len(nfd) == 8
    assert len(normalise_name(nfd).canonical or "") == 6


@pytest.mark.parametrize("raw, flags", [
    ("Nguyễn Văn An", set()),
    ("Nguyen Van An", {"no_diacritics"}),
    ("NGUYỄN VĂN AN", {"upper_case"}),
    ("NGUYEN VAN AN", {"upper_case", "no_diacritics"}),
    (unicodedata.normalize("NFD", "Nguyễn Văn An"), {"nfd"}),
    ("Lê Thị Hoà", {"other_tone_style"}),
    ("Nguyeenx Văn An", {"repaired_telex"}),
    ("Nguye64n Văn An", {"repaired_vni"}),
    ("Trần Văn Lựơng", {"repaired_vowel"}),
    ("Trần Văn Qúy", {"repaired_vowel"}),
    ("\u00d0ặng Văn An", {"eth_for_d"}),
    ("Nguyễn  Văn An", {"odd_spacing"}),
    (" Nguyễn Văn An", {"odd_spacing"}),
    ("Nguyễn\u00a0Văn An", {"odd_spacing"}),
    ("", set()),
    (None, set()),
])
def test_flags(raw: str | None, flags: set[str]) -> None:
    assert normalise_name(raw).flags == flags


def test_folding_maps_d_with_stroke() -> None:
    """Domain §1: Đ has no decomposition; the key must map it to d itself."""
    assert normalise_name("Đặng Đình Đức").key == "dang dinh duc"
    assert normalise_name("\u00d0ặng \u00f0ình").key == "dang dinh"


def test_key_has_one_ascii_word_per_token() -> None:
    assert normalise_name("Nguyễn 中文 Müller").key == "nguyen zhongwen muller"


@pytest.mark.parametrize("a, b", [
    ("Nguyễn Văn An", "Nguyên Văn An"),
    ("Nguyễn Văn An", "Nguyễn Vân An"),
])
def test_folding_merges_names_the_canonical_form_keeps_apart(a: str, b: str) -> None:
    """Domain §1: nguyen = Nguyễn or Nguyên, van = Văn or Vân."""
    na, nb = normalise_name(a), normalise_name(b)
    assert na.key == nb.key
    assert na.canonical != nb.canonical


@pytest.mark.parametrize("raw, family, middle, given", [
    ("Nguyễn Trãi", "Nguyễn", None, "Trãi"),
    ("Phạm Bình Minh", "Phạm", "Bình", "Minh"),
    ("Hoàng Phủ Ngọc Tường", "Hoàng Phủ", "Ngọc", "Tường"),
    ("hoang phu ngoc tuong", "Hoang Phu", "Ngoc", "Tuong"),
    ("Trần Lê Quốc Toàn", "Trần", "Lê Quốc", "Toàn"),
    ("Tôn Thất Thuyết", "Tôn Thất", None, "Thuyết"),
    ("Tôn Nữ Thị Ninh", "Tôn Nữ", "Thị", "Ninh"),
    ("Âu Dương Lân", "Âu Dương", None, "Lân"),
    ("Công Tằng Tôn Nữ Thị Hoa", "Công Tằng Tôn Nữ", "Thị", "Hoa"),
    ("Tôn Nữ", "Tôn", None, "Nữ"),
    ("Lành", None, None, "Lành"),
])
def test_parts(raw: str, family: str | None, middle: str | None, given: str | None) -> None:
    n = normalise_name(raw)
    assert (n.family, n.middle, n.given) == (family, middle, given)


def test_western_order_keeps_the_tokens() -> None:
    """Domain §1: Western order is a moved part (a difference) but the same syllables."""
    eastern = normalise_name("Nguyễn Thị Thanh Thảo")
    western = normalise_name("Thị Thanh Thảo Nguyễn")
    assert eastern.canonical != western.canonical
    assert sorted(eastern.tokens) == sorted(western.tokens)


def test_frame_and_scalar_agree() -> None:
    raws = ["Nguyễn Văn An", "NGUYEN VAN AN", "  Lê Thị Hoà", None, "", "Tôn Nữ Thị Ninh"]
    frame = normalise_names(pl.DataFrame({"full_name": raws}), "full_name")
    assert frame.get_column("full_name").to_list() == raws
    for row, raw in zip(frame.iter_rows(named=True), raws, strict=True):
        scalar = normalise_name(raw)
        assert row["full_name_canonical"] == scalar.canonical
        assert row["full_name_key"] == scalar.key
        assert tuple(row["full_name_tokens"] or ()) == scalar.tokens
        assert {f for f in FLAGS if row[f"full_name_{f}"]} == scalar.flags


@settings(deadline=None)
@given(names)
def test_acceptance_formatting_variants_give_one_canonical_form(name: str) -> None:
    reference = normalise_name(name)
    variants = [
        unicodedata.normalize("NFD", name),
        name.upper(),
        name.lower(),
        new_style(name),
        name.replace("Đ", "\u00d0").replace("đ", "\u00f0"),
        "  " + name.replace(" ", "   ") + " \t",
        unicodedata.normalize("NFD", new_style(name.upper())).replace(" ", "\u00a0 "),
        vni(name),
    ]
    for variant in variants:
        normalised = normalise_name(variant)
        assert normalised.canonical == reference.canonical, variant
        assert normalised.key == reference.key, variant
    assert normalise_name(strip_marks(name)).key == reference.key


def _retone(token: str) -> str | None:
    """The token with its tone changed (Nguyễn → Nguyển), or None when it has none."""
    for i, ch in enumerate(token):
        if ch.lower() in TONED:
            group = TONED.index(ch.lower()) // 5
            choices = TONED[group * 5:group * 5 + 5].replace(ch.lower(), "")
            return token[:i] + choices[0] + token[i + 1:]
    return None


@settings(deadline=None)
@given(names, st.data())
def test_substantive_differences_change_the_canonical_form(name: str, data: st.DataObject) -> None:
    tokens = name.split()
    reference = normalise_name(name).canonical
    i = data.draw(st.integers(0, len(tokens) - 1))
    other = data.draw(st.sampled_from([s for s in SYLLABLES if s != tokens[i]]))
    changed = [*tokens[:i], other, *tokens[i + 1:]]
    assert normalise_name(" ".join(changed)).canonical != reference
    retoned = _retone(tokens[i])
    if retoned is not None:
        retoned_name = " ".join([*tokens[:i], retoned, *tokens[i + 1:]])
        assert normalise_name(retoned_name).canonical != reference
    if len(tokens) > 1:
        assert normalise_name(" ".join(tokens[:i] + tokens[i + 1:])).canonical != reference
        j = data.draw(st.integers(0, len(tokens) - 1))
        if tokens[i] != tokens[j]:
            moved = list(tokens)
            moved[i], moved[j] = moved[j], moved[i]
            assert normalise_name(" ".join(moved)).canonical != reference


def test_wrong_tone_is_a_difference() -> None:
    """Domain §1: a commune issued 1,094 birth certificates spelled Nguyển."""
    assert normalise_name("Nguyển Văn An").canonical != normalise_name("Nguyễn Văn An").canonical
    assert normalise_name("Nguyển Văn An").key == normalise_name("Nguyễn Văn An").key


SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
any_text = st.text(
    st.characters(codec="utf-8", exclude_categories=SURROGATES), max_size=30
) | st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxy ÀÁẢÃẠàáảãạ\u0300\u0301\u0309\u0303\u0323"
                     "0123456789wfjzÐð \t\u00a0", max_size=30)


@settings(deadline=None)
@given(any_text)
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_name(text)
    twice = normalise_name(once.canonical)
    assert twice.canonical == once.canonical
    assert twice.key == once.key


@settings(deadline=None)
@given(any_text)
def test_folding_never_keeps_a_non_ascii_letter(text: str) -> None:
    key = normalise_name(text).key
    assert key is None or (key.isascii() and key == key.lower())


@settings(deadline=None)
@given(names)
def test_canonical_form_is_nfc_title_case_single_spaced(name: str) -> None:
    canonical = normalise_name(name).canonical or ""
    assert unicodedata.is_normalized("NFC", canonical)
    assert "  " not in canonical and canonical == canonical.strip()
    assert all(token[0].isupper() and token[1:] == token[1:].lower() for token in canonical.split())


@pytest.mark.parametrize(
    ("raw", "canonical", "repaired"),
    [
        ("Nguyá»…n VÄƒn An", "Nguyễn Văn An", True),   # UTF-8 read as Windows-1252
        ("Tráº§n Thá»‹ BÃ¬nh", "Trần Thị Bình", True),
        ("LÃª Æ¯á»›c", "Lê Ước", True),
        ("NGÃ THỊ ÂN", "Ngã Thị Ân", False),              # a real Ã is left alone
        ("NGÃ VAN AN", "Ngã Van An", False),
        ("VÅ© Lan", "Vũ Lan", True),                      # ũ is C5 A9
        ("Ä\x90á»— Thá»\x8d", "Đỗ Thọ", True),           # bytes 1252 lacks, read as C1
        ("Nguyá»…n Thá»‹ HÃ", "Nguyễn Thị Hà", True),     # à = Ã + no-break space, trimmed
        ("HÃ\xa0 Minh HÃ", "Hà Minh Hà", True),
    ],
)
def test_mojibake_from_a_legacy_round_trip_is_undone(
    raw: str, canonical: str, repaired: bool
) -> None:
    name = normalise_name(raw)
    assert name.canonical == canonical
    assert ("repaired_mojibake" in name.flags) is repaired


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Phamj Coong Long", "Phạm Công Long"),   # -oong is a rhyme (xoong), not a name
        ("NOONG THU MEENS", "Nông Thu Mến"),
        ("Oong Thij Thow", "Ông Thị Thơ"),
        ("Trần Xoong", "Trần Xoong"),             # no Telex in the name: left alone
        ("Lee Min Ho", "Lee Min Ho"),
    ],
)
def test_doubled_vowels_in_a_telex_name_are_telex_even_when_valid(
    raw: str, canonical: str
) -> None:
    assert normalise_name(raw).canonical == canonical
