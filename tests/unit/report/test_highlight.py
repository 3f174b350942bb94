"""Character differences of a source value and the registry's (report.highlight) and the
`diff` macro that shows them."""

import itertools
import unicodedata

import jinja2

from report.highlight import Segment, differences

MACROS = jinja2.Environment(loader=jinja2.PackageLoader("report", "templates"),
                            autoescape=True).get_template("charts.html").module


def diff(segments: list[Segment]) -> str:
    return str(MACROS.diff(segments))  # type: ignore[attr-defined]


def test_an_extra_letter_is_marked_on_its_side_only() -> None:
    left, right = differences("Nguyễn Văn An", "Nguyễn Văn Anh")
    assert left == [Segment("Nguyễn Văn An", False)]
    assert right == [Segment("Nguyễn Văn An", False), Segment("h", True)]


def test_a_diacritic_is_one_differing_character() -> None:
    left, right = differences("Nguyễn", "Nguyên")
    assert left == [Segment("Nguy", False), Segment("ễ", True), Segment("n", False)]
    assert right == [Segment("Nguy", False), Segment("ê", True), Segment("n", False)]


def test_case_differs_but_decomposed_text_does_not() -> None:
    assert differences("nguyễn", "Nguyễn")[1] == [Segment("N", True), Segment("guyễn", False)]
    left, right = differences(unicodedata.normalize("NFD", "Trần Thị Hà"), "Trần Thị Hà")
    assert left == right == [Segment("Trần Thị Hà", False)]


def test_identical_values_have_no_differing_segment() -> None:
    left, right = differences("001234567890", "001234567890")
    assert not any(s.differs for s in left + right)
    assert "".join(s.text for s in left) == "001234567890"


def test_segments_rebuild_each_side_and_alternate() -> None:
    a, b = "12/03/1990", "1990-03-12"
    left, right = differences(a, b)
    assert "".join(s.text for s in left) == a
    assert "".join(s.text for s in right) == b
    for side in (left, right):
        assert all(x.differs != y.differs for x, y in itertools.pairwise(side))


def test_a_missing_value_has_no_segments_and_the_other_side_differs_whole() -> None:
    assert differences(None, None) == ([], [])
    assert differences(None, "Lê Thị Mai") == ([], [Segment("Lê Thị Mai", True)])
    assert differences("Lê Thị Mai", "") == ([Segment("Lê Thị Mai", True)], [])


def test_the_diff_macro_marks_differences_and_escapes() -> None:
    _, right = differences("Nguyễn Văn An", "Nguyễn Văn Anh")
    assert diff(right) == ('<span class="same">Nguyễn Văn An</span>'
                                       '<mark class="diff">h</mark>')
    left, _ = differences("<b>An</b>", "An")
    html = diff(left)
    assert "<b>" not in html and '<mark class="diff">&lt;b&gt;</mark>' in html
    assert diff([]) == ""
