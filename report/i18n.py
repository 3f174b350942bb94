"""The report's language: its words (`data/labels.toml`) and how it writes numbers and dates.

Vietnamese writes 1.234.567 and 12,5; English 1,234,567 and 12.5. Dates are dd/mm/yyyy in
both, as the programme's documents write them.
"""

import datetime as dt
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from popdq.errors import BadParameter

LANGUAGES = ("vi", "en")
_LABELS: dict[str, dict[str, Any]] = tomllib.loads(
    (resources.files("report") / "data" / "labels.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Language:
    """Words and number formats of one language."""

    code: str
    words: dict[str, Any]
    thousands: str
    decimal: str

    def number(self, value: float | None, digits: int = 0) -> str:
        """A count or a rate in this language's separators; an en dash for no value."""
        if value is None:
            return "–"
        text = f"{value:,.{digits}f}"
        return text.translate({ord(","): self.thousands, ord("."): self.decimal})

    def percent(self, share: float | None, digits: int = 1) -> str:
        """A share in [0, 1] as a percentage."""
        return "–" if share is None else f"{self.number(share * 100, digits)} %"

    def signed(self, value: float | None, digits: int = 0) -> str:
        """A change: its sign always written (+12, −3, ±0)."""
        if value is None:
            return ""
        if round(value, digits) == 0:
            return "±" + self.number(0, digits)
        sign = "+" if value > 0 else "−"
        return sign + self.number(abs(value), digits)

    @staticmethod
    def date(value: dt.date | None) -> str:
        return "–" if value is None else value.strftime("%d/%m/%Y")


def language(code: str) -> Language:
    """The report's language; a one-line error for any other code."""
    if code not in LANGUAGES:
        raise BadParameter(f"unknown language {code!r}: expected one of {', '.join(LANGUAGES)}")
    thousands, decimal = (".", ",") if code == "vi" else (",", ".")
    return Language(code, _LABELS[code], thousands, decimal)
