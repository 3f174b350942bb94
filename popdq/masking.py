"""Masking personal data for screens and reports (Decree 13/2023): shown by default."""

ID_FIELDS = frozenset({"person_id", "id_number", "old_id_number", "bhxh_code", "tax_code",
                       "card_number", "household_id"})
"""Fields whose values identify a person by number."""

_KEEP_START, _KEEP_END = 3, 2


def mask_id(value: str | None) -> str | None:
    """001•••••••56: enough to tell two numbers apart on screen, not to use one."""
    if value is None or len(value) <= _KEEP_START + _KEEP_END:
        return value if value is None else "•" * len(value)
    hidden = len(value) - _KEEP_START - _KEEP_END
    return value[:_KEEP_START] + "•" * hidden + value[-_KEEP_END:]


def mask_value(field: str, value: str | None) -> str | None:
    """Mask a value when its field is an identifier; other values are shown as they are."""
    return mask_id(value) if field in ID_FIELDS else value
