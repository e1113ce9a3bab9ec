"""The rules the client aggregate enforces; a refused command records nothing."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.codes import RiskLevel, ViolationCategory
from reentry_ledger.domain.errors import InvalidInput, NotOnRecord, RuleViolated
from reentry_ledger.domain.events import Enrolled
from reentry_ledger.domain.references import client_id
from tests.builders import START, TODAY, new_client, stamp


def pending_count(client: Client) -> int:
    return len(client.pending_events)


def test_enrolment_is_event_number_one_under_the_reference_id() -> None:
    client = new_client("GA-000123")
    assert client.id == client_id("GA-000123")
    assert [type(e) for e in client.history] == [Enrolled]
    assert client.history[0].number == 1
    assert client.state.status == "active"


def test_every_command_records_exactly_one_event() -> None:
    client = new_client()
    before = client.version
    client.assess(stamp(date(2025, 1, 15)), instrument="ORAS", risk_level=coded("high"))
    client.refer(stamp(date(2025, 1, 20)), service=coded("housing"))
    client.log_contact(stamp(date(2025, 1, 21)), kind=coded("casework"), note="first meeting")
    assert client.version == before + 3
    assert pending_count(client) == 4


def test_discharged_client_accepts_only_corrections_whatever_the_date() -> None:
    client = new_client()
    client.discharge(stamp(date(2025, 6, 1)), outcome=coded("successful"))
    version = client.version
    with pytest.raises(RuleViolated, match="discharged"):
        client.record_violation(stamp(date(2025, 5, 1)), technical=[coded("curfew")])
    with pytest.raises(RuleViolated, match="discharged"):
        client.assess(stamp(date(2025, 7, 1)), instrument="ORAS", risk_level=coded("low"))
    assert client.version == version
    client.correct(stamp(TODAY), 2, "discharged in error")
    assert client.state.status == "active"


def test_effective_date_may_not_precede_enrolment_or_lie_in_the_future() -> None:
    client = new_client()
    with pytest.raises(RuleViolated, match="before enrolment"):
        client.assess(stamp(date(2025, 1, 9)), instrument="ORAS", risk_level=coded("low"))
    with pytest.raises(RuleViolated, match="in the future"):
        client.assess(stamp(date(2026, 1, 16)), instrument="ORAS", risk_level=coded("low"))
    with pytest.raises(RuleViolated, match="in the future"):
        new_client("GA-2", start=date(2026, 2, 1))
    assert client.version == 1


def test_events_may_be_backdated_and_take_their_place_by_effective_date() -> None:
    client = new_client()
    client.assess(stamp(date(2025, 6, 1)), instrument="ORAS", risk_level=coded("low"))
    client.assess(stamp(date(2025, 2, 1)), instrument="ORAS", risk_level=coded("very_high"))
    assert client.state.risk_level == RiskLevel.LOW
    assert client.state.assessed_on == date(2025, 6, 1)


def test_response_must_name_an_existing_violation() -> None:
    client = new_client()
    with pytest.raises(NotOnRecord, match="no violation 'V1'"):
        client.respond_to_violation(stamp(date(2025, 3, 1)), "V1", response=coded("warning"))
    violation_id = client.record_violation(
        stamp(date(2025, 3, 1)), technical=[coded("failure_to_report")]
    )
    client.respond_to_violation(stamp(date(2025, 3, 2)), violation_id, response=coded("warning"))
    assert client.state.violations[violation_id].responses[0].response == "warning"


def test_response_to_a_retracted_violation_is_refused() -> None:
    client = new_client()
    violation_id = client.record_violation(stamp(date(2025, 3, 1)), absconding=True)
    client.correct(stamp(TODAY), 2, "wrong client")
    with pytest.raises(NotOnRecord, match="no violation"):
        client.respond_to_violation(
            stamp(date(2025, 3, 2)), violation_id, response=coded("revocation")
        )


def test_response_may_not_precede_its_violation() -> None:
    client = new_client()
    violation_id = client.record_violation(stamp(date(2025, 3, 10)), absconding=True)
    with pytest.raises(RuleViolated, match="before violation V1"):
        client.respond_to_violation(
            stamp(date(2025, 3, 9)), violation_id, response=coded("warning")
        )


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["accepted", "started", "completed"], None),
        (["declined"], None),
        (["accepted", "dropped"], None),
        (["started"], "made: it can become accepted, declined, not started"),
        (["accepted", "completed"], "accepted: it can become dropped, started, not completed"),
        (["declined", "accepted"], "declined: it can become nothing"),
        (["accepted", "started", "completed", "dropped"], "completed: it can become nothing"),
    ],
)
def test_referral_updates_follow_the_lifecycle(path: list[str], refused: str | None) -> None:
    client = new_client()
    referral_id = client.refer(stamp(date(2025, 2, 1)), service=coded("housing"))
    *allowed, last = path

    def why(status: str) -> dict | None:
        return coded("no_show") if status in ("declined", "dropped") else None

    for step in allowed:
        client.update_referral(stamp(date(2025, 2, 2)), referral_id, coded(step), why(step))
    if refused is None:
        client.update_referral(stamp(date(2025, 2, 3)), referral_id, coded(last), why(last))
        assert client.state.referrals[referral_id].status == last
    else:
        with pytest.raises(RuleViolated, match=refused):
            client.update_referral(stamp(date(2025, 2, 3)), referral_id, coded(last), why(last))


def test_update_of_an_unknown_referral_is_refused() -> None:
    client = new_client()
    with pytest.raises(NotOnRecord, match="no referral 'R9'"):
        client.update_referral(stamp(date(2025, 2, 2)), "R9", coded("accepted"))


@pytest.mark.parametrize(
    ("command", "kwargs", "field"),
    [
        ("assess", {"instrument": "ORAS", "risk_level": coded("hgh")}, "risk_level"),
        ("refer", {"service": coded("spa_day")}, "service"),
        ("record_violation", {"technical": [coded("jaywalking")]}, "technical.0"),
        ("discharge", {"outcome": coded("vanished")}, "outcome"),
        ("log_contact", {"kind": coded("telepathy")}, "kind"),
    ],
)
def test_unknown_codes_are_refused_as_invalid_input(
    command: str, kwargs: dict[str, object], field: str
) -> None:
    client = new_client()
    with pytest.raises(InvalidInput, match=field):
        getattr(client, command)(stamp(date(2025, 2, 1)), **kwargs)
    assert client.version == 1


def test_unknown_supervision_type_is_refused_at_enrolment() -> None:
    with pytest.raises(InvalidInput, match="supervision"):
        Client.enroll("GA-9", stamp(START), agency="GA", officer="o", supervision=coded("house"))


def test_violation_needs_at_least_one_kind() -> None:
    client = new_client()
    with pytest.raises(InvalidInput, match="at least one"):
        client.record_violation(stamp(date(2025, 2, 1)))


def test_violation_category_is_its_most_serious_kind() -> None:
    client = new_client()
    client.record_violation(
        stamp(date(2025, 2, 1)),
        technical=[coded("curfew")],
        absconding=True,
        new_offence=coded("felony"),
        violent=True,
    )
    client.record_violation(stamp(date(2025, 2, 2)), technical=[coded("curfew")], absconding=True)
    client.record_violation(stamp(date(2025, 2, 3)), technical=[coded("curfew")])
    assert [v.category for v in client.state.violations.values()] == [
        ViolationCategory.NEW_OFFENCE,
        ViolationCategory.ABSCONDING,
        ViolationCategory.TECHNICAL,
    ]


def test_retracting_a_violation_takes_its_responses_with_it() -> None:
    client = new_client()
    violation_id = client.record_violation(stamp(date(2025, 3, 1)), technical=[coded("curfew")])
    client.respond_to_violation(stamp(date(2025, 3, 5)), violation_id, response=coded("sanction"))
    client.correct(stamp(TODAY), 2, "entered on the wrong client")
    assert client.state.violations == {}
    assert client.history[1].number == 2  # still on record


def test_ids_are_never_reused_after_a_retraction() -> None:
    client = new_client()
    first = client.record_violation(stamp(date(2025, 3, 1)), absconding=True)
    client.correct(stamp(TODAY), 2, "duplicate")
    second = client.record_violation(stamp(date(2025, 3, 1)), absconding=True)
    assert (first, second) == ("V1", "V2")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (1, "enrolment"),
        (3, "itself a correction"),
        (9, "no event 9"),
    ],
)
def test_corrections_that_cannot_apply_are_refused(number: int, message: str) -> None:
    client = new_client()
    client.log_contact(stamp(date(2025, 2, 1)), kind=coded("casework"), note="n")
    client.correct(stamp(TODAY), 2, "wrong note")
    with pytest.raises(NotOnRecord if number == 9 else RuleViolated, match=message):
        client.correct(stamp(TODAY), number, "again")


def test_an_event_cannot_be_retracted_twice() -> None:
    client = new_client()
    client.log_contact(stamp(date(2025, 2, 1)), kind=coded("casework"), note="n")
    client.correct(stamp(TODAY), 2, "wrong note")
    with pytest.raises(RuleViolated, match="already retracted by event 3"):
        client.correct(stamp(TODAY), 2, "again")


def test_one_volunteer_match_at_a_time() -> None:
    client = new_client()
    with pytest.raises(RuleViolated, match="no active volunteer match"):
        client.end_volunteer_match(stamp(date(2025, 2, 1)), ending=coded("completed"))
    client.match_volunteer(
        stamp(date(2025, 2, 1)), volunteer="v-1", needs=[coded("family_marital")]
    )
    with pytest.raises(RuleViolated, match="already matched with a volunteer"):
        client.match_volunteer(stamp(date(2025, 2, 2)), volunteer="v-2")
    client.end_volunteer_match(
        stamp(date(2025, 5, 1)), ending=coded("taken_back"), reason="needs grew"
    )
    client.match_volunteer(stamp(date(2025, 5, 2)), volunteer="v-2")
    assert client.state.active_match is not None
    assert client.state.active_match.volunteer == "v-2"


def test_discharge_may_not_precede_recorded_events() -> None:
    client = new_client()
    client.record_violation(stamp(date(2025, 6, 1)), absconding=True)
    with pytest.raises(RuleViolated, match="before the client's latest recorded event"):
        client.discharge(stamp(date(2025, 5, 1)), outcome=coded("absconded"))


def test_raw_text_is_kept_beside_every_code() -> None:
    client = new_client()
    client.discharge(stamp(date(2025, 6, 1)), outcome=coded("absconded", "ABSC 12b"))
    discharged = client.history[-1]
    assert discharged.outcome.raw_text == "ABSC 12b"  # type: ignore[attr-defined]


def test_expected_end_before_start_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="expected end"):
        Client.enroll(
            "GA-3",
            stamp(START),
            agency="GA",
            officer="o",
            supervision=coded("probation"),
            expected_end=date(2024, 1, 1),
        )


def test_malformed_reference_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="malformed"):
        new_client("GA 1; drop")


def test_an_assessment_tool_not_in_the_list_is_other_and_its_name_personal() -> None:
    client = new_client()
    client.assess(stamp(date(2025, 2, 1)), instrument="ORAS", risk_level=coded("low"))
    client.assess(stamp(date(2025, 2, 2)), instrument="J. Q. DOB 1980", risk_level=coded("low"))
    known, typed = client.history[1], client.history[2]
    assert (known.instrument, known.instrument_name) == ("ORAS", None)
    assert (typed.instrument, typed.instrument_name) == ("other", "J. Q. DOB 1980")
    assert "instrument_name" in type(typed).PERSONAL
