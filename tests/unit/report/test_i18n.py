"""The report's words and number formats, in Vietnamese and English."""

import datetime as dt

import pytest

from popdq.contract import CRITERIA, QUEUE_KINDS, SOURCE_KINDS
from popdq.errors import BadParameter
from report.i18n import LANGUAGES, language
from warehouse.lifecycle import STATUSES


def test_vietnamese_writes_dots_for_thousands_and_a_decimal_comma() -> None:
    vi = language("vi")
    assert vi.number(1234567) == "1.234.567"
    assert vi.number(87.06, 1) == "87,1"
    assert vi.percent(0.98765) == "98,8 %"
    assert vi.signed(-1903) == "−1.903"
    assert vi.signed(0.004, 2) == "±0,00"
    assert vi.number(None) == "–"


def test_english_writes_commas_for_thousands() -> None:
    en = language("en")
    assert en.number(1234567.25, 2) == "1,234,567.25"
    assert en.signed(12.5, 1) == "+12.5"


def test_dates_are_day_month_year() -> None:
    assert language("vi").date(dt.date(2026, 7, 2)) == "02/07/2026"
    assert language("en").date(dt.datetime(2026, 12, 3, 14, 5)) == "03/12/2026"


def test_both_languages_have_the_same_words_for_every_code() -> None:
    vi, en = (language(code).words for code in LANGUAGES)
    assert set(vi) == set(en)
    for table, codes in (("criteria", CRITERIA), ("kinds", QUEUE_KINDS),
                         ("sources", SOURCE_KINDS), ("statuses", STATUSES)):
        assert set(vi[table]) == set(en[table]) == set(codes)
    assert [vi["criteria"][c] for c in CRITERIA] == ["Đúng", "Đủ", "Sạch", "Sống"]


def test_another_language_is_refused_in_one_line() -> None:
    with pytest.raises(BadParameter, match="unknown language 'fr'"):
        language("fr")
