"""The inbox's filters as a reviewer sets them (query parameters), checked at the boundary:
a value that is not a known source, kind, criterion, status or locality is refused in one
line, before any query runs."""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from popdq.contract import CRITERIA, QUEUE_KINDS, SOURCE_KINDS
from popdq.errors import BadParameter
from popdq.localities import Locality, parse_locality
from warehouse.lifecycle import STATUSES

CHOICES: dict[str, tuple[str, ...]] = {
    "source": SOURCE_KINDS, "kind": tuple(QUEUE_KINDS), "criterion": tuple(CRITERIA),
    "status": STATUSES,
}
NAMES = ("locality", *CHOICES, "assignee", "mine")
"""Every filter, in the order the form shows them."""


@dataclass(frozen=True)
class Filters:
    chosen: dict[str, str]
    """Column filters for `popdq.commands.inbox` (`mine` = the user's own items)."""
    locality: Locality | None
    given: dict[str, str]
    """The filters as given (for links and forms)."""

    def query(self, **more: str) -> str:
        """This filter's query string, with more parameters (a page key, a verb)."""
        return urlencode({**self.given, **more})


def parse_filters(params: Mapping[str, str]) -> Filters:
    given = {name: params[name].strip() for name in NAMES if params.get(name, "").strip()}
    chosen: dict[str, str] = {}
    for name, value in given.items():
        if name in CHOICES and value not in CHOICES[name]:
            raise BadParameter(f"unknown {name} {value!r} (expected one of:"
                               f" {', '.join(CHOICES[name])})")
        if name in (*CHOICES, "assignee"):
            chosen[name] = value
    if "mine" in given:
        given["mine"] = "1"
        chosen["mine"] = "1"
        chosen.pop("assignee", None)
    locality = parse_locality(given["locality"]) if "locality" in given else None
    return Filters(chosen, locality, given)


def parse_key(text: str | None) -> tuple[int, int] | None:
    """A page key `PRIORITY.ITEM_ID` (as the inbox's paging links write it), or None."""
    if not text:
        return None
    priority, _, item_id = text.partition(".")
    try:
        return int(priority), int(item_id)
    except ValueError:
        raise BadParameter(f"{text!r} is not a page of the inbox") from None
