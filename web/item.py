"""An item's page as data: the source record beside the registry person, value by value,
with the characters that differ marked where a finding is (`report.highlight`, as the
report marks them), and the match explanation as the report's waterfall."""

from dataclasses import dataclass

import polars as pl

from popdq.commands import ItemView
from popdq.masking import mask_value
from report import drawing
from report.charts import Waterfall
from report.figures import waterfall_steps
from report.highlight import Segment, differences
from web.pages import WORDS

PAIRED = {"id_number": "person_id"}
"""A source field compared with a registry field of another name."""
UNPAIRED = ("record_id", "status")
"""Fields of a source record that have no counterpart in the registry."""


@dataclass(frozen=True)
class Row:
    field: str
    registry_field: str
    source: list[Segment]
    registry: list[Segment]
    second: str
    """The value of a link to review's second candidate ('' for other items)."""
    flagged: bool
    """A finding is on this field: its differing characters are marked."""


def side_by_side(view: ItemView, *, unmask: bool) -> list[Row]:
    """One row per field of the record: shared fields first, then the record's own; values
    masked unless `unmask`. Only fields with a finding get their differences marked: other
    literal differences (a date's format, Nam/M) are formatting, not findings."""
    record, person = view.record, view.person
    pairs = [(f, PAIRED.get(f, f)) for f in record
             if PAIRED.get(f, f) in person and f not in UNPAIRED]
    pairs += [(f, "") for f in record if (f, PAIRED.get(f, f)) not in pairs and f != "record_id"]
    rows = []
    for field, registry_field in pairs:
        left = _shown(field, record.get(field), unmask)
        right = _shown(registry_field, person.get(registry_field), unmask) if registry_field \
            else ""
        flagged = field in view.flagged
        if flagged and left and right:
            ours, theirs = differences(left, right)
        else:
            ours, theirs = _plain(left), _plain(right)
        second = _shown(registry_field, view.second.get(registry_field), unmask) \
            if registry_field else ""
        rows.append(Row(field, registry_field, ours, theirs, second, flagged))
    return rows


def _plain(value: str) -> list[Segment]:
    return [Segment(value, False)] if value else []


def _shown(field: str, value: str | None, unmask: bool) -> str:
    shown = value if unmask else mask_value(field, value)
    return shown or ""


def explained(explanation: pl.DataFrame) -> Waterfall | None:
    """The record's link explained (comparison, level, weight in bits), as the report draws
    it; None for a record that was never linked."""
    if explanation.is_empty():
        return None
    return drawing.explanation(waterfall_steps(explanation), WORDS)
