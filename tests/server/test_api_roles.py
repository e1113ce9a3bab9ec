"""Every role against every API endpoint: a table, as the CLI's (tests/e2e/test_access_control.py).

Each row is one route of the API (`VERB /path`) and the status each of the six users gets:
allowed ones succeed, refused ones answer 403 (the role may not) or 404 (another agency's
client, exactly as one that does not exist), never anything else, always with the JSON error
body; a refused write leaves the ledger as it was. Each user acts on a subject of its own (a
client, or a user to manage), made fresh for the attempt, so no attempt depends on another;
an agency's policy (`{agency}`) is GA's, the agency of `sup-ga` and `cw-ga`, and so is the programme
(`{programme}`).

A route of the app with no row fails `test_every_api_route_has_a_row`: a new endpoint cannot
go untested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.directory import DIRECTORY_ID
from reentry_ledger.domain.references import client_id
from reentry_ledger.server.app import create_app
from tests.builders import TODAY
from tests.server.test_remote_cli import LEGACY
from tests.serving import Served, enrolled

ROLES = ("aud", "sup-ga", "cw-ga", "cw-gb", "ovs", "cust")  # auditor .. custodian
OK, FORBIDDEN, HIDDEN = 200, 403, 404
GA_WRITE = (FORBIDDEN, OK, OK, HIDDEN, FORBIDDEN, FORBIDDEN)  # casework on a GA client
GA_READ = (OK, OK, OK, HIDDEN, FORBIDDEN, FORBIDDEN)
SUPERVISOR_ONLY = (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
MANAGERS = (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)  # of a GA caseworker
AUDITOR_ONLY = (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
REPORTERS = (OK, OK, OK, OK, OK, FORBIDDEN)
OPERATORS = (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
CLIENT_READERS = (OK, OK, OK, OK, FORBIDDEN, FORBIDDEN)  # each sees its own agency's
EVERYONE = (OK, OK, OK, OK, OK, OK)
MAPPING = (Path(__file__).parents[2] / "examples" / "legacy" / "mapping.toml").read_text()
RANGE = {"from": "2025-01-01", "to": "2025-12-31"}
PROGRAMME = "Work ready"  # a GA programme (its name has a space, quoted in the path)


@dataclass(frozen=True)
class Attempt:
    """A request, its path and values naming `{ref}` (a GA client made for the attempt) or
    `{name}` (a GA caseworker, the user to manage)."""

    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    csv: str | None = None  # a CSV body instead of JSON


# "VERB /path" -> (the request, the status for each of ROLES)
TABLE: dict[str, tuple[Attempt, tuple[int, ...]]] = {
    "POST /api/clients": (
        Attempt({"ref": "{ref}", "agency": "GA", "officer": "o", "supervision": "probation"}),
        (FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "POST /api/clients/{ref}/assessments": (
        Attempt({"instrument": "ORAS", "risk_level": "moderate", "needs": ["school_work"]}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/plans": (
        Attempt({"goals": [["substance_use", "attend treatment"]]}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/goals": (
        Attempt({"need": "school_work", "description": "find work"}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/goals/{goal_id}/progress": (
        Attempt({"status": "in_progress"}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/goals/{goal_id}/priority": (Attempt({"priority": 2}), GA_WRITE),
    "POST /api/clients/{ref}/plans/approvals": (Attempt({}), SUPERVISOR_ONLY),
    "POST /api/clients/{ref}/referrals": (Attempt({"service": "housing"}), GA_WRITE),
    "POST /api/clients/{ref}/referrals/{referral_id}/status": (
        Attempt({"status": "accepted"}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/contacts": (Attempt({"note": "spoke about work"}), GA_WRITE),
    "POST /api/clients/{ref}/volunteer-matches": (Attempt({"volunteer": "Val V"}), GA_WRITE),
    "POST /api/clients/{ref}/volunteer-matches/end": (
        Attempt({"ending": "completed"}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/violations": (Attempt({"technical": ["curfew"]}), GA_WRITE),
    "POST /api/clients/{ref}/violations/{violation_id}/responses": (
        Attempt({"response": "revocation", "recommendation": True}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/violations/{violation_id}/dispositions": (
        Attempt({"disposition": "pending", "offence_type": "drug"}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/incentives": (Attempt({"kind": "commendation"}), GA_WRITE),
    "GET /api/agencies/{agency}/custody-caps": (Attempt(), CLIENT_READERS),
    "PUT /api/agencies/{agency}/custody-caps": (
        Attempt({"first": 10, "later": 21}),
        SUPERVISOR_ONLY,
    ),
    "POST /api/clients/{ref}/discharge": (Attempt({"outcome": "successful"}), GA_WRITE),
    "POST /api/clients/{ref}/reassignments": (Attempt({"officer": "o-2"}), GA_WRITE),
    "POST /api/clients/{ref}/level": (Attempt({"level": "medium"}), GA_WRITE),
    "POST /api/clients/{ref}/conditions": (
        Attempt({"add": ["curfew"], "remove": []}),
        GA_WRITE,
    ),
    "POST /api/clients/{ref}/custody": (Attempt({"reason": "jail_hold"}), GA_WRITE),
    "POST /api/clients/{ref}/custody/end": (Attempt({}), GA_WRITE),
    "POST /api/clients/{ref}/absconding": (Attempt({}), GA_WRITE),
    "POST /api/clients/{ref}/absconding/return": (Attempt({}), GA_WRITE),
    "POST /api/clients/{ref}/corrections": (
        Attempt({"number": 2, "reason": "entered on the wrong client"}),
        SUPERVISOR_ONLY,
    ),
    "POST /api/clients/{ref}/seal": (
        Attempt({"ground": "court_order", "reference": "CO-1"}),
        SUPERVISOR_ONLY,
    ),
    "POST /api/programmes": (
        Attempt({"name": "P-{ref}", "service": "education"}),
        (FORBIDDEN, OK, OK, OK, FORBIDDEN, FORBIDDEN),  # each its own agency's
    ),
    "GET /api/programmes": (Attempt(), CLIENT_READERS),
    "POST /api/programmes/{programme}/places": (Attempt({"refs": ["{ref}"]}), GA_WRITE),
    "POST /api/programmes/{programme}/sessions": (Attempt({"attended": ["{ref}"]}), GA_WRITE),
    "POST /api/clients/{ref}/programmes/{programme}/end": (
        Attempt({"outcome": "completed"}),
        GA_WRITE,
    ),
    "GET /api/clients/{ref}": (Attempt(), GA_READ),
    "GET /api/clients/{ref}/timeline": (Attempt(params={"as_of": "2026-01-15"}), GA_READ),
    "POST /api/volunteers": (
        Attempt({"name": "Val V", "skills": ["tutoring"], "agency": "GA"}),
        (FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "GET /api/volunteers": (Attempt(), CLIENT_READERS),
    "POST /api/volunteers/{volunteer_id}/training": (Attempt({}), GA_WRITE),
    "POST /api/volunteers/{volunteer_id}/leaving": (Attempt({"reason": "moved"}), GA_WRITE),
    "POST /api/volunteers/supervision": (
        Attempt({"volunteer_ids": ["{volunteer_id}"], "kind": "individual"}),
        GA_WRITE,
    ),
    "GET /api/clients/{ref}/volunteer-suggestions": (Attempt(), GA_READ),
    "GET /api/clients/{ref}/progress-report": (
        Attempt(params={"as_of": "2026-01-15"}),
        GA_READ,
    ),
    "GET /api/users": (Attempt(), MANAGERS),
    "POST /api/users": (
        Attempt({"name": "{name}", "role": "caseworker", "agency": "GA"}),
        MANAGERS,
    ),
    "DELETE /api/users/{name}": (Attempt({"reason": "left"}), MANAGERS),
    "POST /api/users/{name}/tokens": (Attempt({"expires_days": 30}), MANAGERS),
    "DELETE /api/users/{name}/tokens": (Attempt(), MANAGERS),
    "PUT /api/users/{name}/password": (Attempt({"password": "a long enough secret"}), MANAGERS),
    "GET /api/access-log": (Attempt(params={"client_ref": "{ref}"}), AUDITOR_ONLY),
    "GET /api/clients": (Attempt(), CLIENT_READERS),
    "GET /api/reports/violations": (Attempt(params={"by": "agency,risk", **RANGE}), REPORTERS),
    "GET /api/reports/responses": (Attempt(params={"by": "agency", **RANGE}), REPORTERS),
    "GET /api/reports/caseload": (Attempt(params={"on": "2025-06-30"}), REPORTERS),
    "GET /api/reports/discharges": (Attempt(params=RANGE), REPORTERS),
    "GET /api/reports/referrals": (Attempt(params=RANGE), REPORTERS),
    "GET /api/reports/volunteers": (Attempt(params=RANGE), REPORTERS),
    "GET /api/reports/needs": (Attempt(params={"by": "risk,agency", **RANGE}), REPORTERS),
    "GET /api/reports/programmes": (Attempt(params=RANGE), REPORTERS),
    "GET /api/reports/contacts": (Attempt(params={"by": "level", **RANGE}), REPORTERS),
    "GET /api/reports/volunteer-supervision": (Attempt(params=RANGE), REPORTERS),
    "GET /api/reports/justice-counts": (Attempt(params={"year": 2025}), REPORTERS),
    "GET /api/reports/disparities": (
        Attempt(params={"by": "race", "metric": ["technical"], **RANGE}),
        REPORTERS,
    ),
    "GET /api/reports/cohorts": (
        Attempt(params={"start_period": "quarter", "follow": 36}),
        REPORTERS,
    ),
    "GET /api/digest": (Attempt(), AUDITOR_ONLY),
    "POST /api/verify": (Attempt({}), AUDITOR_ONLY),
    "GET /api/export": (Attempt(), AUDITOR_ONLY),
    "GET /api/export/deidentified": (
        Attempt(params={"k": 1}),
        (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    ),
    "GET /api/whoami": (Attempt(), EVERYONE),
    "POST /api/replay": (Attempt({}), OPERATORS),
    "GET /api/projections": (Attempt(), OPERATORS),
    "POST /api/projections/catch-up": (Attempt({}), OPERATORS),
    "POST /api/projections/rebuild": (Attempt({"names": ["clients"]}), OPERATORS),
    "POST /api/projections/verify": (Attempt({"names": ["clients"]}), OPERATORS),
    "POST /api/imports/csv": (
        Attempt(params={"mapping": MAPPING}, csv=LEGACY.format(p="{ref}", agency="GA")),
        SUPERVISOR_ONLY,
    ),
}


def test_every_api_route_has_a_row(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    app = create_app(ledger)
    routes = {  # as the OpenAPI document lists them (routers included in the app too)
        f"{verb.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for verb in operations
    }
    ledger.close()
    assert routes - set(TABLE) == set(), "routes with no row in the role table"
    assert set(TABLE) - routes == set(), "rows for routes the app does not have"
    assert all(len(statuses) == len(ROLES) for _, statuses in TABLE.values())


def client_with_history(ledger: Ledger, ref: str) -> None:
    """A GA client with a referral (R1) and a violation (V1: absconding and a new charge)."""
    enrolled(ledger, ref)
    ledger.refer(ref, actor="cw-ga", service="employment")
    ledger.record_violation(
        ref, actor="cw-ga", absconding=True, new_offence="misdemeanor", basis="charge"
    )


VOLUNTEERS: dict[str, str] = {}  # subject -> the GA volunteer registered for it
ABSENT_VOLUNTEER = "VOL999999"  # of a subject with none (x-absent)


def filled(value: Any, subject: str) -> Any:
    if isinstance(value, list):
        return [filled(item, subject) for item in value]
    if isinstance(value, str):
        volunteer = VOLUNTEERS.get(subject, ABSENT_VOLUNTEER)
        value = value.replace("{volunteer_id}", volunteer)
        return value.replace("{ref}", subject).replace("{name}", subject)
    if isinstance(value, dict):
        return {key: filled(item, subject) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, subject) for item in value]
    return value


def url(route: str, subject: str) -> str:
    path = route.split(" ", 1)[1]
    path = path.replace("{referral_id}", "R1").replace("{violation_id}", "V1")
    path = path.replace("{goal_id}", "G1")
    path = path.replace("{programme}", PROGRAMME)
    return filled(path, subject).replace("{agency}", "GA")


def prepare(ledger: Ledger, route: str, subject: str) -> None:
    """The subject the attempt acts on, as it must exist beforehand."""
    if "{ref}" in route:
        client_with_history(ledger, subject)
    if "/goals/" in route or route.endswith("/plans/approvals"):  # goals G1 and G2
        for need in ("school_work", "family_marital"):
            ledger.add_goal(subject, actor="cw-ga", need=need, description="a goal")
    if route.endswith("/volunteer-matches/end"):
        ledger.match_volunteer(subject, actor="cw-ga", volunteer="Vera V")
    elif route.endswith("/custody/end"):
        ledger.start_custody(subject, actor="cw-ga", reason="sanction")
    elif route.endswith("/absconding/return"):
        ledger.abscond(subject, actor="cw-ga")
    elif "{programme}" in route:
        if "{ref}" not in route:  # the client named in the body
            client_with_history(ledger, subject)
        if ledger.programme("GA", PROGRAMME) is None:
            ledger.add_programme(PROGRAMME, actor="cw-ga", service="employment")
        if not route.endswith("/places"):
            ledger.enrol_in_programme(PROGRAMME, [subject], actor="cw-ga")
    elif "/api/users/{name}" in route:
        ledger.add_user(subject, "caseworker", "GA", actor="aud")
    elif "/api/volunteers/" in route:
        VOLUNTEERS[subject] = ledger.register_volunteer(
            actor="cw-ga", name="Val V", skills=("tutoring",)
        )


def written(ledger: Ledger, subject: str) -> tuple[Any, ...]:
    """What a write could change: every event, the subject's own, the users, the credentials."""
    with ledger.credentials.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT credential_id, digest FROM {ledger.credentials.table}")
        credentials = sorted(tuple(row) for row in cursor.fetchall())
    return (
        ledger.recorder.max_notification_id(),
        len(ledger.recorder.select_events(client_id(subject))),
        len(ledger.recorder.select_events(DIRECTORY_ID)),
        credentials,
    )


def attempt(served: Served, route: str, role: str, subject: str) -> Any:
    request, _ = TABLE[route]
    body: dict[str, Any] = {"json": filled(request.json, subject)}
    headers = served.headers(role)
    if request.csv is not None:
        body = {"content": filled(request.csv, subject)}
        headers["Content-Type"] = "text/csv"
    return served.client.request(
        route.split(" ", 1)[0],
        url(route, subject),
        params=filled(request.params, subject),
        headers=headers,
        **body,
    )


@pytest.mark.parametrize("route", sorted(TABLE))
def test_every_role_against_every_endpoint(served: Served, route: str) -> None:
    _, expected = TABLE[route]
    seen, problems = {}, []  # role -> status; what is wrong besides
    for role in ROLES:
        subject = f"x-{role}"  # a client reference and a user name alike
        prepare(served.ledger, route, subject)
        before = written(served.ledger, subject)
        answer = attempt(served, route, role, subject)
        seen[role] = answer.status_code
        if answer.status_code != expected[ROLES.index(role)]:
            problems.append(f"{role}: {answer.status_code} {answer.text[:300]}")
        if answer.status_code >= 400:
            problems += refusal_problems(served, route, role, subject, answer)
            if written(served.ledger, subject) != before:
                problems.append(f"{role}: a refused request changed the ledger")
    assert seen == dict(zip(ROLES, expected, strict=True)), problems
    assert problems == []


def refusal_problems(served: Served, route: str, role: str, subject: str, answer: Any) -> list[str]:
    """What is wrong with a refusal: not the JSON error body of a refusal, or (another
    agency's client) not word for word the answer for a client that does not exist."""
    error = answer.json()["error"]
    if (error["type"], error["exit_code"]) not in (("not_permitted", 3), ("not_found", 4)):
        return [f"{role}: {error}"]
    if answer.status_code == HIDDEN:
        missing = attempt(served, route, role, "x-absent")
        words = missing.json()["error"]["message"].replace("x-absent", subject)
        words = words.replace(ABSENT_VOLUNTEER, VOLUNTEERS.get(subject, ABSENT_VOLUNTEER))
        if (missing.status_code, words) != (HIDDEN, error["message"]):
            return [f"{role}: {error} is not what a missing client gets: {missing.json()}"]
    return []


def test_a_caseworker_cannot_move_a_client_to_another_agency_through_the_api(
    served: Served,
) -> None:
    """A transfer is a supervisor's act whichever door it comes by (ADR 55): the API refuses
    it to the client's own caseworker, writes nothing, and lets the supervisor do it."""
    ledger = served.ledger
    enrolled(ledger, "x-moved")
    before = written(ledger, "x-moved")
    move = {"officer": "o-2", "agency": "GB"}
    refused = served.post("cw-ga", "/api/clients/x-moved/reassignments", json=move)
    assert refused.status_code == FORBIDDEN, refused.text
    assert refused.json()["error"]["type"] == "not_permitted"
    assert "another agency" in refused.json()["error"]["message"]
    assert written(ledger, "x-moved") == before
    assert served.get("cw-gb", "/api/clients/x-moved").status_code == HIDDEN
    moved = served.post("sup-ga", "/api/clients/x-moved/reassignments", json=move)
    assert moved.status_code == OK, moved.text
    assert served.get("cw-gb", "/api/clients/x-moved").status_code == OK


def test_a_write_whose_notice_names_an_agency_beyond_latin_1_answers_what_it_did(
    served: Served,
) -> None:
    """The move was stored, but its notice (naming the new agency) went into a header as it
    was, which HTTP headers cannot carry beyond Latin-1: the server answered 500 "unexpected
    error" to a write it had made (found by a probe of the server). The notice is sent
    percent-encoded, and the CLI's client decodes it."""
    ledger = served.ledger
    ledger.add_user("cw-u", "caseworker", "AG→Ü", actor="aud")
    enrolled(ledger, "x-moved")
    moved = served.post(
        "sup-ga", "/api/clients/x-moved/reassignments", json={"officer": "o", "agency": "AG→Ü"}
    )
    assert moved.status_code == OK, moved.text
    from urllib.parse import unquote

    from reentry_ledger.notices import notices_of

    header = moved.headers["X-Ledger-Notice"]
    assert header.isascii() and "AG→Ü" in unquote(header)
    assert any("AG→Ü" in notice for notice in notices_of(header))
    assert ledger.client_state("x-moved", actor="aud").agency == "AG→Ü"


def test_an_aggregate_read_out_of_sequence_answers_as_a_failed_verification(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any read of events with one deleted or moved in the database (the work list's,
    a volunteer's, a programme's as well as a client's) answers 409 pointing to verify, as
    the CLI exits 6; it answered 500 "unexpected error"."""
    from eventsourcing.domain import OriginatorVersionError

    enrolled(served.ledger, "x-read")

    def broken(*_: Any, **__: Any) -> Any:
        raise OriginatorVersionError(4, 3)

    monkeypatch.setattr(Ledger, "client_state", broken)
    from fastapi.testclient import TestClient

    client = TestClient(served.client.app, raise_server_exceptions=False)  # as served
    answer = client.get("/api/clients/x-read", headers=served.headers("cw-ga"))
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["type"] == "verification_failed" and error["exit_code"] == 6
    assert "`reentry-ledger verify`" in error["message"]


def test_refused_reads_through_the_api_are_in_the_access_log(served: Served) -> None:
    # as through the CLI (tests/e2e/test_access_control.py): an unsuccessful attempt to read
    # a client's record is logged for auditors (CJIS), whichever front end it came through
    enrolled(served.ledger, "GA-77")
    for role, path in (
        ("cw-gb", "/api/clients/GA-77/timeline"),
        ("cw-gb", "/api/clients/GA-77"),
        ("ovs", "/api/clients/GA-77/progress-report"),
    ):
        assert served.get(role, path).status_code in (FORBIDDEN, HIDDEN)
    log = served.get("aud", "/api/access-log", params={"client_ref": "GA-77"}).json()
    assert [(read["recorded_by"], read["view"]) for read in log["reads"]] == [
        ("cw-gb", "refused timeline"),
        ("cw-gb", "refused show"),
        ("ovs", "refused progress report"),
    ]


def test_refused_writes_through_the_api_are_in_the_access_log(served: Served) -> None:
    # as through the CLI: another agency's caseworker adding to a record, oversight writing
    enrolled(served.ledger, "GA-78")
    for role in ("cw-gb", "ovs"):
        note = {"note": "spoke about work"}
        answer = served.post(role, "/api/clients/GA-78/contacts", json=note)
        assert answer.status_code in (FORBIDDEN, HIDDEN), answer.text
    log = served.get("aud", "/api/access-log", params={"client_ref": "GA-78"}).json()
    assert [(read["recorded_by"], read["view"]) for read in log["reads"]] == [
        ("cw-gb", "refused contact"),
        ("ovs", "refused contact"),
    ]
