"""The one SQL condition for "rows of this locality", used by every query that filters.

Localities arrive parsed (`popdq.localities.Locality`), so the column comes
from the value's level, never from user text, and the code is a parameter.
"""

from collections.abc import Sequence

from popdq.localities import Locality


def in_locality(locality: Locality | None, alias: str = "") -> tuple[str, list[object]]:
    """A condition true for the rows of `locality` (every row when None), and its params."""
    if locality is None:
        return "TRUE", []
    prefix = f"{alias}." if alias else ""
    return f"{prefix}{locality.level} = ?", [locality.code]


def in_scope(scope: Sequence[Locality] | None, alias: str = "") -> tuple[str, list[object]]:
    """A condition true for the rows of any locality of a user's scope (every row when
    None: a steward's; no row for an empty scope), and its params."""
    if scope is None:
        return "TRUE", []
    prefix = f"{alias}." if alias else ""
    provinces = [p.code for p in scope if p.level == "province"]
    communes = [c.code for c in scope if c.level == "commune"]
    return (f"(list_contains(?::VARCHAR[], {prefix}province)"
            f" OR list_contains(?::VARCHAR[], {prefix}commune))"), [provinces, communes]
