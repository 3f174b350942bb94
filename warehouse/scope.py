"""The one SQL condition for "rows of this locality", used by every query that filters.

Localities arrive parsed (`popdq.localities.Locality`), so the column comes
from the value's level, never from user text, and the code is a parameter.
"""

from popdq.localities import Locality


def in_locality(locality: Locality | None, alias: str = "") -> tuple[str, list[object]]:
    """A condition true for the rows of `locality` (every row when None), and its params."""
    if locality is None:
        return "TRUE", []
    prefix = f"{alias}." if alias else ""
    return f"{prefix}{locality.level} = ?", [locality.code]
