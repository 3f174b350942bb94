"""A locality as an operator names it (`--locality`), parsed once at the boundary.

Everything below the boundary takes a `Locality`, never the text, so an
unknown or malformed code is refused in one place, the same way for every
command and before any flow or query starts.
"""

from dataclasses import dataclass
from typing import Literal

from popdq.divisions import Divisions, load_divisions
from popdq.errors import BadParameter

Level = Literal["province", "commune"]


@dataclass(frozen=True)
class Locality:
    """A province (2 digits) or commune (5 digits) of one version of the divisions."""

    level: Level
    code: str
    version: str

    def __str__(self) -> str:
        return self.code


def parse_locality(text: str, divisions: Divisions | None = None) -> Locality:
    """An operator's locality code, or BadParameter (exit code 2) naming the value."""
    divisions = divisions or load_divisions()
    if text in divisions.province_codes:
        return Locality("province", text, divisions.version)
    if len(text) == 5 and text in divisions.commune_codes:
        return Locality("commune", text, divisions.version)
    raise BadParameter(
        f"unknown locality {text!r}: expected a 2-digit province or 5-digit commune code "
        f"of the {divisions.version} divisions"
    )
