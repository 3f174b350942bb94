"""Masking personal data for screens and reports (Decree 13/2023), and escaping what would
act on a terminal instead of being shown."""

import re

from popdq.contract import MASKED_FIELDS

_KEEP_END = 4
_SHOWN_FROM = 8
"""An identifier shows its last four characters only from this length on: a shorter one
would be half shown."""
NAME_FIELDS = frozenset({"full_name"})
"""Fields whose values name a person: shortened on screens and in reports."""


def mask_id(value: str | None) -> str | None:
    """••••••••7890: enough to tell two numbers apart on screen, not to use one."""
    if value is None or len(value) < _SHOWN_FROM:
        return value if value is None else "•" * len(value)
    return "•" * (len(value) - _KEEP_END) + value[-_KEEP_END:]


def shorten_name(value: str | None) -> str | None:
    """N. V. An: the initials of the family and middle names, then the given name in full —
    a reviewer can still tell two people apart, and a name is not disclosed."""
    if value is None:
        return None
    parts = value.split()
    return " ".join([*(f"{part[0].upper()}." for part in parts[:-1]), *parts[-1:]])


def mask_value(field: str, value: str | None) -> str | None:
    """Mask a value when its field is an identifier, shorten it when it is a name; other
    values are shown as they are."""
    if field in MASKED_FIELDS:
        return mask_id(value)
    return shorten_name(value) if field in NAME_FIELDS else value


_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
"""What a terminal acts on instead of showing: C0 and C1 controls (ESC, BEL, backspace, CR,
…), DEL, the line and paragraph separators, and the bidirectional marks, overrides and
isolates that make text read in another order than it is stored (Trojan Source)."""
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Text safe to put on a screen: every unsafe character shown as its escape (`\\x1b`,
    `\\u202e`), so a name or a note written by one person cannot recolour, rewrite or
    reorder another person's terminal. Escaping twice changes nothing."""
    unsafe = _UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE
    return unsafe.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
