"""A locality parsed once at the boundary (popdq.localities)."""

import pytest

from popdq.errors import BadParameter
from popdq.localities import Locality, parse_locality


def test_current_province_and_commune_codes_are_localities() -> None:
    assert parse_locality("79") == Locality("province", "79", "2025-07-01")
    assert parse_locality("00004") == Locality("commune", "00004", "2025-07-01")
    assert str(parse_locality("26704")) == "26704"


@pytest.mark.parametrize("bad", ["74", "7", "999", "99999", "00000", "../../etc",
                                 "40' OR 1=1", "79' OR 1=1 --", "01; DROP TABLE runs", ""])
def test_anything_else_is_refused_with_exit_code_2(bad: str) -> None:
    with pytest.raises(BadParameter, match="unknown locality") as refused:
        parse_locality(bad)
    assert refused.value.exit_code == 2
    assert repr(bad) in str(refused.value)
