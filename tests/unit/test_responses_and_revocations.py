"""Responses as recommendations and decisions, revocations that end terms, new offences with
their dispositions, and incentives (issue 17): the rules the client aggregate enforces."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.domain.events import ViolationResponded
from reentry_ledger.domain.state import case_state
from tests.builders import TODAY, new_client, stamp


def technical(client: Client, on: date) -> str:
    return client.record_violation(stamp(on), technical=[coded("failure_to_report")])


def unchanged(client: Client, command: object) -> None:
    """The command is refused and records nothing."""
    before = len(client.history)
    with pytest.raises((RuleViolated, InvalidInput)):
        command()  # type: ignore[operator]
    assert len(client.history) == before


def test_an_officers_revocation_is_refused_unless_a_recommendation() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    with pytest.raises(RuleViolated, match="court or a parole board"):
        client.respond_to_violation(stamp(date(2025, 3, 5)), v1, response=coded("revocation"))
    client.respond_to_violation(
        stamp(date(2025, 3, 5)), v1, response=coded("revocation"), recommendation=True
    )
    assert client.state.status == "active"  # a recommendation decides nothing
    assert client.state.violations[v1].decision is None
    assert [r.response for r in client.state.violations[v1].recommendations] == ["revocation"]


def test_a_decision_is_not_dated_before_the_recommendation_it_follows() -> None:
    """A curfew recommended on 5 March, a warning decided on 2 March: accepted, and the case
    read "recommended curfew on 2025-03-05; decided: warning on 2025-03-02" (a probe)."""
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 3, 5)), v1, response=coded("curfew"), recommendation=True
    )
    with pytest.raises(RuleViolated, match=r"before the recommendation on violation V1 \(2025-03"):
        client.respond_to_violation(stamp(date(2025, 3, 2)), v1, response=coded("warning"))
    unchanged(
        client,
        lambda: client.respond_to_violation(stamp(date(2025, 3, 4)), v1, response=coded("warning")),
    )
    client.respond_to_violation(stamp(date(2025, 3, 5)), v1, response=coded("warning"))
    assert client.state.violations[v1].decision is not None


def test_a_revocation_decision_ends_the_term_revoked_and_refuses_a_discharge_after_it() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 4, 2)), v1, response=coded("revocation"), decided_by=coded("court")
    )
    state = client.state
    assert (state.status, state.outcome, state.discharged_on) == (
        "discharged",
        "revoked_technical",
        date(2025, 4, 2),
    )
    assert state.current_term.revoked_by == v1
    with pytest.raises(RuleViolated, match="was revoked on 2025-04-02"):
        client.discharge(stamp(date(2025, 5, 1)), outcome=coded("successful"))


def test_a_revoked_term_is_attributed_to_the_most_serious_violation_in_the_window() -> None:
    client = new_client()
    technical(client, date(2025, 3, 1))
    client.record_violation(stamp(date(2025, 3, 10)), new_offence=coded("misdemeanor"))
    v3 = technical(client, date(2025, 3, 20))
    client.respond_to_violation(
        stamp(date(2025, 4, 1)), v3, response=coded("revocation"), decided_by=coded("court")
    )
    # the decision names a technical violation, but a new charge was recorded ten days before
    assert client.state.outcome == "revoked_new_offence"


def test_a_violation_outside_the_window_does_not_count_toward_the_attribution() -> None:
    client = new_client(start=date(2024, 1, 5))
    client.record_violation(stamp(date(2024, 2, 1)), new_offence=coded("felony"))
    v2 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 3, 5)), v2, response=coded("revocation"), decided_by=coded("court")
    )
    assert client.state.outcome == "revoked_technical"


def test_a_second_decision_on_a_violation_is_refused() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(stamp(date(2025, 3, 5)), v1, response=coded("warning"))
    unchanged(
        client,
        lambda: client.respond_to_violation(stamp(date(2025, 3, 6)), v1, response=coded("curfew")),
    )
    unchanged(
        client,
        lambda: client.respond_to_violation(
            stamp(date(2025, 3, 6)), v1, response=coded("curfew"), recommendation=True
        ),
    )


def test_an_appeal_is_a_correction_of_the_decision_then_a_new_decision() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(stamp(date(2025, 3, 5)), v1, response=coded("curfew"))
    client.correct(stamp(date(2025, 3, 9)), 3, "overturned on appeal")
    client.respond_to_violation(stamp(date(2025, 3, 9)), v1, response=coded("warning"))
    decision = client.state.violations[v1].decision
    assert decision is not None and decision.response == "warning"


def test_a_reinstatement_corrects_the_revocation_and_reopens_the_term() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 4, 2)), v1, response=coded("revocation"), decided_by=coded("parole_board")
    )
    assert client.state.is_discharged
    client.correct(stamp(date(2025, 4, 20)), 3, "revocation overturned: reinstated")
    assert (client.state.status, client.state.outcome) == ("active", None)
    client.log_contact(stamp(date(2025, 4, 21)), kind=coded("casework"))  # the term goes on


def test_a_revocation_with_later_events_cannot_be_retracted_before_them() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 4, 2)), v1, response=coded("revocation"), decided_by=coded("court")
    )
    client.start_term(
        stamp(date(2025, 9, 1)), agency="GA", officer="o-2", supervision=coded("parole")
    )
    with pytest.raises(RuleViolated, match="a revocation decision, and events 4"):
        client.correct(stamp(date(2025, 9, 2)), 3, "overturned")


def test_a_revoked_discharge_must_cite_a_revocation_decision() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    unchanged(
        client,
        lambda: client.discharge(stamp(date(2025, 4, 1)), outcome=coded("revoked_technical")),
    )
    client.respond_to_violation(stamp(date(2025, 3, 5)), v1, response=coded("warning"))
    unchanged(  # a warning is no revocation to carry out
        client,
        lambda: client.discharge(
            stamp(date(2025, 4, 1)), outcome=coded("revoked_technical"), decision=v1
        ),
    )
    unchanged(  # only a revoked outcome cites a decision
        client,
        lambda: client.discharge(stamp(date(2025, 4, 1)), outcome=coded("successful"), decision=v1),
    )


def test_a_revocation_stored_before_decisions_ended_terms_stays_a_decision_a_discharge_cites() -> (
    None
):
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    # as the first round stored it: a revocation by the officer, ending nothing
    stored = ViolationResponded.model_validate(
        {
            "originator_id": client.id,
            "originator_version": 3,
            "timestamp": client.history[-1].timestamp,
            "occurred_on": date(2025, 3, 5),
            "recorded_by": "jdoe",
            "violation_id": v1,
            "response": {"code": "revocation", "raw_text": None},
            "decided_by": {"code": "officer", "raw_text": None},
        }
    )
    client.history.append(stored)
    state = case_state(client.enrolment, client.history[1:])
    assert state.violations[v1].decision is not None
    assert not state.is_discharged
    client._state = state
    client.discharge(stamp(date(2025, 3, 20)), outcome=coded("revoked_technical"), decision=v1)
    assert client.state.outcome == "revoked_technical"


def test_the_first_rounds_sanction_reads_by_its_custody_days() -> None:
    upcast = ViolationResponded.upcast_v1_v2
    with_days = {"response": {"code": "sanction", "raw_text": None}, "custody_days": 3}
    without = {"response": {"code": "sanction", "raw_text": "x"}, "custody_days": None}
    upcast(with_days)
    upcast(without)
    assert with_days["response"]["code"] == "custody_sanction"
    assert without["response"] == {"code": "other_sanction", "raw_text": "x"}
    assert with_days["recommendation"] is False and with_days["term_outcome"] is None


def test_custody_days_go_only_with_custody_sanctions_and_revocations() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    unchanged(
        client,
        lambda: client.respond_to_violation(
            stamp(date(2025, 3, 5)), v1, response=coded("curfew"), custody_days=3
        ),
    )


def test_an_officers_custody_sanction_over_the_cap_is_refused_but_a_courts_is_not() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    unchanged(
        client,
        lambda: client.respond_to_violation(
            stamp(date(2025, 3, 5)), v1, response=coded("custody_sanction"), custody_days=15
        ),
    )
    client.respond_to_violation(
        stamp(date(2025, 3, 5)), v1, response=coded("custody_sanction"), custody_days=14
    )
    v2 = technical(client, date(2025, 4, 1))  # a second technical violation: up to 30 days
    with pytest.raises(RuleViolated, match="later technical violation is over the agency's cap"):
        client.respond_to_violation(
            stamp(date(2025, 4, 5)), v2, response=coded("custody_sanction"), custody_days=31
        )
    client.respond_to_violation(
        stamp(date(2025, 4, 5)),
        v2,
        response=coded("custody_sanction"),
        custody_days=31,
        decided_by=coded("court"),
    )


def test_the_terms_first_technical_violation_is_the_first_recorded_of_its_day_past_v9() -> None:
    """Violations of one day were put in order by their ids as text: V10 before V9, so V9,
    the term's first technical violation, was taken as a later one, under the later cap."""
    client = new_client()
    for day in range(1, 9):  # V1 to V8: new offences
        client.record_violation(stamp(date(2025, 2, day)), new_offence=coded("misdemeanor"))
    v9, v10 = technical(client, date(2025, 3, 1)), technical(client, date(2025, 3, 1))
    assert (v9, v10) == ("V9", "V10")
    unchanged(
        client,
        lambda: client.respond_to_violation(
            stamp(date(2025, 3, 2)), v9, response=coded("custody_sanction"), custody_days=20
        ),
    )
    client.respond_to_violation(  # V10 is the later one: up to 30 days
        stamp(date(2025, 3, 2)), v10, response=coded("custody_sanction"), custody_days=20
    )


def test_an_agencys_own_cap_replaces_the_default() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    with pytest.raises(RuleViolated, match="cap of 7 days"):
        client.respond_to_violation(
            stamp(date(2025, 3, 5)),
            v1,
            response=coded("custody_sanction"),
            custody_days=10,
            custody_caps=(7, 21),
        )


def test_a_disposition_may_come_after_the_term_ended_and_the_latest_holds() -> None:
    client = new_client()
    v1 = client.record_violation(
        stamp(date(2025, 3, 1)), new_offence=coded("felony"), basis=coded("arrest")
    )
    client.discharge(stamp(date(2025, 3, 30)), outcome=coded("absconded"))
    client.record_disposition(stamp(date(2025, 5, 1)), v1, disposition=coded("pending"))
    client.record_disposition(
        stamp(date(2025, 8, 1)),
        v1,
        disposition=coded("dismissed"),
        offence_type=coded("property"),
    )
    violation = client.state.violations[v1]
    assert (violation.basis, violation.disposition, violation.offence_type) == (
        "arrest",
        "dismissed",
        "property",
    )


def test_a_disposition_needs_a_new_offence_and_a_date_after_it() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    v2 = client.record_violation(stamp(date(2025, 3, 2)), new_offence=coded("felony"))
    unchanged(
        client,
        lambda: client.record_disposition(
            stamp(date(2025, 4, 1)), v1, disposition=coded("pending")
        ),
    )
    unchanged(
        client,
        lambda: client.record_disposition(
            stamp(date(2025, 3, 1)), v2, disposition=coded("pending")
        ),
    )
    unchanged(
        client,
        lambda: client.record_disposition(
            stamp(date(2026, 2, 1), today=TODAY), v2, disposition=coded("pending")
        ),
    )


def test_a_basis_without_a_new_offence_is_invalid() -> None:
    client = new_client()
    unchanged(
        client,
        lambda: client.record_violation(
            stamp(date(2025, 3, 1)), technical=[coded("curfew")], basis=coded("arrest")
        ),
    )


def test_an_incentive_is_recorded_on_an_open_term_only() -> None:
    client = new_client()
    client.grant_incentive(stamp(date(2025, 3, 1)), kind=coded("commendation"), note="six clean")
    assert client.state.incentives == [(date(2025, 3, 1), "commendation")]
    client.discharge(stamp(date(2025, 4, 1)), outcome=coded("successful"))
    unchanged(
        client,
        lambda: client.grant_incentive(stamp(date(2025, 4, 2)), kind=coded("commendation")),
    )


def test_a_response_to_an_earlier_terms_violation_is_refused() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.discharge(stamp(date(2025, 4, 1)), outcome=coded("successful"))
    client.start_term(
        stamp(date(2025, 6, 1)), agency="GA", officer="o-2", supervision=coded("probation")
    )
    unchanged(
        client,
        lambda: client.respond_to_violation(stamp(date(2025, 6, 2)), v1, response=coded("warning")),
    )


def test_the_violation_behind_a_revocation_is_retracted_only_after_the_decision() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    client.respond_to_violation(
        stamp(date(2025, 3, 5)), v1, response=coded("revocation"), decided_by=coded("court")
    )
    with pytest.raises(RuleViolated, match="correct that decision first"):
        client.correct(stamp(date(2025, 3, 9)), 2, "entered on the wrong client")
    client.correct(stamp(date(2025, 3, 9)), 3, "reinstated")
    client.correct(stamp(date(2025, 3, 9)), 2, "entered on the wrong client")
    assert (client.state.status, client.state.violations) == ("active", {})


def test_a_recommendation_is_the_officers_only() -> None:
    client = new_client()
    v1 = technical(client, date(2025, 3, 1))
    unchanged(
        client,
        lambda: client.respond_to_violation(
            stamp(date(2025, 3, 5)),
            v1,
            response=coded("revocation"),
            decided_by=coded("court"),
            recommendation=True,
        ),
    )
