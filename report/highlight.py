"""Character-level differences of a source value and the registry's, for side-by-side display.

Reviewers decide faster when they see which letters differ: "Nguyễn" against "Nguyên" is
one tone mark. Both sides are NFC-normalised first, so a decomposed (NFD) diacritic, which
is only formatting, never shows as a difference, while another diacritic or letter case does.
"""

import difflib
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A run of one side's characters, and whether they differ from the other side."""

    text: str
    differs: bool


def differences(left: str | None, right: str | None) -> tuple[list[Segment], list[Segment]]:
    """Each side cut into runs of characters the other side shares or lacks; adjacent runs of
    the same kind are merged, and a missing or empty value has no runs."""
    a = unicodedata.normalize("NFC", left or "")
    b = unicodedata.normalize("NFC", right or "")
    lefts: list[Segment] = []
    rights: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        _append(lefts, a[i1:i2], differs=tag != "equal")
        _append(rights, b[j1:j2], differs=tag != "equal")
    return lefts, rights


def _append(segments: list[Segment], text: str, *, differs: bool) -> None:
    if not text:
        return
    if segments and segments[-1].differs == differs:
        segments[-1] = Segment(segments[-1].text + text, differs)
    else:
        segments.append(Segment(text, differs))
