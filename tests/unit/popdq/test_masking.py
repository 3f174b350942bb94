"""Masking personal data on screens and in reports."""

import pytest

from popdq.masking import mask_id, mask_value


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("001090123456", "001•••••••56"),
        ("023456789", "023••••89"),
        ("DN4790123456789", "DN4••••••••••89"),
        ("1234", "••••"),  # too short to show any part of it
        (None, None),
    ],
)
def test_identifiers_keep_only_their_ends(value: str | None, masked: str | None) -> None:
    assert mask_id(value) == masked


def test_only_identifier_fields_are_masked() -> None:
    assert mask_value("id_number", "001090123456") == "001•••••••56"
    assert mask_value("person_id", "001090123456") == "001•••••••56"
    assert mask_value("province_code", "74") == "74"
    assert mask_value("date_of_birth", "1990-01-02") == "1990-01-02"
