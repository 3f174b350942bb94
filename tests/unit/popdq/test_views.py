"""Text views for the terminal: masked identifiers, and nothing that can act on the screen."""

import datetime as dt
import re

import polars as pl

from popdq.commands import ItemView
from popdq.views import LIST_COLUMNS, render_item, render_list, render_load
from warehouse.datasets import LoadSummary

ESC_NAME = "\x1b[31mNguyễn\x1b[0m \u202eAn\x07"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                    "\u202a-\u202e\u2066-\u2069]")


def item(**changes: object) -> dict[str, object]:
    return {"item_id": 7, "priority": 30, "status": "assigned", "kind": "name_mismatch",
            "criterion": "correct", "source": "tax", "record_id": "T1", "field": "full_name",
            "province": "01", "commune": None, "assignee": "team\x1b[8m",
            "detail": f"names differ: {ESC_NAME}", **changes}


def view() -> ItemView:
    return ItemView(
        item=item(),
        record={"record_id": "T1", "full_name": ESC_NAME, "id_number": "001090000001"},
        person={"person_id": "001090000001", "full_name": "Nguyễn Văn An",
                "id_number": "001090000001"},
        explanation=pl.DataFrame({"comparison": ["full_name"], "level": ["jaro\x1b[2J"],
                                  "weight": [1.5]}),
        audit=pl.DataFrame({
            "changed_at": [dt.datetime(2026, 7, 1, 9, 30)], "actor": ["rev\u202eiewer"],
            "action": ["assigned"], "old_status": ["open"], "new_status": ["assigned"],
            "note": ["done\x1b]0;owned\x07\nsecond line\u2066"]}),
        flagged={"full_name"},
    )


def test_an_item_shows_names_notes_and_actors_escaped_on_one_line_each() -> None:
    shown = render_item(view())
    assert not UNSAFE.search(shown)
    assert "names differ: \\x1b[31mNguyễn\\x1b[0m \\u202eAn\\x07" in shown
    assert "assigned to team\\x1b[8m" in shown
    assert "jaro\\x1b[2J" in shown
    assert shown.splitlines()[-1] == ("  2026-07-01 09:30 rev\\u202eiewer assigned (open →"
                                      " assigned): done\\x1b]0;owned\\x07\\x0asecond line\\u2066")


def test_an_item_masks_identifiers_unless_unmasked() -> None:
    assert "••••••••0001" in render_item(view())
    assert "001090000001" not in render_item(view())
    assert "001090000001" in render_item(view(), unmask=True)


def test_a_list_escapes_every_cell_and_keeps_its_columns_aligned() -> None:
    items = pl.DataFrame([item(), item(item_id=8, detail="plain", assignee=None)])
    lines = render_list(items).splitlines()
    assert lines[0].split() == list(LIST_COLUMNS)
    assert not UNSAFE.search("\n".join(lines))
    assert lines[1].index("names differ") == lines[2].index("plain")


def test_a_load_summary_escapes_the_file_name() -> None:
    summary = LoadSummary(load_id=1, dataset="tax", file_name="tax\x1b[2J\n.csv", sha256="0",
                          rows_read=2, rows_loaded=2, rows_quarantined=0, quarantined_lines={})
    assert render_load(summary) == ("tax: 2 rows read = 2 loaded + 0 quarantined"
                                    " (tax\\x1b[2J\\x0a.csv, load 1)")
