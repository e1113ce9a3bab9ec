"""Responses, revocations, new offences, incentives and custody caps through the API and the
pages (issue 17), on both backends: each refusal answered with its status and the domain's
words, by the role that would try it, with nothing written; what is recorded read back."""

from __future__ import annotations

from typing import Any

from reentry_ledger.application import Ledger
from tests.server.test_pages import signed_in, text_of
from tests.serving import Served, enrolled

CAPS = "/api/agencies/GA/custody-caps"


def stored(ledger: Ledger) -> int:
    """Every event the ledger holds: a refused request leaves it as it was."""
    return ledger.recorder.max_notification_id() or 0


def refused(served: Served, user: str, path: str, body: Any, status: int, kind: str) -> str:
    """The request is refused with `status` and the JSON error body, and writes nothing."""
    before = stored(served.ledger)
    headers = served.headers(user)
    verb = "PUT" if path.endswith("custody-caps") else "POST"
    answer = served.client.request(verb, path, json=body, headers=headers)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["type"] == kind
    assert stored(served.ledger) == before
    return str(error["message"])


def posted(served: Served, user: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = served.post(user, path, body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def case(served: Served) -> dict[str, Any]:
    answer = served.get("cw-ga", "/api/clients/GA-1")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_recommendation_then_the_boards_decision_end_the_term_through_the_api(
    served: Served,
) -> None:
    enrolled(served.ledger)
    violation = posted(served, "cw-ga", "/api/clients/GA-1/violations", {"technical": ["curfew"]})
    assert violation["new_id"] == "V1"
    responses = "/api/clients/GA-1/violations/V1/responses"
    said = refused(served, "cw-ga", responses, {"response": "revocation"}, 422, "refused")
    assert said.startswith("a revocation is decided by a court or a parole board")
    posted(served, "cw-ga", responses, {"response": "revocation", "recommendation": True})
    decided = posted(
        served, "cw-ga", responses, {"response": "revocation", "decided_by": "parole_board"}
    )
    assert (decided["number"], decided["event_type"]) == (4, "ViolationResponded")
    state = case(served)
    assert (state["status"], state["outcome"]) == ("discharged", "revoked_technical")
    assert state["terms"][0]["revoked_by"] == "V1"
    [recommendation, decision] = state["violations"]["V1"]["responses"]
    assert (recommendation["recommendation"], recommendation["ends_term"]) == (True, False)
    assert (decision["decided_by"], decision["ends_term"]) == ("parole_board", True)
    said = refused(served, "sup-ga", "/api/clients/GA-1/discharge", {"outcome": "successful"},
                   422, "refused")  # fmt: skip
    assert "term 1 was revoked on 2026-01-15 (the decision on violation V1)" in said
    said = refused(served, "cw-ga", "/api/clients/GA-1/violations/V1/dispositions",
                   {"disposition": "pending"}, 422, "refused")  # fmt: skip
    assert "records no new offence" in said


def test_a_new_offence_and_its_disposition_after_the_term_through_the_api(served: Served) -> None:
    enrolled(served.ledger)
    posted(served, "cw-ga", "/api/clients/GA-1/violations",
           {"new_offence": "felony", "basis": "conviction", "offence_type": "violent"})  # fmt: skip
    posted(served, "cw-ga", "/api/clients/GA-1/violations/V1/responses",
           {"response": "revocation", "decided_by": "court"})  # fmt: skip
    posted(served, "cw-ga", "/api/clients/GA-1/violations/V1/dispositions",
           {"disposition": "convicted", "offence_type": "drug"})  # fmt: skip
    violation = case(served)["violations"]["V1"]
    assert (violation["basis"], violation["offence_type"]) == ("conviction", "drug")
    assert violation["dispositions"] == [["2026-01-15", "convicted"]]
    assert case(served)["outcome"] == "revoked_new_offence"


def test_a_revoked_discharge_must_cite_a_decision_through_the_api(served: Served) -> None:
    enrolled(served.ledger)
    discharge = "/api/clients/GA-1/discharge"
    said = refused(served, "cw-ga", discharge, {"outcome": "revoked_technical"}, 422, "refused")
    assert said.startswith("a revoked outcome comes from a revocation decision")
    said = refused(served, "cw-ga", discharge,
                   {"outcome": "revoked_technical", "decision": "V9"}, 404, "not_found")  # fmt: skip
    assert "client 'GA-1' has no violation 'V9'" in said


def test_custody_caps_through_the_api_set_by_the_agencys_supervisor_only(served: Served) -> None:
    defaults = {"agency": "GA", "first": 14, "later": 30, "agency_set": False}
    assert served.get("cw-ga", CAPS).json() == defaults
    said = refused(served, "cw-ga", CAPS, {"first": 60, "later": 90}, 403, "not_permitted")
    assert said == "cw-ga (caseworker) may not set an agency's policy (custody caps)"
    served.ledger.add_user("sup-gb", "supervisor", "GB", actor="aud")
    served.tokens["sup-gb"] = served.ledger.issue_token("sup-gb", actor="aud")
    said = refused(served, "sup-gb", CAPS, {"first": 60, "later": 90}, 403, "not_permitted")
    assert said == "sup-gb may set the policy of agency GB only"
    said = refused(served, "sup-ga", CAPS, {"first": 10, "later": 5}, 400, "invalid_input")
    assert "is below the first's (10 days)" in said
    assert served.get("aud", CAPS).json() == defaults  # nothing the refusals tried holds

    answer = served.client.put(
        CAPS, json={"first": 3, "later": 7}, headers=served.headers("sup-ga")
    )
    assert answer.status_code == 200, answer.text
    assert served.get("cw-ga", CAPS).json() == {**defaults, "first": 3, "later": 7,
                                                "agency_set": True}  # fmt: skip
    enrolled(served.ledger)
    posted(served, "cw-ga", "/api/clients/GA-1/violations", {"technical": ["curfew"]})
    responses = "/api/clients/GA-1/violations/V1/responses"
    over = {"response": "custody_sanction", "custody_days": 4}
    said = refused(served, "cw-ga", responses, over, 422, "refused")
    assert "over the agency's cap of 3 days" in said
    posted(served, "cw-ga", responses, {**over, "decided_by": "court"})


def test_oversight_records_no_incentive_and_reads_no_caps(served: Served) -> None:
    enrolled(served.ledger)
    said = refused(served, "ovs", "/api/clients/GA-1/incentives", {"kind": "commendation"},
                   403, "not_permitted")  # fmt: skip
    assert said == "ovs (oversight) may not record casework"
    assert served.get("ovs", CAPS).status_code == 403
    posted(served, "cw-ga", "/api/clients/GA-1/incentives", {"kind": "commendation",
                                                             "note": "kept every appointment"})  # fmt: skip
    assert case(served)["incentives"] == [["2026-01-15", "commendation"]]


def test_a_recommendation_a_decision_a_disposition_and_an_incentive_through_the_forms(
    served: Served,
) -> None:
    enrolled(served.ledger)
    served.ledger.record_violation("GA-1", actor="cw-ga", new_offence="misdemeanor",
                                   basis="arrest")  # fmt: skip
    caseworker = signed_in(served, "cw-ga")
    page = caseworker.get("/clients/GA-1")
    assert "new offence (misdemeanor, basis arrest)" in text_of(page)
    assert 'name="recommendation"' in page.text and ">increased_reporting<" in page.text
    assert ">sanction<" not in page.text  # the first round's code is not offered
    answer = caseworker.post("/clients/GA-1/violations/V1/responses",
                             {"response": "revocation", "recommendation": "yes",
                              "expected": "2"})  # fmt: skip
    assert answer.headers["location"] == "/clients/GA-1?recorded=3"
    page = caseworker.get(answer.headers["location"])
    assert "Recommendation: revocation on 2026-01-15, by officer" in text_of(page)
    assert 'action="/clients/GA-1/violations/V1/responses"' in page.text  # still undecided
    refused_page = caseworker.post("/clients/GA-1/violations/V1/responses",
                                   {"response": "revocation", "expected": "3"})  # fmt: skip
    assert refused_page.status_code == 422
    assert "a revocation is decided by a court or a parole board" in text_of(refused_page)
    assert served.ledger.get_client("GA-1").version == 3

    answer = caseworker.post("/clients/GA-1/incentives",
                             {"kind": "commendation", "note": "on time", "expected": "3"})  # fmt: skip
    assert answer.headers["location"] == "/clients/GA-1?recorded=4"
    caseworker.get(answer.headers["location"])
    answer = caseworker.post("/clients/GA-1/violations/V1/responses",
                             {"response": "revocation", "decided_by": "court",
                              "expected": "4"})  # fmt: skip
    page = caseworker.get(answer.headers["location"])
    text = text_of(page)
    assert (
        "Decision: revocation on 2026-01-15, by court: ended term 1 (revoked_new_offence)" in text
    )
    assert "revoked (revoked_new_offence on 2026-01-15, by the decision on V1)" in text
    assert "commendation 2026-01-15" in text
    assert 'action="/clients/GA-1/violations/V1/responses"' not in page.text  # decided
    answer = caseworker.post("/clients/GA-1/violations/V1/dispositions",
                             {"disposition": "dismissed", "expected": "5"})  # fmt: skip
    assert answer.headers["location"] == "/clients/GA-1?recorded=6"
    page = caseworker.get(answer.headers["location"])
    assert "disposition dismissed since 2026-01-15" in text_of(page)
    timeline = text_of(caseworker.get("/clients/GA-1/timeline"))
    assert "5. ViolationResponded (decision by court, which ended the term: " in timeline


def test_a_refused_incentive_or_disposition_form_is_shown_again_beside_its_error(
    served: Served,
) -> None:
    enrolled(served.ledger)
    served.ledger.record_violation("GA-1", actor="cw-ga", technical=["curfew"])
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    answer = caseworker.post("/clients/GA-1/incentives", {"note": "kept", "expected": "2"})
    assert answer.status_code == 400
    assert "Incentive: choose one of reduced_reporting" in text_of(answer)
    assert ">kept</textarea>" in answer.text
    answer = caseworker.post("/clients/GA-1/violations/V1/dispositions",
                             {"disposition": "pending", "expected": "2"})  # fmt: skip
    assert answer.status_code == 422 and "records no new offence" in text_of(answer)
    assert served.ledger.get_client("GA-1").version == 2
