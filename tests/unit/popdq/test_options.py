"""The click plumbing: parameter types, the one-line error, output to stdout."""

import datetime as dt
import io
import sys

import click
import pytest

from popdq.options import IsoDate, ItemId, fail, write_to_stdout


def test_item_ids_beyond_bigint_are_no_such_item() -> None:
    assert ItemId().convert("7", None, None) == 7
    assert ItemId().convert(str(2**63 - 1), None, None) == 2**63 - 1
    for bad in ("100000000000000000000", str(2**63), "0", "-3"):
        with pytest.raises(click.BadParameter, match=f"no queue item {bad}"):
            ItemId().convert(bad, None, None)
    with pytest.raises(click.BadParameter, match="not a valid integer"):
        ItemId().convert("seven", None, None)


def test_dates_must_be_written_yyyy_mm_dd_and_exist() -> None:
    assert IsoDate().convert("2028-02-29", None, None) == dt.date(2028, 2, 29)
    with pytest.raises(click.BadParameter, match="2026-02-30 is not a calendar date"):
        IsoDate().convert("2026-02-30", None, None)
    with pytest.raises(click.BadParameter, match="2026-13-01 is not a calendar date"):
        IsoDate().convert("2026-13-01", None, None)
    for shape in ("30/02/2026", "2026-2-3", "20260701", "2026-07-01T00:00"):
        with pytest.raises(click.BadParameter, match="not a date written YYYY-MM-DD"):
            IsoDate().convert(shape, None, None)


def test_an_error_is_one_escaped_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        fail("bad\x1b[2J\nname.csv: missing column", 1)
    assert exited.value.code == 1
    assert capsys.readouterr().err == "popdq: bad\\x1b[2J\\x0aname.csv: missing column\n"


class Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def test_stdout_gets_the_bytes_as_they_are_unless_it_is_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = "a,b\n\x1b[2J\u202e,x\n".encode()
    for sink, expected in ((io.BytesIO(), data),
                           (Terminal(), b"a,b\n\\x1b[2J\\u202e,x\n")):
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sink, encoding="utf-8"))
        assert write_to_stdout(lambda out: out.write(data) and 2) == 2
        sys.stdout.flush()
        assert sink.getvalue() == expected
