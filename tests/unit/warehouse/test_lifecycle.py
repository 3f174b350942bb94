"""The queue's lifecycle as a pure plan: the table in warehouse/lifecycle.py's docstring is
read here and every row of it is a test case — no warehouse needed."""

import polars as pl
import pytest

from matching.discrepancies import FINDINGS_SCHEMA
from popdq.errors import PopdqError
from warehouse import lifecycle
from warehouse.lifecycle import REVIEWER_ACTIONS, STATUSES, plan_action, plan_sync
from warehouse.tables import QUEUE_ITEMS

FINDING = {"source": "tax", "record_id": "R1", "person_id": "P1", "criterion": "correct",
           "kind": "name_mismatch", "field": "full_name", "source_value": "Nguyen Van A",
           "registry_value": "Nguyễn Văn An", "province": "79", "commune": None,
           "detail": "name differs from the registry", "priority": 60, "group_id": None}

ITEM_NOW: dict[str, list[str | None]] = {"none": [None], "open / in_review": ["open", "in_review"],
            "rejected/resolved": ["rejected", "resolved"], "fixed_at_source": ["fixed_at_source"]}
BECOMES = {  # the docstring's words → (status after, audit action); None: as it was
    "open (created)": ("open", "created"),
    "same status (seen again)": (None, None),
    "same status, values refreshed": (None, "updated"),
    "fixed_at_source": ("fixed_at_source", "fixed_at_source"),
    "unchanged (a reviewer decided)": (None, None),
    "open (reopened)": ("open", "reopened"),
}


def documented_rows() -> list[tuple[str, str, str]]:
    """(item now, finding tonight, becomes) of every row of the module docstring's table."""
    doc = lifecycle.__doc__ or ""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in doc.splitlines() if line.strip().startswith("|")]
    return [(a, b, c) for a, b, c in rows[2:]]  # past the header and its rule


CASES = [(now, tonight, becomes, status) for now, tonight, becomes in documented_rows()
         for status in ITEM_NOW[now]]


def test_the_table_has_every_status_and_change() -> None:
    assert len(documented_rows()) == 7
    assert {s for _, _, _, s in CASES} == {None, *STATUSES}


@pytest.mark.parametrize(("now", "tonight", "becomes", "status"), CASES)
def test_each_documented_row(now: str, tonight: str, becomes: str, status: str | None) -> None:
    items = pl.DataFrame(
        [{**FINDING, "item_id": 7, "status": status, "assignee": None, "first_seen_run": 1,
          "last_seen_run": 1}] if status else [], schema=QUEUE_ITEMS).select(list(QUEUE_ITEMS))
    finding = {**FINDING, "source_value": "Nguyen Van B"} if "changed" in tonight else FINDING
    findings = pl.DataFrame([finding] if tonight.startswith("present") else [],
                            schema=FINDINGS_SCHEMA)

    plan = plan_sync(items, findings, run_id=2, next_id=8)

    after, action = BECOMES[becomes]
    audit = plan.audit.to_dicts()
    assert [row["action"] for row in audit] == ([action] if action else [])
    if plan.new_items.height:
        assert plan.new_items.row(0, named=True)["item_id"] == 8
        got = str(plan.new_items.row(0, named=True)["status"])
    elif plan.updates.height:
        got = str(plan.updates.row(0, named=True)["status"])
        assert plan.updates.row(0, named=True)["source_value"] == finding["source_value"]
    elif plan.closing.height:
        got = "fixed_at_source"
    else:
        got = str(status)
    assert got == (after or status)
    assert plan.seen.height == (1 if status and tonight.startswith("present") else 0)


@pytest.mark.parametrize("verb", list(REVIEWER_ACTIONS))
def test_a_reviewer_verb_applies_to_its_statuses_only(verb: str) -> None:
    action = REVIEWER_ACTIONS[verb]
    for status in STATUSES:
        items = pl.DataFrame({"item_id": [1], "status": [status], "assignee": [None]},
                             schema={"item_id": pl.Int64, "status": pl.String,
                                     "assignee": pl.String})
        if status in action.applies_to:
            audit = plan_action(items, verb, note="why", assignee="team-79").row(0, named=True)
            assert (audit["old_status"], audit["new_status"]) == (status, action.after)
            assert audit["action"] == action.audited_as
        else:
            with pytest.raises(PopdqError, match=f"cannot {verb} it"):
                plan_action(items, verb, note="why", assignee="team-79")


def test_resolve_and_reject_need_a_note_and_assign_needs_someone() -> None:
    items = pl.DataFrame({"item_id": [1], "status": ["open"], "assignee": [None]},
                         schema={"item_id": pl.Int64, "status": pl.String, "assignee": pl.String})
    for verb in ("resolve", "reject"):
        with pytest.raises(PopdqError, match="needs a note"):
            plan_action(items, verb, note=" ", assignee=None)
    with pytest.raises(PopdqError, match="needs someone"):
        plan_action(items, "assign", note=None, assignee="")
