"""The workbench's pure pieces: throttling, the waterfall of an item, the filters and where
a sign-in may lead."""

import polars as pl
import pytest
from starlette.requests import Request

from popdq.accounts import Claim
from popdq.errors import BadParameter
from web.filters import parse_filters, parse_key
from web.item import explained
from web.session import SESSION_SECONDS, SignInFirst, claim, safe_next
from web.throttle import Throttle


def test_five_failures_within_the_window_hold_a_key_until_the_first_leaves_it() -> None:
    now = [0.0]
    throttle = Throttle(limit=5, window=900, clock=lambda: now[0])
    for second in range(5):
        assert throttle.wait(["user:a", "client:x"]) == 0
        now[0] = second * 10.0
        throttle.failed(["user:a", "client:x"])
    assert throttle.wait(["user:a"]) == 860 and throttle.wait(["user:b", "client:x"]) == 860
    throttle.succeeded("user:a")
    assert throttle.wait(["user:a"]) == 0 and throttle.wait(["client:x"]) > 0
    now[0] = 901.0
    assert throttle.wait(["client:x"]) == 0
    now[0] = 2000.0
    assert throttle.wait(["client:x"]) == 0 and not throttle._failures


def test_an_item_shows_the_report_s_waterfall_of_its_link() -> None:
    explanation = pl.DataFrame({"comparison": ["prior", "name", "birth"],
                                "level": ["prior", "exact", "differs"],
                                "weight": [-10.0, 14.0, -2.0]})
    chart = explained(explanation)
    assert chart is not None and len(chart.bars) == 4
    assert [label.text for label in chart.labels] == ["prior", "name: exact", "birth: differs",
                                                      "Total"]
    assert [value.text for value in chart.values][-1] == "2.0"  # as the report writes it
    assert explained(explanation.clear()) is None


def test_filters_are_known_values_or_refused() -> None:
    chosen = parse_filters({"kind": "name_mismatch", "locality": "40", "mine": "on",
                            "assignee": "x", "page": "9"})
    assert chosen.chosen == {"kind": "name_mismatch", "mine": "1"}
    assert chosen.locality is not None and chosen.locality.level == "province"
    assert chosen.query(after="60.5") == ("locality=40&kind=name_mismatch&assignee=x&mine=1"
                                          "&after=60.5")
    for bad in ({"kind": "nonsense"}, {"status": "gone"}, {"locality": "99"}):
        with pytest.raises(BadParameter):
            parse_filters(bad)
    assert parse_key("60.12") == (60, 12) and parse_key(None) is None
    with pytest.raises(BadParameter):
        parse_key("60;DROP")


def test_a_sign_in_leads_only_to_this_site() -> None:
    assert safe_next("/items/3") == "/items/3"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert safe_next(elsewhere) == "/"


def test_a_session_ends_eight_hours_after_sign_in_however_busy() -> None:
    session = {"user": "lan", "stamp": 2, "began": 1_000, "csrf": "t"}
    request = Request({"type": "http", "method": "GET", "path": "/items/3", "headers": [],
                       "query_string": b"", "session": session})
    assert claim(request, now=lambda: 1_000 + SESSION_SECONDS) == Claim("lan", 2)
    with pytest.raises(SignInFirst) as refused:
        claim(request, now=lambda: 1_001 + SESSION_SECONDS)
    assert refused.value.back_to == "/items/3" and session == {}
    with pytest.raises(SignInFirst):
        claim(Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                       "query_string": b"", "session": {"user": "lan", "stamp": 2}}))
