"""Masking personal data on screens and in reports."""

import pytest

from popdq.masking import mask_id, mask_value, printable, shorten_name


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("001090123456", "••••••••3456"),
        ("023456789", "•••••6789"),
        ("DN4790123456789", "•••••••••••6789"),
        ("1234567", "•••••••"),  # too short to show any part of it
        (None, None),
    ],
)
def test_identifiers_keep_only_their_last_four(value: str | None, masked: str | None) -> None:
    assert mask_id(value) == masked


def test_only_identifier_fields_are_masked() -> None:
    assert mask_value("id_number", "001090123456") == "••••••••3456"
    assert mask_value("person_id", "001090123456") == "••••••••3456"
    assert mask_value("province_code", "74") == "74"
    assert mask_value("date_of_birth", "1990-01-02") == "1990-01-02"
    assert mask_value("full_name", "Nguyễn Văn An") == "N. V. An"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Nguyễn Văn An", "N. V. An"),
        ("đặng  thị ngọc   ánh", "Đ. T. N. ánh"),
        ("Lò", "Lò"),
        ("", ""),
        (None, None),
    ],
)
def test_names_keep_initials_and_the_given_name(name: str | None, short: str | None) -> None:
    assert shorten_name(name) == short


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ESC
        ("bell\x07 back\x08 del\x7f nul\x00", "bell\\x07 back\\x08 del\\x7f nul\\x00"),
        ("c1\x9b2J \x85", "c1\\x9b2J \\x85"),  # C1 controls (CSI, NEL)
        ("tab\tcr\rlf\n", "tab\\x09cr\\x0dlf\\x0a"),
        ("\u202eAn\u202c \u202a\u202b\u202d", "\\u202eAn\\u202c \\u202a\\u202b\\u202d"),
        ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),  # isolates
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),  # marks
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("Nguyễn Văn An, 001•••••••56 ≠ ĐẶNG", "Nguyễn Văn An, 001•••••••56 ≠ ĐẶNG"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(printable(text)) == shown  # escaping twice changes nothing


def test_printable_can_keep_the_lines_of_a_view() -> None:
    assert printable("a\x1b\nb\r\n", keep_newlines=True) == "a\\x1b\nb\\x0d\n"
