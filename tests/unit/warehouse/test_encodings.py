"""Legacy Vietnamese encodings: the tables, decoding, recognising them, undoing mojibake."""

import csv
import unicodedata
from pathlib import Path

import pytest

from warehouse import encodings
from warehouse.encodings import (
    DOUBLE_UTF8,
    ENCODINGS,
    LEGACY,
    MOJIBAKE_SHARE,
    convert,
    decode_bytes,
    find_mojibake,
    guess_encoding,
    is_vietnamese_name,
    undo_mojibake,
)

TABLES = Path(encodings.__file__).parent / "data" / "encodings"
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Đặng Quốc Việt", "Phạm Ngọc Ánh",
         "Lê Thị Hồng Nhung", "Hoàng Minh Tuấn", "Vũ Thị Thu Hương", "Bùi Đức Thắng",
         "Đỗ Thị Ngọc Trâm", "Ngô Quang Huy", "Dương Thị Yến", "Huỳnh Tấn Phát"]
TONES = "\u0300\u0301\u0303\u0309\u0323"
LETTERS = {ch for base in "aăâeêioôơuưy" for tone in ["", *TONES]
           if not (ch := unicodedata.normalize("NFC", base + tone)).isascii()} | {"đ"}
"""The 67 small Vietnamese letters that are not ASCII."""


def encode(text: str, encoding: str) -> bytes:
    """Text in a legacy encoding (the inverse of the tables; Windows-1258 writes the tone as
    a combining mark after a letter it has)."""
    text = unicodedata.normalize("NFC", text)
    if encoding == "cp1258":
        out = b""
        for ch in text:
            split = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in split if c not in TONES))
            out += (base + "".join(c for c in split if c in TONES)).encode("cp1258")
        return out
    inverse = {char: seq for seq, char in encodings._table(encoding).items()}
    return "".join(inverse.get(ch, ch) for ch in text).encode("latin-1")


def as_windows_1252(data: bytes) -> str:
    """Bytes as Windows-1252 shows them (Latin-1 for the five bytes it lacks)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def rows(name: str) -> list[dict[str, str]]:
    with (TABLES / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------- the tables

@pytest.mark.parametrize("name", ["tcvn3", "vni", "viscii"])
def test_each_table_is_data_with_its_source_and_one_nfc_letter_per_row(name: str) -> None:
    table = rows(name)
    assert f"`{name}.csv`" in (TABLES / "README.md").read_text(encoding="utf-8")
    assert len({r["bytes"] for r in table}) == len(table)  # one reading per byte sequence
    for row in table:
        char = chr(int(row["code_point"].removeprefix("U+"), 16))
        assert row["character"] == char == unicodedata.normalize("NFC", char)
        assert len(bytes.fromhex(row["bytes"])) in (1, 2)


@pytest.mark.parametrize(("name", "letters"), [
    ("vni", LETTERS | {c.upper() for c in LETTERS}),
    ("viscii", LETTERS | {c.upper() for c in LETTERS}),
    ("tcvn3", LETTERS | set("ĂÂÊÔƠƯĐ")),  # TCVN3 has no capitals with tone marks
])
def test_each_table_holds_every_vietnamese_letter_once(name: str, letters: set[str]) -> None:
    chars = [r["character"] for r in rows(name) if r["character"] != "\u00a0"]
    assert sorted(chars) == sorted(letters)


@pytest.mark.parametrize(("encoding", "raw", "text"), [
    ("vni", b"Nguye\xe3n Va\xean \xd1a\xebng \xd6\xf4ng", "Nguyễn Văn Đặng Ương"),
    ("vni", b"H\xf6\xf8ng", "Hừng"),  # ư, then the byte of the huyền tone
    ("tcvn3", b"nguy\xd4n v\xa8n \xae\xc6ng", "nguyễn văn đặng"),
    ("viscii", b"Nguy\xadn V\xe5n \xd0\xa3ng \x14", "Nguyễn Văn Đặng Ỷ"),
    ("cp1258", b"Nguy\xea\xden V\xe3n \xd0\xe3\xf2ng", "Nguyễn Văn Đặng"),
])
def test_known_bytes_decode_to_nfc_text(encoding: str, raw: bytes, text: str) -> None:
    decoded = decode_bytes(raw, encoding)
    assert decoded == text
    assert unicodedata.is_normalized("NFC", decoded)


@pytest.mark.parametrize("encoding", LEGACY)
def test_names_survive_a_round_trip(encoding: str) -> None:
    names = [n.lower() if encoding == "tcvn3" else n for n in NAMES]
    for name in names:
        assert decode_bytes(encode(name, encoding), encoding) == name


@pytest.mark.parametrize(("encoding", "raw"), [
    ("tcvn3", b"L\x80e"),      # a byte VN3 leaves out (a VN1 capital)
    ("tcvn3", b"L\xb3e"),      # a VN1 combining mark, not VN3
    ("vni", b"b\xf9"),         # a tone byte after a consonant
    ("cp1258", b"a\x81"),      # unassigned in Windows-1258
])
def test_a_byte_the_encoding_lacks_is_marked_for_quarantine(encoding: str, raw: bytes) -> None:
    assert any("\udc80" <= ch <= "\udcff" for ch in decode_bytes(raw, encoding))


# ------------------------------------------------------------------------- recognising them

@pytest.mark.parametrize("encoding", LEGACY)
def test_the_encoding_a_file_is_in_is_recognised(encoding: str) -> None:
    names = [n.lower() if encoding == "tcvn3" else n for n in NAMES]
    data = b"person_id,full_name\n" + b"".join(
        f"00109000000{i},".encode() + encode(n, encoding) + b"\n" for i, n in enumerate(names))
    assert guess_encoding(data) == encoding


def test_no_encoding_is_named_for_text_that_is_not_vietnamese_under_any() -> None:
    assert guess_encoding("Müller,Öztürk,Ærø,Søren,Ñandú\n".encode("latin-1")) is None
    assert guess_encoding(b"plain ascii only\n") is None


def test_vietnamese_names_are_told_from_mojibake() -> None:
    assert all(is_vietnamese_name(n) for n in [*NAMES, "NGUYỄN VĂN AN", "nguyễn  văn an",
                                                "Nguyen Van An"])  # marks dropped: not judged
    assert not any(is_vietnamese_name(n) for n in
                   ["Nguyeãn Vaên An", "nguyÔn v¨n an", "Nguyá»…n", "Müller", ""])


# --------------------------------------------------------------------------------- mojibake

@pytest.mark.parametrize("encoding", LEGACY)
def test_legacy_text_read_as_windows_1252_is_decoded_back(encoding: str) -> None:
    for name in NAMES if encoding != "tcvn3" else [n.lower() for n in NAMES]:
        assert undo_mojibake(as_windows_1252(encode(name, encoding)), encoding) == name


def test_doubly_encoded_utf8_is_undone_however_often_it_happened() -> None:
    for name in NAMES:
        once = as_windows_1252(name.encode("utf-8"))
        twice = as_windows_1252(once.encode("utf-8"))
        assert undo_mojibake(once, DOUBLE_UTF8) == name == undo_mojibake(twice, DOUBLE_UTF8)


def test_a_character_mojibake_cannot_hold_is_marked_not_guessed() -> None:
    assert undo_mojibake("Nguyễn", "vni").endswith("\udcffn")  # ễ has no Windows-1252 byte
    assert "\udcff" in undo_mojibake("Lê Bé", DOUBLE_UTF8)     # é is not UTF-8 mojibake


def test_a_file_that_is_mostly_mojibake_names_its_encoding() -> None:
    moji = [as_windows_1252(encode(n, "vni")) for n in NAMES]
    found = find_mojibake(moji)
    assert found is not None
    assert (found.encoding, found.broken, found.sampled) == ("vni", len(NAMES), len(NAMES))
    assert found.example == ("Nguyeãn", "Nguyễn")
    doubly = find_mojibake([as_windows_1252(n.encode("utf-8")) for n in NAMES])
    assert doubly is not None and doubly.encoding == DOUBLE_UTF8


def test_a_handful_of_odd_names_in_a_good_file_do_not_make_it_mojibake() -> None:
    good = NAMES * 10
    odd = [as_windows_1252(encode(n, "vni")) for n in NAMES[:5]]
    assert len(odd) / len(good + odd) < MOJIBAKE_SHARE
    assert find_mojibake(good + odd) is None
    assert find_mojibake(["Nguyen Van An", "Tran Thi Binh"]) is None  # ASCII: nothing to tell


# ---------------------------------------------------------------------------- converting a file

def test_convert_reads_legacy_bytes_and_repairs_mojibake_in_utf8_files() -> None:
    line = "001090000001,Nguyễn Văn An\n"
    raw = encode(line, "vni")
    assert convert(raw, "vni") == line
    assert convert(as_windows_1252(raw).encode("utf-8"), "vni") == line
    assert convert(b"\xef\xbb\xbf" + as_windows_1252(raw).encode("utf-8"), "vni") == line
    assert convert(b"001,An\n", "tcvn3") == "001,An\n"
    assert convert(as_windows_1252(line.encode()).encode("utf-8"), DOUBLE_UTF8) == line
    assert set(ENCODINGS) == {*LEGACY, DOUBLE_UTF8}
