"""Sex codes (matching.sex)."""

import unicodedata

import polars as pl
import pytest

from matching.sex import normalise_sex


@pytest.mark.parametrize("raw, code, invalid", [
    ("Nam", "M", False), ("nam", "M", False), ("NAM", "M", False),
    ("Nữ", "F", False), ("nữ", "F", False), ("NỮ", "F", False),
    (unicodedata.normalize("NFD", "Nữ"), "F", False), ("Nu", "F", False),
    ("M", "M", False), ("m", "M", False), ("F", "F", False), ("f", "F", False),
    ("male", "M", False), ("Female", "F", False), (" Nam ", "M", False),
    ("", None, False), (None, None, False),
    ("X", None, True), ("khác", None, True), ("1", None, True),
])
def test_normalise_sex(raw: str | None, code: str | None, invalid: bool) -> None:
    frame = pl.DataFrame({"sex": [raw]}, schema={"sex": pl.String})
    row = normalise_sex(frame, "sex").row(0, named=True)
    assert (row["sex"], row["sex_code"], row["sex_invalid"]) == (raw, code, invalid)
