"""An agency's custody caps: kept on the ledger, set by the agency's own supervisors, and
enforced on its officers' custody sanctions for technical violations (issue 17)."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.domain.errors import InvalidInput, RuleViolated

ON = date(2024, 3, 1)


@pytest.fixture
def staffed(ledger: Ledger) -> Ledger:
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("cw-ga", "caseworker", "GA"), ("sup-gb", "supervisor", "GB")):  # fmt: skip
        ledger.add_user(name, role, agency, actor="aud")
    ledger.enroll("GA-1", actor="cw-ga", start=date(2024, 1, 1), agency="GA", officer="o",
                  supervision="probation")  # fmt: skip
    return ledger


def events(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_the_default_caps_hold_until_the_agency_sets_its_own(staffed: Ledger) -> None:
    assert staffed.custody_caps("GA") == (14, 30)
    staffed.set_custody_caps("GA", 7, 21, actor="sup-ga")
    assert staffed.custody_caps("GA") == (7, 21)
    assert staffed.custody_caps("GB") == (14, 30)  # another agency keeps the defaults


def test_an_officers_sanction_is_held_to_the_agencys_own_cap(staffed: Ledger) -> None:
    staffed.set_custody_caps("GA", 7, 21, actor="sup-ga", on=date(2024, 1, 1))
    staffed.record_violation("GA-1", actor="cw-ga", on=ON, technical=("curfew",))
    before = events(staffed)
    with pytest.raises(RuleViolated, match="cap of 7 days"):
        staffed.respond_to_violation("GA-1", "V1", "custody_sanction", actor="cw-ga", on=ON,
                                     custody_days=10)  # fmt: skip
    assert events(staffed) == before
    staffed.respond_to_violation("GA-1", "V1", "custody_sanction", actor="cw-ga", on=ON,
                                 custody_days=10, decided_by="court")  # fmt: skip


@pytest.mark.parametrize(("actor", "agency"), [("cw-ga", "GA"), ("sup-gb", "GA"), ("aud", "GA")])
def test_only_the_agencys_supervisor_sets_its_caps(
    staffed: Ledger, actor: str, agency: str
) -> None:
    before = events(staffed)
    with pytest.raises(NotPermitted):
        staffed.set_custody_caps(agency, 60, 90, actor=actor)
    assert events(staffed) == before
    assert staffed.custody_caps("GA") == (14, 30)


def test_a_later_cap_below_the_first_is_refused(staffed: Ledger) -> None:
    with pytest.raises(InvalidInput, match="below the first"):
        staffed.set_custody_caps("GA", 20, 10, actor="sup-ga")


def test_the_caps_verify_with_the_ledger(staffed: Ledger) -> None:
    staffed.set_custody_caps("GA", 7, 21, actor="sup-ga")
    result = staffed.verify(actor="aud")
    assert result.ok, result


def test_a_decision_is_held_to_the_caps_in_force_on_its_own_date(staffed: Ledger) -> None:
    staffed.set_custody_caps("GA", 10, 21, actor="sup-ga", on=date(2024, 6, 1))
    staffed.record_violation("GA-1", actor="cw-ga", on=ON, technical=("curfew",))
    # 12 days on 2024-03-01: the defaults (14) were in force then, not the later 10
    staffed.respond_to_violation("GA-1", "V1", "custody_sanction", actor="cw-ga", on=ON,
                                 custody_days=12)  # fmt: skip
    staffed.record_violation("GA-1", actor="cw-ga", on=date(2024, 7, 1), technical=("curfew",))
    with pytest.raises(RuleViolated, match="cap of 21 days"):
        staffed.respond_to_violation("GA-1", "V2", "custody_sanction", actor="cw-ga",
                                     on=date(2024, 7, 2), custody_days=22)  # fmt: skip
    assert staffed.custody_caps("GA", date(2024, 5, 31)) == (14, 30)
    assert staffed.custody_caps("GA", date(2024, 6, 1)) == (10, 21)


def test_caps_cannot_be_set_from_a_future_date(staffed: Ledger) -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        staffed.set_custody_caps("GA", 7, 21, actor="sup-ga", on=date(2099, 1, 1))
