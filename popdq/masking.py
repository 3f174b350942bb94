"""Masking personal data for screens and reports (Decree 13/2023): shown by default."""

from popdq.contract import MASKED_FIELDS

_KEEP_START, _KEEP_END = 3, 2


def mask_id(value: str | None) -> str | None:
    """001•••••••56: enough to tell two numbers apart on screen, not to use one."""
    if value is None or len(value) <= _KEEP_START + _KEEP_END:
        return value if value is None else "•" * len(value)
    hidden = len(value) - _KEEP_START - _KEEP_END
    return value[:_KEEP_START] + "•" * hidden + value[-_KEEP_END:]


def mask_value(field: str, value: str | None) -> str | None:
    """Mask a value when its field is an identifier; other values are shown as they are."""
    return mask_id(value) if field in MASKED_FIELDS else value
