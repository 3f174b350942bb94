"""Which characters of two values differ: what the item page marks in each.

(`report/` may grow its own; the two should become one when both exist.)
"""

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


def differing(left: str, right: str) -> tuple[list[Segment], list[Segment]]:
    """Each value cut into runs of characters the other has (at the same place in the
    alignment) and runs it does not: a changed letter, a dropped or added part."""
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    ours: list[Segment] = []
    theirs: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            ours.append(Segment(left[i1:i2], not same))
        if j2 > j1:
            theirs.append(Segment(right[j1:j2], not same))
    return ours, theirs
