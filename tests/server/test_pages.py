"""The web pages, on both backends: signing in and out, sessions that end, each role's pages
and refusals, forms that carry a CSRF token (and write nothing without it), recording through
a form, reads in the access log, reports as the CLI gives them, no personal data in any
address, and the security headers."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from fnmatch import fnmatch
from html import unescape
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from reentry_ledger.application import users
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.cli import cli
from reentry_ledger.credentials import utc_now
from reentry_ledger.domain.errors import ClientNotFound, InvalidInput
from reentry_ledger.reports import chart
from reentry_ledger.reports.violations import DEFINITIONS_VERSION, TABLE_METRICS
from reentry_ledger.server.app import SECURITY_HEADERS
from reentry_ledger.server.auth import SESSION_COOKIE
from reentry_ledger.server.web import audit as audit_page
from reentry_ledger.server.web import clients, forms
from reentry_ledger.server.web import reports as reports_page
from reentry_ledger.server.web.rendering import shown
from tests.builders import START, TODAY
from tests.serving import PASSWORD, Served, enrolled

REPOSITORY = Path(__file__).resolve().parents[2]
NAME = "Jo Example"  # the enrolled client's name: personal data
NOTE = "Spoke about the eviction notice"  # a case note: personal data


class Visitor:
    """One browser: its own cookies, signed in (or not) to the served app."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.client = TestClient(served.client.app, base_url=served.base_url)
        self.last: Any = None

    def get(self, path: str, **kwargs: Any) -> Any:
        self.last = self.client.get(path, follow_redirects=False, **kwargs)
        return self.last

    def post(self, path: str, data: dict[str, Any], token: bool = True) -> Any:
        if token and "csrf" not in data:
            data = {**data, "csrf": self.csrf()}
        self.last = self.client.post(path, data=data, follow_redirects=False)
        return self.last

    def csrf(self) -> str:
        """The token of the forms on the page last shown."""
        found = re.search(r'name="csrf" value="([^"]+)"', self.last.text)
        assert found, "the page has no form token"
        return found.group(1)

    def sign_in(self, name: str, password: str = PASSWORD) -> Any:
        self.get("/sign-in")
        return self.post("/sign-in", {"name": name, "password": password})


def signed_in(served: Served, name: str) -> Visitor:
    visitor = Visitor(served)
    answer = visitor.sign_in(name)
    assert answer.status_code == 303, answer.text
    return visitor


def text_of(answer: Any) -> str:
    """The page's text, tags removed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text)))


def events(served: Served, ref: str = "GA-1") -> int:
    return served.ledger.get_client(ref).version


def addresses(html: str) -> list[str]:
    """Every address a page links to, loads or posts to."""
    return [unescape(a) for a in re.findall(r'(?:href|src|action)="([^"]*)"', html)]


# --- signing in and out --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, landing",
    [
        ("ovs", "/reports/violations"),
        ("cw-ga", "/clients"),
        ("sup-ga", "/clients"),
        ("aud", "/audit"),
        ("cust", "/home"),
    ],
)
def test_signing_in_with_a_password_opens_the_roles_first_page(
    served: Served, name: str, landing: str
) -> None:
    visitor = Visitor(served)
    answer = visitor.sign_in(name)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=rlt_")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Max-Age=28800"):
        assert attribute in cookie
    assert "Secure" not in cookie  # the test server is plain HTTP (serve --secure-cookies)
    assert visitor.get("/").headers["location"] == landing
    assert visitor.get(landing).status_code == 200
    assert f"{name} (" in visitor.last.text


def test_signing_in_with_a_token_opens_a_session(served: Served) -> None:
    visitor = Visitor(served)
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", {"token": served.tokens["cw-ga"]})
    assert answer.status_code == 303
    assert visitor.get("/clients").status_code == 200


def test_revoking_the_token_a_session_was_opened_with_ends_the_session(served: Served) -> None:
    """Someone who signed in with a leaked token stayed signed in for the session's eight
    hours after that one token was revoked (`users revoke-token NAME --id ID`): only revoking
    every token ended the web sessions, where the command says either does."""
    leaked = served.tokens["cw-ga"]
    visitor = Visitor(served)
    visitor.get("/sign-in")
    assert visitor.post("/sign-in", {"token": leaked}).status_code == 303
    assert visitor.get("/clients").status_code == 200
    token_id = leaked.removeprefix("rlt_").partition(".")[0]
    served.ledger.revoke_tokens("cw-ga", actor="sup-ga", token_id=token_id)
    answer = visitor.get("/clients")
    assert (
        answer.status_code == 303
        and answer.headers["location"] == "/sign-in?next=%2Fclients&ended=yes"
    )


@pytest.mark.parametrize(
    "form",
    [
        {"name": "cw-ga", "password": "not the password"},
        {"name": "nobody", "password": PASSWORD},
        {"name": "cw-ga", "password": ""},
        {"token": "rlt_0000000000000000.forged"},
    ],
    ids=["wrong password", "unknown name", "no password", "forged token"],
)
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(
    served: Served, form: dict[str, str]
) -> None:
    visitor = Visitor(served)
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", form)
    assert answer.status_code == 401
    assert "sign-in failed: the user name and password, or the token, are not right" in (
        text_of(answer)
    )
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert visitor.get("/clients").headers["location"] == "/sign-in?next=%2Fclients"


def test_a_sign_in_posted_without_the_sign_in_pages_token_is_refused(served: Served) -> None:
    """Another site cannot sign a browser in to an account of its choosing."""
    attacker = Visitor(served)
    answer = attacker.post("/sign-in", {"name": "cw-ga", "password": PASSWORD}, token=False)
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    forged = attacker.post("/sign-in", {"name": "cw-ga", "password": PASSWORD, "csrf": "0" * 64})
    assert forged.status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/", "/clients", "/clients/GA-1", "/clients/GA-1/timeline", "/reports/violations",
     "/reports/violations.csv", "/reports/disparities", "/reports/disparities.csv",
     "/reports/cohorts", "/reports/cohorts.csv", "/audit", "/audit/access-log",
     "/definitions"],
)  # fmt: skip
def test_a_page_without_a_session_sends_the_browser_to_sign_in(served: Served, path: str) -> None:
    enrolled(served.ledger)
    answer = Visitor(served).get(path)
    assert answer.status_code == 303
    back = f"?next={quote(path, safe='')}" if path != "/" else ""  # to come back after
    assert answer.headers["location"] == f"/sign-in{back}"


def test_a_post_without_a_session_writes_nothing(served: Served) -> None:
    enrolled(served.ledger)
    stranger = Visitor(served)
    stranger.get("/sign-in")
    answer = stranger.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"
    assert events(served) == 1


def test_a_session_past_its_time_is_refused(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = signed_in(served, "cw-ga")
    assert visitor.get("/clients").status_code == 200
    later = utc_now() + timedelta(minutes=481)  # sessions last 480 minutes (Settings)
    monkeypatch.setattr(users, "utc_now", lambda: later)
    answer = visitor.get("/clients")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fclients&ended=yes"


def test_signing_in_goes_back_to_the_page_asked_for(served: Served) -> None:
    """A link to a client's page, opened signed out, landed on the caseload after sign-in."""
    enrolled(served.ledger)
    visitor = Visitor(served)
    asked = visitor.get("/clients/GA-1/timeline?as_of=2025-06-01")
    visitor.get(asked.headers["location"])
    assert 'name="next" value="/clients/GA-1/timeline?as_of=2025-06-01"' in visitor.last.text
    answer = visitor.post(
        "/sign-in", {"name": "cw-ga", "password": PASSWORD,
                     "next": "/clients/GA-1/timeline?as_of=2025-06-01"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/clients/GA-1/timeline?as_of=2025-06-01"


@pytest.mark.parametrize(
    "elsewhere",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
     "/\tevil", "evil.example"],
)  # fmt: skip
def test_signing_in_never_goes_on_to_another_site(served: Served, elsewhere: str) -> None:
    """The page to go back to comes in the address: an attacker's link may name any."""
    visitor = Visitor(served)
    page = visitor.get(f"/sign-in?next={quote(elsewhere, safe='')}")
    assert 'name="next" value="/"' in page.text
    answer = visitor.post("/sign-in", {"name": "cw-ga", "password": PASSWORD, "next": elsewhere})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_a_form_sent_after_the_session_ended_says_so_and_goes_back_to_its_page(
    served: Served,
) -> None:
    """The note was lost with no word of why: the sign-in page, plain, then the caseload."""
    enrolled(served.ledger)
    visitor = signed_in(served, "cw-ga")
    visitor.get("/clients/GA-1")
    form = {"note": NOTE, "expected": "1", "csrf": visitor.csrf()}
    served.ledger.revoke_tokens("cw-ga", actor="sup-ga")  # its web sessions end with them
    answer = visitor.client.post(
        "/clients/GA-1/contacts", data=form, follow_redirects=False,
        headers={"referer": "http://testserver/clients/GA-1"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fclients%2FGA-1&ended=unsaved"
    told = text_of(visitor.get(answer.headers["location"]))
    assert "Your session had ended, so what you had just sent was not recorded" in told
    assert events(served) == 1
    back = visitor.post("/sign-in", {"name": "cw-ga", "password": PASSWORD,
                                     "next": "/clients/GA-1"})  # fmt: skip
    assert back.headers["location"] == "/clients/GA-1"


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(served: Served) -> None:
    visitor = signed_in(served, "cw-ga")
    visitor.get("/clients")
    copied = visitor.client.cookies[SESSION_COOKIE]
    answer = visitor.post("/sign-out", {})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"
    assert f'{SESSION_COOKIE}="";' in answer.headers["set-cookie"]  # the browser drops it
    replay = TestClient(served.client.app, cookies={SESSION_COOKIE: copied})
    assert (
        replay.get("/clients", follow_redirects=False).headers["location"]
        == "/sign-in?next=%2Fclients&ended=yes"
    )


# --- each role's pages ----------------------------------------------------------------------


def test_a_clients_page_shows_the_case_plan_as_show_prints_it(served: Served) -> None:
    """A client with a case plan: the page answered 500 (the template read the plan's goals as
    they were kept before the casework issue); it shows each goal in order of priority, and
    the plan's approval, as `show` prints them."""
    enrolled(served.ledger)
    ledger = served.ledger
    ledger.add_goal("GA-1", actor="cw-ga", need="school_work", description="Find a job")
    ledger.revise_plan("GA-1", actor="cw-ga", goals=[("substance_use", "Start treatment"), "G1"])
    ledger.approve_plan("GA-1", actor="sup-ga")
    ledger.add_goal("GA-1", actor="cw-ga", need="family_marital", description="Call family")
    page = signed_in(served, "cw-ga").get("/clients/GA-1")
    assert page.status_code == 200, page.text
    shown_by_cli = CliRunner().invoke(
        cli, ["--db", served.db_url, "--actor", "cw-ga", "show", "GA-1"]
    )
    assert shown_by_cli.exit_code == 0, shown_by_cli.output
    printed = shown_by_cli.stdout.splitlines()
    goals = [line[13:] for line in printed if line.startswith(("goals ", " " * 13))]
    plan = next(line[13:] for line in printed if line.startswith("plan "))
    assert [goal.split(". ", 1)[1][:2] for goal in goals] == ["G2", "G1", "G3"]
    assert "changed since" in plan
    said = text_of(page)
    assert all(" ".join(goal.split()) in said for goal in [*goals, plan]), said


def test_oversight_cannot_open_a_clients_pages(served: Served) -> None:
    enrolled(served.ledger)
    with pytest.raises(NotPermitted) as refused:
        served.ledger.timeline("GA-1", actor="ovs")
    oversight = signed_in(served, "ovs")
    for path in ("/clients/GA-1/timeline", "/clients/GA-1", "/clients"):
        answer = oversight.get(path)
        assert answer.status_code == 403
        assert f"Error: {refused.value}" in text_of(answer)  # the CLI's words
        assert "Traceback" not in answer.text


def test_another_agencys_caseworker_finds_no_such_client(served: Served) -> None:
    enrolled(served.ledger)
    with pytest.raises(ClientNotFound) as missing:
        served.ledger.timeline("GA-1", actor="cw-gb")
    other = signed_in(served, "cw-gb")
    for path in ("/clients/GA-1/timeline", "/clients/GA-1", "/clients/NO-SUCH/timeline"):
        answer = other.get(path)
        assert answer.status_code == 404
        assert "Error: no client with reference" in text_of(answer)
    assert f"Error: {missing.value}" in text_of(other.get("/clients/GA-1"))
    assert "GA-1" not in text_of(other.get("/clients"))
    other.get("/clients")
    written = other.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    assert written.status_code == 404
    assert events(served) == 1


@pytest.mark.parametrize(
    "name, path",
    [("cw-ga", "/audit"), ("ovs", "/audit/access-log"), ("cust", "/reports/violations"),
     ("cust", "/reports/violations/chart.svg"), ("cust", "/reports/violations.csv"),
     ("cust", "/reports/disparities"), ("cust", "/reports/cohorts.csv")],
)  # fmt: skip
def test_a_role_without_the_permission_gets_a_refusal_page(
    served: Served, name: str, path: str
) -> None:
    answer = signed_in(served, name).get(path)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert f"Error: {name} (" in text_of(answer)


def test_oversight_cannot_record_through_a_form(served: Served) -> None:
    enrolled(served.ledger)
    oversight = signed_in(served, "ovs")
    oversight.get("/reports/violations")
    answer = oversight.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    assert answer.status_code == 403
    assert events(served) == 1


# --- CSRF --------------------------------------------------------------------------------------


def test_a_form_post_without_its_token_or_with_another_is_refused_and_writes_nothing(
    served: Served,
) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    own = caseworker.csrf()
    colleague = signed_in(served, "sup-ga")
    colleague.get("/clients/GA-1")
    theirs = colleague.csrf()
    assert own != theirs
    form = {"note": NOTE, "expected": "1"}
    for token in (None, "", "0" * 64, theirs, own[:-1]):
        data = form if token is None else {**form, "csrf": token}
        answer = caseworker.post("/clients/GA-1/contacts", data, token=False)
        assert answer.status_code == 403, token
        assert "the form was refused" in text_of(answer)
        violation = {"technical": "curfew", "expected": "1"}
        if token is not None:
            violation["csrf"] = token
        assert (
            caseworker.post("/clients/GA-1/violations", violation, token=False).status_code == 403
        )
    assert events(served) == 1
    assert caseworker.post("/clients/GA-1/contacts", {**form, "csrf": own}).status_code == 303
    assert events(served) == 2


def test_signing_out_needs_the_pages_token(served: Served) -> None:
    """Another site cannot sign a user out either."""
    visitor = signed_in(served, "cw-ga")
    assert visitor.post("/sign-out", {"csrf": "0" * 64}).status_code == 403
    assert visitor.get("/clients").status_code == 200


# --- recording through the forms ------------------------------------------------------------


def test_a_contact_recorded_through_the_form_appears_in_the_timeline(served: Served) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    page = caseworker.get("/clients/GA-1")
    assert 'name="expected" value="1"' in page.text
    answer = caseworker.post(
        "/clients/GA-1/contacts",
        {"on": "2026-01-15", "kind": "casework", "note": f"{NOTE}\r\nNext: Friday",
         "confidential": "yes", "expected": "1"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/clients/GA-1/timeline?recorded=2"
    timeline = text_of(caseworker.get(answer.headers["location"]))
    assert "Recorded event 2." in timeline
    assert "2. ContactLogged took effect 2026-01-15" in timeline
    assert NOTE in timeline
    entry = served.ledger.timeline("GA-1", actor="cw-ga")[-1]
    assert entry.data["note"] == f"{NOTE}\nNext: Friday"  # a browser's CR LF, as one line break
    assert entry.data["confidential"] is True
    assert entry.recorded_by == "cw-ga"


def test_a_form_past_the_body_limit_is_refused_as_a_page_and_writes_nothing(
    served: Served,
) -> None:
    from reentry_ledger.server.limits import JSON_LIMIT

    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    answer = caseworker.post(
        "/clients/GA-1/contacts", {"note": "x" * (JSON_LIMIT + 1), "expected": "1"}
    )
    assert answer.status_code == 413
    assert "text/html" in answer.headers["content-type"]
    assert "unexpected error" not in answer.text
    assert events(served) == 1


def test_a_violation_and_its_response_are_recorded_through_the_forms(served: Served) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    answer = caseworker.post(
        "/clients/GA-1/violations",
        {"technical": ["curfew", "failure_to_report"], "description": "Out after 22:00",
         "expected": "1"},
    )  # fmt: skip
    assert answer.headers["location"] == "/clients/GA-1?recorded=2"
    page = caseworker.get(answer.headers["location"])
    assert "V1, 2026-01-15: technical" in text_of(page)
    assert 'action="/clients/GA-1/violations/V1/responses"' in page.text
    answer = caseworker.post(
        "/clients/GA-1/violations/V1/responses",
        {"response": "custody_sanction", "custody_days": "2", "decided_by": "court",
         "expected": "2"},
    )  # fmt: skip
    assert answer.headers["location"] == "/clients/GA-1?recorded=3"
    page = text_of(caseworker.get(answer.headers["location"]))
    assert "Decision: custody_sanction on 2026-01-15, 2 days in custody, by court" in page
    violation = served.ledger.client_state("GA-1", actor="cw-ga").violations["V1"]
    assert violation.technical == ["failure_to_report", "curfew"]  # in the code list's order


def test_a_form_behind_the_client_shows_a_conflict_and_keeps_what_was_typed(
    served: Served,
) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")  # the form expects event 1
    served.ledger.log_contact("GA-1", actor="sup-ga", note="meanwhile")  # event 2
    answer = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    assert answer.status_code == 409
    assert "has moved on: its last event is number 2, not 1" in text_of(answer)
    assert f">{NOTE}</textarea>" in answer.text
    assert 'name="expected" value="2"' in answer.text  # to record after what is there now
    assert "its latest event is number 2, ContactLogged, recorded by sup-ga at" in (text_of(answer))
    assert "recorded already" not in text_of(answer)
    assert events(served) == 2
    again = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "2"})
    assert again.status_code == 303
    assert events(served) == 3


def test_a_form_sent_twice_says_the_first_is_recorded_already(served: Served) -> None:
    """The second of a double submission was told to submit again, which recorded the note
    twice (a caseworker's probe)."""
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    form = {"note": NOTE, "expected": "1", "csrf": caseworker.csrf()}
    assert caseworker.post("/clients/GA-1/contacts", form).status_code == 303
    second = caseworker.post("/clients/GA-1/contacts", form)
    assert second.status_code == 409
    told = text_of(second)
    assert "its latest event is number 2, ContactLogged, recorded by you at" in told
    assert "If that is what you have just sent, it is recorded already: do not send it again" in (
        told
    )
    assert events(served) == 2


@pytest.mark.parametrize(
    "form, message",
    [
        ({"on": "2026-02-30"}, "Date: '2026-02-30' is not a date (day "),
        ({"on": "2026-W09-1"}, "Date: '2026-W09-1' is not a date of the form YYYY-MM-DD"),
        ({"on": "1850-01-01"}, "Date: '1850-01-01' is outside the dates the ledger takes"),
        (
            {"kind": "phone"},
            "Kind: 'phone' is not one of casework, office, home, field, phone_video, collateral, group",
        ),
        ({"on": "2026-03-01"}, "date 2026-03-01 is in the future (today is 2026-01-15, UTC)"),
    ],
)
def test_a_refused_contact_is_shown_again_beside_its_error(
    served: Served, form: dict[str, str], message: str
) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    answer = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1", **form})
    assert answer.status_code in (400, 422)
    assert message in text_of(answer)
    assert f">{NOTE}</textarea>" in answer.text
    assert events(served) == 1


def test_a_violation_with_nothing_breached_is_refused_with_the_domains_words(
    served: Served,
) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    answer = caseworker.post("/clients/GA-1/violations", {"description": NOTE, "expected": "1"})
    assert answer.status_code == 400
    assert "Error:" in text_of(answer) and "technical" in text_of(answer)
    assert events(served) == 1


# --- reads, and the access log --------------------------------------------------------------


def test_the_caseload_lists_the_agencys_clients_a_page_at_a_time(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients, "PAGE", 2)
    for number in (1, 2, 3):
        enrolled(served.ledger, f"GA-{number}")
    enrolled(served.ledger, "GB-1", agency="GB", by="cw-gb")
    caseworker = signed_in(served, "cw-ga")
    first = caseworker.get("/clients")
    assert re.findall(r'<a href="/clients/([^"]+)">', first.text) == ["GA-1", "GA-2"]
    assert "probation" in text_of(first) and "unassessed" in text_of(first)
    following = re.search(r'href="(/clients\?after=\d+)">Next page', first.text)
    assert following
    second = caseworker.get(unescape(following.group(1)))
    assert re.findall(r'<a href="/clients/([^"]+)">', second.text) == ["GA-3"]
    assert "Next page" not in second.text


def test_the_api_lists_the_clients_a_user_may_see(served: Served) -> None:
    enrolled(served.ledger, "GA-1")
    enrolled(served.ledger, "GB-1", agency="GB", by="cw-gb")
    listed = served.get("cw-gb", "/api/clients").json()
    assert [c["ref"] for c in listed["clients"]] == ["GB-1"]
    assert listed["next_after"] is None
    assert [c["ref"] for c in served.get("aud", "/api/clients").json()["clients"]] == [
        "GA-1",
        "GB-1",
    ]
    assert served.get("ovs", "/api/clients").status_code == 403


@pytest.mark.parametrize("after", ["99999999999999999999999", str(2**63), "-5"])
def test_a_caseload_position_past_any_the_database_holds_is_refused_as_bad_input(
    served: Served, after: str
) -> None:
    """`after=99999999999999999999999` answered 500 (the database's integers stop at 2**63-1)."""
    enrolled(served.ledger)
    answer = served.get("aud", f"/api/clients?after={after}")
    assert answer.status_code == 400, answer.text
    assert f"after {after}: give 0 or the next_after of a page" in answer.json()["error"]["message"]
    assert signed_in(served, "aud").get(f"/clients?after={after}").status_code == 400


def test_every_page_read_of_a_client_is_in_the_access_log(served: Served) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    for path in ("/clients", "/clients/GA-1", "/clients/GA-1/timeline?as_of=2026-01-15"):
        assert caseworker.get(path).status_code == 200
    reads = [(r.recorded_by, r.client_ref, r.view) for r in served.ledger.access_log(actor="aud")]
    assert reads == [("cw-ga", "GA-1", "caseload"), ("cw-ga", "GA-1", "show"),
                     ("cw-ga", "GA-1", "timeline")]  # fmt: skip
    auditor = signed_in(served, "aud")
    page = text_of(auditor.get("/audit/access-log"))
    assert "cw-ga GA-1 timeline 2026-01-15" in page
    assert "cw-ga GA-1 caseload" in page
    filtered = auditor.post("/audit/access-log", {"client": "GA-1", "reader": "cw-ga"})
    assert filtered.status_code == 200
    assert text_of(filtered).count("cw-ga GA-1") == 3
    none = auditor.post("/audit/access-log", {"client": "GB-9"})
    assert "No reads recorded for these filters" in text_of(none)
    malformed = auditor.post("/audit/access-log", {"client": "GA 1"})
    assert malformed.status_code == 400
    assert "client reference 'GA 1' is malformed" in text_of(malformed)
    assert 'value="GA 1"' in malformed.text  # kept in the form, to mend


def test_the_access_log_page_shows_the_latest_reads_newest_first(served: Served) -> None:
    enrolled(served.ledger)
    reader, client = served.ledger.actor("cw-ga"), served.ledger.get_client("GA-1")
    for day in range(audit_page.SHOWN_READS + 5):  # each read as of its own day
        served.ledger.log_read(reader, client, "timeline", START + timedelta(days=day), None)
    page = signed_in(served, "aud").get("/audit/access-log")
    shown_days = re.findall(r"<td>(\d{4}-\d\d-\d\d)</td>", page.text)
    newest = START + timedelta(days=audit_page.SHOWN_READS + 4)
    assert shown_days == [
        (newest - timedelta(days=back)).isoformat() for back in range(audit_page.SHOWN_READS)
    ]


def test_the_timeline_shows_a_correction_as_such_and_the_record_as_known_before_it(
    served: Served,
) -> None:
    enrolled(served.ledger)
    served.ledger.log_contact("GA-1", actor="cw-ga", note=NOTE)
    before = utc_now()
    served.ledger.correct("GA-1", 2, actor="sup-ga", reason="wrong client")
    caseworker = signed_in(served, "cw-ga")
    now = text_of(caseworker.get("/clients/GA-1/timeline"))
    assert "Retracted by event 3 (a correction): it no longer counts." in now
    assert "Correction: retracts event 2." in now
    known = before.strftime("%Y-%m-%dT%H:%M:%S.%f")
    earlier = text_of(caseworker.get(f"/clients/GA-1/timeline?known_at={known}"))
    assert "2. ContactLogged" in earlier and "Retracted" not in earlier
    assert "3. Corrected" not in earlier
    bad = caseworker.get("/clients/GA-1/timeline?as_of=yesterday")
    assert bad.status_code == 400
    assert "As of: 'yesterday' is not a date of the form YYYY-MM-DD" in text_of(bad)


# --- reports ---------------------------------------------------------------------------------


def supervised(served: Served, count: int) -> None:
    for number in range(1, count + 1):
        ref = f"GA-{number}"
        served.ledger.enroll(ref, actor="cw-ga", start=START, agency="GA", officer="o-1",
                             supervision="probation", name=NAME)  # fmt: skip
        served.ledger.record_violation(ref, actor="cw-ga", on=START, technical=("curfew",))


def cli_report(served: Served, actor: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--db", served.db_url, "--actor", actor, "report", "violations", *args],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout


def table_cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.parametrize("name", ["ovs", "sup-ga"])
def test_the_report_table_is_the_clis_with_small_counts_hidden_as_it_hides_them(
    served: Served, name: str
) -> None:
    supervised(served, 3)
    query = "by=agency&period=year&from=2025-01-01&to=2025-12-31&k=3"
    page = signed_in(served, name).get(f"/reports/violations?{query}")
    assert page.status_code == 200
    cli_args = ("--by", "agency", "--period", "year", "--from", "2025-01-01", "--to",
                "2025-12-31", "--suppress-below", "3", "--format", "json")  # fmt: skip
    groups = orjson.loads(cli_report(served, name, *cli_args))["groups"]
    header = re.findall(r'<th scope="col">([^<]+)</th>', page.text)
    assert header == ["agency", "period", *TABLE_METRICS]
    cells = table_cells(page.text)
    assert [[cell.split(" [")[0] for cell in row] for row in cells] == [
        [shown(group[column]) for column in header] for group in groups
    ]
    legend = "withheld: a count too small to show, or a value or total that would give one away"
    if name == "ovs":  # oversight hides counts below 10 whatever it asks for
        assert cells[0][2] == "withheld"
        assert legend in page.text  # as the CLI's table says under it
    else:
        assert cells[0][2] == "3"
        assert legend not in page.text
        rate = groups[0]["technical_per_100_person_years"]
        low = groups[0]["technical_per_100_person_years_low"]
        assert cells[0][header.index("technical_per_100_person_years")].startswith(
            f"{rate} [{low}, "
        )


def test_the_csv_download_is_the_clis_csv(served: Served) -> None:
    supervised(served, 3)
    oversight = signed_in(served, "ovs")
    query = "by=agency&by=risk&period=quarter&from=2025-01-01&to=2025-12-31"
    page = oversight.get(f"/reports/violations?{query}")
    link = re.search(r'href="(/reports/violations\.csv\?[^"]+)"', page.text)
    assert link
    download = oversight.get(unescape(link.group(1)))
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in download.headers["content-disposition"]
    expected = cli_report(served, "ovs", "--by", "agency,risk", "--period", "quarter",
                          "--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv")  # fmt: skip
    assert download.text == expected
    assert "withheld" in download.text


def test_the_chart_is_drawn_on_the_server_with_the_same_filters(served: Served) -> None:
    supervised(served, 3)
    supervisor = signed_in(served, "sup-ga")
    page = supervisor.get("/reports/violations?by=agency")
    source = re.search(r'<img src="(/reports/violations/chart\.svg\?[^"]+)"', page.text)
    assert source and "by=agency" in source.group(1)
    chart = supervisor.get(unescape(source.group(1)))
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in chart.content[:500]
    assert chart.content.count(b"<path") > 10  # the axes, the points and their intervals


def test_a_report_of_more_groups_than_a_chart_draws_has_no_chart_and_says_why(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page asks for its chart itself: a report of 11,000 groups took 69 s to draw, holding
    the server's one drawing lock. Past `MOST_GROUPS` the page draws none and says so, and the
    chart's address, asked directly, is refused."""
    monkeypatch.setattr(chart, "MOST_GROUPS", 2)
    supervised(served, 3)
    for ref, supervision in (("GA-8", "probation"), ("GA-9", "parole")):
        served.ledger.enroll(ref, actor="cw-ga", start=START, agency="GA", officer="o-2",
                             supervision=supervision, name=NAME)  # fmt: skip
    supervisor = signed_in(served, "sup-ga")
    page = supervisor.get("/reports/violations?by=officer&by=supervision")
    assert page.status_code == 200
    assert "<img" not in page.text
    assert "No chart: 3 groups, more than the 2 a chart draws (a row each)" in text_of(page)
    assert text_of(page).count("probation") >= 2, "the table has every group"
    refused = supervisor.get("/reports/violations/chart.svg?by=officer&by=supervision")
    assert refused.status_code == 400
    assert "draws at most 2 groups" in refused.text
    few = supervisor.get("/reports/violations?by=supervision")
    assert '<img src="/reports/violations/chart.svg?' in few.text


def test_the_report_table_shows_its_groups_a_page_at_a_time_and_the_csv_has_them_all(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report by officer and month at a million events was one page of 11,000 rows (4.6 MB
    of HTML; 46 MB at ten million): the table now shows `GROUPS_PAGE` groups a page, in the
    CLI's order, and links the pages before and after; the CSV and the chart stay whole."""
    monkeypatch.setattr(reports_page, "GROUPS_PAGE", 5)
    supervised(served, 3)
    query = "by=agency&period=month&from=2025-01-01&to=2025-12-31"
    groups = orjson.loads(cli_report(served, "sup-ga", "--by", "agency", "--period", "month",
        "--from", "2025-01-01", "--to", "2025-12-31", "--format", "json"))["groups"]  # fmt: skip
    assert len(groups) == 12
    columns = ["agency", "period", *TABLE_METRICS[:6]]
    supervisor = signed_in(served, "sup-ga")
    pages, address = [], f"/reports/violations?{query}"
    while address:
        page = supervisor.get(address)
        assert page.status_code == 200
        pages.append(page)
        following = re.search(r'href="([^"]+)">Next page', page.text)
        address = unescape(following.group(1)) if following else ""
    assert len(pages) == 3
    shown_rows = [row[:8] for page in pages for row in table_cells(page.text)]
    assert shown_rows == [[shown(group[column]) for column in columns] for group in groups]
    assert [len(table_cells(page.text)) for page in pages] == [5, 5, 2]
    assert "Groups 1\u20135 of 12" in text_of(pages[0])
    assert "Groups 11\u201312 of 12" in text_of(pages[2])
    assert "Previous page" not in pages[0].text and "Previous page" in pages[1].text
    back = re.search(r'href="([^"]+)">Previous page', pages[2].text)
    assert back and table_cells(supervisor.get(unescape(back.group(1))).text) == table_cells(
        pages[1].text
    )
    last = re.search(r'href="([^"]+)">Last page', pages[0].text)
    assert last and table_cells(supervisor.get(unescape(last.group(1))).text) == table_cells(
        pages[2].text
    )
    for link in addresses(pages[1].text):  # the CSV and the chart: the whole report
        if link.startswith(("/reports/violations.csv", "/reports/violations/chart.svg")):
            assert "page=" not in link
            assert supervisor.get(link).status_code == 200
    csv_link = next(a for a in addresses(pages[1].text) if a.startswith("/reports/violations.csv"))
    whole = cli_report(served, "sup-ga", "--by", "agency", "--period", "month", "--from",
                       "2025-01-01", "--to", "2025-12-31", "--format", "csv")  # fmt: skip
    assert supervisor.get(csv_link).text == whole
    one = supervisor.get("/reports/violations?by=agency")  # one group: no page links
    assert "Next page" not in one.text and "Groups 1" not in one.text
    monkeypatch.setattr(chart, "MOST_GROUPS", 6)  # a chart is of the report, not the page
    assert "No chart: 12 groups" in text_of(supervisor.get(f"/reports/violations?{query}"))


@pytest.mark.parametrize(
    "page, message",
    [
        ("0", "Page: '0' is not a whole number of at least 1"),
        ("two", "Page: 'two' is not a whole number of at least 1"),
        ("4", "Page 4 is past the last page of this report (3)"),
        ("%C2%B2", "Page: '\u00b2' is not a whole number of at least 1"),  # a digit, not 0-9
        ("%D9%A3", "Page: '\u0663' is not a whole number of at least 1"),
    ],
)
def test_a_page_of_the_report_that_is_not_there_is_named_beside_the_form(
    served: Served, monkeypatch: pytest.MonkeyPatch, page: str, message: str
) -> None:
    monkeypatch.setattr(reports_page, "GROUPS_PAGE", 5)
    supervised(served, 3)
    query = f"by=agency&period=month&from=2025-01-01&to=2025-12-31&page={page}"
    answer = signed_in(served, "sup-ga").get(f"/reports/violations?{query}")
    assert answer.status_code == 400
    assert message in text_of(answer)
    assert 'value="agency" checked' in answer.text
    assert "<table>" not in answer.text


@pytest.mark.parametrize(
    "query, message, kept",
    [
        ("from=2025-06-01&to=2025-01-01", "From 2025-06-01 is after To 2025-01-01",
         'name="from" value="2025-06-01"'),
        ("by=colour&by=agency", "Group by: 'colour' is not one of agency, officer",
         'value="agency" checked'),
        ("period=week&k=4", "Period: 'week' is not one of month, quarter, year",
         'name="k" value="4"'),
        ("k=1", "Hide counts below: '1' is not a whole number of at least 2",
         'name="k" value="1"'),
        ("known_at=soon", "As known at: 'soon' is not a moment", 'name="known_at" value="soon"'),
        # past the first moment Python can hold, once made UTC: it answered 500
        ("known_at=0001-01-01T00:00%2B01:00",
         "As known at: '0001-01-01T00:00+01:00' is outside the dates the ledger takes",
         'name="known_at" value="0001-01-01T00:00+01:00"'),
        ("known_at=9999-12-31T23:59-01:00", "'9999-12-31T23:59-01:00' is outside the dates",
         'name="known_at"'),
    ],
)  # fmt: skip
def test_a_bad_filter_is_named_beside_the_form_with_its_values_kept(
    served: Served, query: str, message: str, kept: str
) -> None:
    page = signed_in(served, "ovs").get(f"/reports/violations?{query}")
    assert page.status_code == 400
    assert message in text_of(page)
    assert kept in page.text
    assert "<table>" not in page.text


@pytest.mark.parametrize("page", ["violations", "disparities"])
def test_a_to_after_today_is_named_beside_the_form_with_its_values_kept(
    served: Served, page: str
) -> None:
    # the served ledger's today is 2026-01-15 (tests/builders.py)
    query = "from=2025-01-01&to=2026-01-16&k=3"
    shown = signed_in(served, "aud").get(f"/reports/{page}?{query}")
    assert shown.status_code == 400
    assert "To 2026-01-16 is after today (2026-01-15)" in text_of(shown)
    assert 'name="to" value="2026-01-16"' in shown.text
    assert "<table>" not in shown.text
    known = "from=2025-01-01&to=2025-06-15&known_at=2025-06-15T00:00"
    shown = signed_in(served, "aud").get(f"/reports/{page}?{known}")
    assert shown.status_code == 400
    assert (
        'To 2025-06-15 is after 2025-06-14, the last day begun before the "As known at" moment'
        in unescape(text_of(shown))
    )


def test_a_refusal_is_said_in_the_forms_words_wherever_it_names_an_option() -> None:
    said = forms.as_the_form_says(InvalidInput("--from 2025-02-01 is after --to 2025-01-01"))
    assert said == "From 2025-02-01 is after To 2025-01-01"
    said = forms.as_the_form_says(InvalidInput("--known-at's day is 2025-01-01"))
    assert said == 'the "As known at" moment\'s day is 2025-01-01'


def test_the_report_links_the_definitions_which_are_docs_metrics_md(served: Served) -> None:
    oversight = signed_in(served, "ovs")
    assert 'href="/definitions"' in oversight.get("/reports/violations").text
    text = unescape(oversight.get("/definitions").text)
    assert f"Metric definitions (definitions_version {DEFINITIONS_VERSION})" in text
    assert "technical_per_100_person_years" in text


def cli_table(served: Served, actor: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--db", served.db_url, "--actor", actor, "report", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def page_table(html: str) -> list[list[str]]:
    """The page's table as rows of cells, header first."""
    header = re.findall(r'<th scope="col">([^<]+)</th>', html)
    return [header, *table_cells(html)]


def printed_table(served: Served, actor: str, *command: str) -> list[list[str]]:
    """The CLI's table, header first: its columns, and each group's values as it shows them."""
    header = cli_table(served, actor, *command).splitlines()[0].split()
    groups = orjson.loads(cli_table(served, actor, *command, "--format", "json"))["groups"]
    return [header, *([shown(group.get(column)) for column in header] for group in groups)]


@pytest.mark.parametrize("name", ["ovs", "sup-ga"])
def test_the_disparity_and_cohort_pages_show_the_clis_tables(served: Served, name: str) -> None:
    from reentry_ledger.application import utc_today

    supervised(served, 3)
    served.ledger.clock = utc_today  # as the CLI's: a cohort is complete by today
    visitor = signed_in(served, name)
    # oversight follows terms 36 months only (theirs are not complete: counted as incomplete)
    follow, column = ("36", 2) if name == "ovs" else ("3", 1)
    for page, query, command in (
        ("disparities", "by=sex&metric=technical&period=year&from=2025-01-01&to=2025-12-31",
         ("disparities", "--by", "sex", "--metric", "technical", "--period", "year",
          "--from", "2025-01-01", "--to", "2025-12-31")),
        ("cohorts", f"start_period=quarter&follow={follow}&k=2",
         ("cohorts", "--start-period", "quarter", "--follow", follow, "--suppress-below", "2")),
    ):  # fmt: skip
        answer = visitor.get(f"/reports/{page}?{query}")
        assert answer.status_code == 200, answer.text
        assert page_table(answer.text) == printed_table(served, name, *command)
        cells = table_cells(answer.text)
        assert cells and cells[0][4 if page == "disparities" else column] == (
            "withheld" if name == "ovs" else "3"
        )
        link = re.search(rf'href="(/reports/{page}\.csv\?[^"]+)"', answer.text)
        assert link
        download = visitor.get(unescape(link.group(1)))
        assert download.headers["content-type"] == "text/csv; charset=utf-8"
        assert download.text == cli_table(served, name, *command, "--format", "csv")
    if name == "ovs":
        assert "snapped to whole calendar months" in text_of(answer)
    assert f"Follow-up {follow} months, complete by " in text_of(answer)


def test_oversight_is_shown_the_disparity_and_cohort_reports(served: Served) -> None:
    home = signed_in(served, "ovs").get("/reports/violations")
    for path in ("/reports/disparities", "/reports/cohorts"):
        assert f'href="{path}"' in home.text


@pytest.mark.parametrize(
    "path, message, kept",
    [
        ("/reports/disparities?by=colour", "Compare by: 'colour' is not one of race, ethnicity",
         None),
        ("/reports/disparities?by=sex&reference=white",
         "Reference group: 'white' is not one of female, male", 'name="reference" value="white"'),
        ("/reports/disparities?metric=speed", "Rates: 'speed' is not one of technical",
         None),
        ("/reports/disparities?from=2025-06-01&to=2025-01-01",
         "From 2025-06-01 is after To 2025-01-01", 'name="from" value="2025-06-01"'),
        ("/reports/cohorts?start_period=decade&k=4",
         "Start period: 'decade' is not one of year, fiscal_year", 'name="k" value="4"'),
        ("/reports/cohorts?follow=0", "Months followed: '0' is not a whole number of at least 1",
         'name="follow" value="0"'),
        ("/reports/cohorts?follow=241", "Months followed: 241 is more than 240", None),
    ],
)  # fmt: skip
def test_a_bad_disparity_or_cohort_filter_is_named_beside_the_form(
    served: Served, path: str, message: str, kept: str | None
) -> None:
    page = signed_in(served, "ovs").get(path)
    assert page.status_code == 400
    assert message in text_of(page)
    assert kept is None or kept in page.text
    assert "<table>" not in page.text


def test_the_packaged_copy_of_the_definitions_equals_docs_metrics_md() -> None:
    source = REPOSITORY / "docs" / "metrics.md"
    if not source.exists():
        pytest.skip(reason="not run from the repository: docs/metrics.md is absent")
    copy = files("reentry_ledger.server") / "static" / "metrics.md"
    assert copy.read_text("utf-8") == source.read_text("utf-8"), (
        "copy docs/metrics.md to src/reentry_ledger/server/static/metrics.md"
    )


def test_every_template_and_static_file_is_installed_with_the_package() -> None:
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["reentry_ledger.server"]
    server = REPOSITORY / "src" / "reentry_ledger" / "server"
    shipped = [p for folder in ("templates", "static") for p in (server / folder).iterdir()]
    assert shipped
    for path in shipped:
        relative = path.relative_to(server).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


# --- the audit pages --------------------------------------------------------------------------


def test_an_auditor_sees_the_digest_and_verifies_against_it(served: Served) -> None:
    enrolled(served.ledger)
    auditor = signed_in(served, "aud")
    auditor.get("/audit")
    run = auditor.post("/audit/verify", {"against": ""})
    assert run.status_code == 200
    line = re.search(r"reentry-ledger digest v1 position=\d+ sha256=[0-9a-f]{64}", run.text)
    assert line
    assert line.group(0) == served.ledger.verify(actor="aud").digest.line()
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert line.group(0) in page.text  # the latest verification's digest, to publish
    verified = auditor.post("/audit/verify", {"against": line.group(0)})
    assert verified.status_code == 200
    assert "and matches the digest at position" in text_of(verified)


def test_opening_the_audit_page_verifies_nothing_and_shows_the_latest_verification(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor's first page verified the whole ledger at every view: 12 s at a million
    events, two minutes at ten million, a server thread held each time, and again at every
    sign-in. It shows the latest verification this server ran, when and for whom; verifying
    is the form's, asked for."""
    enrolled(served.ledger)
    ledger_type = type(served.ledger)
    runs: list[str | None] = []
    real = ledger_type.verify

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        runs.append(kwargs.get("actor"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ledger_type, "verify", counted)
    auditor = signed_in(served, "aud")
    assert auditor.get("/").headers["location"] == "/audit"  # an auditor's first page
    first = auditor.get("/audit")
    assert first.status_code == 200 and runs == []
    assert "Not verified since this server started" in text_of(first)
    assert not re.search(r"sha256=[0-9a-f]{64}", first.text)
    assert 'action="/audit/verify"' in first.text
    run = auditor.post("/audit/verify", {"against": ""})
    assert runs == ["aud"]
    digest = re.search(r"reentry-ledger digest v1 position=(\d+) sha256=[0-9a-f]{64}", run.text)
    assert digest
    again = signed_in(served, "aud").get("/audit")  # another session: the same server
    assert runs == ["aud"]
    said = text_of(again)
    assert "Verified by this server at " in said and "for aud" in said
    assert digest.group(0) in again.text
    assert f"verified {digest.group(1)} events of 1 client" in said
    assert signed_in(served, "cw-ga").get("/audit").status_code == 403  # as before
    assert runs == ["aud"]


def test_verify_takes_a_pasted_digest_line_and_never_a_servers_file(
    served: Served, tmp_path: Path
) -> None:
    enrolled(served.ledger)
    stored = tmp_path / "digest.txt"
    stored.write_text(served.ledger.verify(actor="aud").digest.line())
    auditor = signed_in(served, "aud")
    auditor.get("/audit")
    for against in (str(stored), "not a digest"):
        answer = auditor.post("/audit/verify", {"against": against})
        assert answer.status_code == 400
        assert "Against: paste a line printed by `digest`" in text_of(answer)


def test_verify_reports_a_broken_ledger_with_the_clis_words(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled(served.ledger)
    from reentry_ledger.verification import Break, Verification

    good = served.ledger.verify(actor="aud")
    broken = Verification(good.events, good.clients, good.digest,
                          Break(1, "GA-1", 1, "its hash does not match its contents"))  # fmt: skip
    monkeypatch.setattr(type(served.ledger), "verify", lambda *a, **k: broken)
    auditor = signed_in(served, "aud")
    auditor.get("/audit")
    answer = auditor.post("/audit/verify", {"against": ""})
    latest = auditor.get("/audit")
    assert answer.status_code == 409 and latest.status_code == 200
    for page in (answer, latest):
        assert (
            "Error: verification failed at position 1, client GA-1, event 1: "
            "its hash does not match its contents"
        ) in text_of(page)
        assert not re.search(r"sha256=[0-9a-f]{64}", page.text)  # a broken ledger: no digest


# --- what every page holds, and what no address holds ---------------------------------------


def test_no_address_holds_a_name_or_a_note(served: Served) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    caseworker.get("/clients/GA-1")
    posted = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    seen = [posted.headers["location"]]
    pages = ["/clients", "/clients/GA-1", "/clients/GA-1/timeline",
             "/reports/violations?by=agency"]  # fmt: skip
    for path in pages:
        seen += addresses(caseworker.get(path).text)
    assert NAME in caseworker.get("/clients/GA-1").text  # a page may show it; no address may
    stale = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "1"})
    seen += addresses(stale.text)
    assert len(seen) > 20
    for address in seen:
        for secret in (NAME, NOTE, "Jo", "eviction"):
            assert secret not in address, address


def test_every_page_carries_the_security_headers_and_no_inline_style_or_script(
    served: Served,
) -> None:
    enrolled(served.ledger)
    caseworker = signed_in(served, "cw-ga")
    answers = [Visitor(served).get("/sign-in"), Visitor(served).get("/static/style.css")]
    for path in ("/clients", "/clients/GA-1", "/clients/GA-1/timeline", "/reports/violations",
                 "/reports/disparities", "/reports/cohorts", "/clients/NOPE", "/audit"):  # fmt: skip
        answers.append(caseworker.get(path))
    for answer in answers:
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers[header] == value, (answer.url, header)
        if answer.headers["content-type"].startswith("text/html"):
            assert "<script" not in answer.text
            assert "style=" not in answer.text
            assert '<meta name="viewport"' in answer.text
            assert '<link rel="stylesheet" href="/static/style.css">' in answer.text


def test_the_sign_in_page_and_static_files_are_public_and_pages_are_not_in_the_api_document(
    served: Served,
) -> None:
    stranger = Visitor(served)
    assert stranger.get("/sign-in").status_code == 200
    assert stranger.get("/static/style.css").status_code == 200
    assert stranger.get("/static/metrics.md").status_code == 200
    document = stranger.get("/openapi.json").json()
    assert all(path.startswith("/api/") for path in document["paths"]), list(document["paths"])


def test_a_client_reference_with_a_slash_has_its_pages(served: Served) -> None:
    enrolled(served.ledger, "GA/7")
    caseworker = signed_in(served, "cw-ga")
    page = caseworker.get("/clients")
    assert 'href="/clients/GA/7"' in page.text
    assert caseworker.get("/clients/GA/7").status_code == 200
    assert "Timeline of client GA/7" in text_of(caseworker.get("/clients/GA/7/timeline"))
    answer = caseworker.post("/clients/GA/7/contacts", {"note": NOTE, "expected": "1"})
    assert answer.headers["location"] == "/clients/GA/7/timeline?recorded=2"


def test_a_password_is_checked_without_holding_up_other_requests(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 takes a tenth of a second: a flood of sign-ins must not stall the ledger, so
    the check runs outside the lock every request to the ledger takes."""
    from reentry_ledger.credentials import StoredPassword

    lock = served.client.app.state.service.lock  # type: ignore[attr-defined]
    held_while_checking: list[bool] = []
    original = StoredPassword.matches

    def watched(self: StoredPassword, password: str) -> bool:
        held_while_checking.append(lock.locked())
        return original(self, password)

    monkeypatch.setattr(StoredPassword, "matches", watched)
    signed_in(served, "cw-ga")
    assert Visitor(served).sign_in("nobody").status_code == 401
    assert held_while_checking == [False, False]


def test_an_auditor_reading_a_case_is_offered_no_forms_it_may_not_use(served: Served) -> None:
    enrolled(served.ledger)
    served.ledger.record_violation("GA-1", actor="cw-ga", technical=["curfew"])
    page = signed_in(served, "aud").get("/clients/GA-1")
    assert page.status_code == 200 and "Jo Example" in page.text
    assert "Record a contact" not in page.text and "Record the response" not in page.text
    staff = signed_in(served, "cw-ga").get("/clients/GA-1")
    assert "Record a contact" in staff.text and "Record the response" in staff.text


@pytest.mark.parametrize("page", ["violations?by=officer&", "disparities?", "cohorts?"])
def test_oversight_is_told_when_its_hide_below_is_raised_to_the_floor(
    served: Served, page: str
) -> None:
    """Counts were hidden below 10 while the form said 2, with no word of it on the page (the
    CLI says so); staff, who have no floor, are told nothing."""
    said = "Hide counts below 2 is below the oversight role's floor: counts from 1 to 9 are hidden"
    shown = signed_in(served, "ovs").get(f"/reports/{page}k=2")
    assert shown.status_code == 200
    assert said in text_of(shown)
    assert "is below the" not in text_of(signed_in(served, "aud").get(f"/reports/{page}k=2"))
    assert "is below the" not in text_of(signed_in(served, "ovs").get(f"/reports/{page}k=12"))


def test_a_form_for_a_client_moved_away_since_it_was_opened_says_so_with_the_note_kept(
    served: Served,
) -> None:
    """It answered a 404 page, "no client with reference", and the note was lost, though the
    caseworker could still open the client's page (as it stood at the move)."""
    enrolled(served.ledger)
    visitor = signed_in(served, "cw-ga")
    visitor.get("/clients/GA-1")
    form = {"note": NOTE, "expected": "1", "csrf": visitor.csrf()}
    served.ledger.reassign("GA-1", actor="sup-ga", on=TODAY, officer="o-9", agency="GB")
    moved = events(served)
    answer = visitor.post("/clients/GA-1/contacts", form)
    assert answer.status_code == 422
    assert "client 'GA-1' has moved to another agency since you opened it" in text_of(answer)
    assert "Nothing was recorded" in text_of(answer) and NOTE in answer.text
    assert events(served) == moved


def test_a_form_for_another_agencys_client_is_still_not_found(served: Served) -> None:
    """Only a client the user's agency held is told as moved: one it never held is a 404,
    as one that does not exist."""
    enrolled(served.ledger, "GB-1", agency="GB", by="cw-gb")
    visitor = signed_in(served, "cw-ga")
    visitor.get("/clients")
    for ref in ("GB-1", "GB-404"):
        answer = visitor.post(f"/clients/{ref}/contacts", {"note": NOTE, "expected": "1"})
        assert answer.status_code == 404
        assert "moved" not in text_of(answer)
    assert events(served, "GB-1") == 1


def test_a_discharged_or_sealed_clients_page_offers_no_forms_that_would_be_refused(
    served: Served,
) -> None:
    """The contact, violation and incentive forms were offered on an ended term and a sealed
    record, and every one sent was refused (a caseworker's probe)."""
    enrolled(served.ledger)
    enrolled(served.ledger, "GA-2")
    served.ledger.discharge("GA-1", actor="cw-ga", on=TODAY, outcome="successful")
    served.ledger.discharge("GA-2", actor="cw-ga", on=TODAY, outcome="successful")
    served.ledger.seal("GA-2", actor="sup-ga", reason="court order")
    caseworker = signed_in(served, "cw-ga")
    ended = caseworker.get("/clients/GA-1")
    assert f"The client's term ended on {TODAY} (successful)" in text_of(ended)
    assert 'action="/clients/GA-1/contacts"' not in ended.text
    sealed = caseworker.get("/clients/GA-2")
    assert "This record is sealed: nothing more is recorded on it." in text_of(sealed)
    assert "<form" not in sealed.text.split("<h2>Record</h2>")[-1].split("</main>")[0]


@pytest.mark.parametrize("page", ["/clients/GA-1", "/clients/GA-1/timeline"])
def test_a_page_says_recorded_only_of_the_users_own_latest_event(served: Served, page: str) -> None:
    """`?recorded=999` showed "Recorded event 999." on a client of a few events: a link may
    carry any number, and make someone believe a write went through."""
    enrolled(served.ledger)
    served.ledger.log_contact("GA-1", actor="sup-ga", note="by another")  # event 2
    caseworker = signed_in(served, "cw-ga")
    for number in (999, 2, 1):
        assert "Recorded event" not in text_of(caseworker.get(f"{page}?recorded={number}"))
    caseworker.get("/clients/GA-1")
    sent = caseworker.post("/clients/GA-1/contacts", {"note": NOTE, "expected": "2"})
    assert "Recorded event 3." in text_of(caseworker.get(sent.headers["location"]))
    assert "Recorded event 3." in text_of(caseworker.get(f"{page}?recorded=3"))
