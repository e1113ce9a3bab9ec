"""Services tied to needs from the command line (issue 18), on both backends, on a ledger with
users: `refer --goal | --need`, `referral ... declined|dropped --reason`, `report needs`; each
refusal tried as the role that would try it, with its exit code, its message and nothing
written."""

from __future__ import annotations

import json

import pytest

from tests.e2e.acting import Run, invoker, ok, refused

ENROL = ("--agency", "GA", "--officer", "o-1", "--supervision", "parole", "--start", "2024-01-10")
REASONS = "no_capacity|ineligible|client_declined|no_show|moved|other"


@pytest.fixture
def run(db_url: str) -> Run:
    return invoker(db_url)


@pytest.fixture
def staffed(run: Run) -> Run:
    """GA's caseworker and supervisor, GB's caseworker, oversight; GA-1 enrolled, assessed
    (substance_use, school_work), with goal G1 (school_work)."""
    ok(run, "aud", "users", "add", "aud", "--role", "auditor")
    for name, role, agency in (("sup-ga", "supervisor", "GA"), ("cw-ga", "caseworker", "GA"),
                               ("cw-gb", "caseworker", "GB")):  # fmt: skip
        ok(run, "aud", "users", "add", name, "--role", role, "--agency", agency)
    ok(run, "aud", "users", "add", "ov", "--role", "oversight")
    ok(run, "cw-ga", "enroll", "GA-1", *ENROL)
    ok(run, "cw-ga", "assess", "GA-1", "--on", "2024-01-15", "--instrument", "ORAS", "--risk",
       "high", "--need", "substance_use", "--need", "school_work")  # fmt: skip
    ok(run, "cw-ga", "plan", "GA-1", "--on", "2024-01-16", "--goal", "school_work:find work")
    return run


def referred(run: Run) -> list[dict]:
    events = json.loads(ok(run, "cw-ga", "timeline", "GA-1", "--json").stdout)
    return [e["data"] for e in events if e["type"] in ("Referred", "ReferralUpdated")]


def test_a_referral_serves_a_goal_or_a_need(staffed: Run) -> None:
    r1 = ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-01-20", "--service", "employment",
            "--goal", "G1")  # fmt: skip
    r2 = ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-01-21", "--service",
            "substance_use", "--need", "substance_use")  # fmt: skip
    assert (r1.stdout, r2.stdout) == ("R1\n", "R2\n")
    first, second = referred(staffed)
    assert (first["goal_id"], first["need"]) == ("G1", None)
    assert (second["goal_id"], second["need"]["code"]) == (None, "substance_use")


def test_a_referral_serving_both_or_an_unknown_goal_is_refused(staffed: Run, db_url: str) -> None:
    both = refused(staffed, db_url, "cw-ga", "refer", "GA-1", "--service", "employment",
                   "--goal", "G1", "--need", "school_work", code=2)  # fmt: skip
    assert "a referral serves a goal (--goal) or a need (--need), not both" in both
    unknown = refused(staffed, db_url, "cw-ga", "refer", "GA-1", "--service", "employment",
                      "--goal", "G7", code=4)  # fmt: skip
    assert "client 'GA-1' has no goal 'G7'" in unknown
    other = refused(staffed, db_url, "cw-gb", "refer", "GA-1", "--service", "housing",
                    "--need", "school_work", code=4)  # fmt: skip
    assert "GA-1" in other  # another agency's caseworker: as if there were no such client


def test_declined_and_dropped_say_why_and_nothing_else_does(staffed: Run, db_url: str) -> None:
    ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-01-20", "--service", "housing")
    ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-01-20", "--service", "employment")
    silent = refused(staffed, db_url, "cw-ga", "referral", "GA-1", "R1", "declined", code=2)
    assert f"a declined referral says why (--reason {REASONS})" in silent
    needless = refused(staffed, db_url, "cw-ga", "referral", "GA-1", "R1", "accepted",
                       "--reason", "moved", code=2)  # fmt: skip
    assert "a reason goes with a declined or dropped referral, not accepted" in needless
    unknown = refused(staffed, db_url, "cw-ga", "referral", "GA-1", "R1", "declined",
                      "--reason", "busy", code=2)  # fmt: skip
    assert "'busy' is not one of" in unknown
    ok(staffed, "cw-ga", "referral", "GA-1", "R1", "declined", "--reason", "no_capacity",
       "--on", "2024-01-22")  # fmt: skip
    ok(staffed, "cw-ga", "referral", "GA-1", "R2", "accepted", "--on", "2024-01-22")
    dropped = refused(staffed, db_url, "cw-ga", "referral", "GA-1", "R2", "dropped", code=2)
    assert "a dropped referral says why" in dropped
    ok(staffed, "cw-ga", "referral", "GA-1", "R2", "dropped", "--reason", "no_show",
       "--on", "2024-01-25")  # fmt: skip
    updates = [(e["status"]["code"], e["reason"] and e["reason"]["code"])
               for e in referred(staffed) if "status" in e]  # fmt: skip
    assert updates == [("declined", "no_capacity"), ("accepted", None), ("dropped", "no_show")]
    timeline = ok(staffed, "cw-ga", "timeline", "GA-1").stdout
    assert "status=declined  reason=no_capacity" in timeline


def test_report_needs_from_the_command_line(staffed: Run, db_url: str) -> None:
    ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-01-20", "--service", "substance_use")
    ok(staffed, "cw-ga", "refer", "GA-1", "--on", "2024-03-01", "--service", "housing",
       "--goal", "G1")  # fmt: skip
    asked = ("report", "needs", "--from", "2024-01-01", "--to", "2024-12-31")
    document = json.loads(ok(staffed, "sup-ga", *asked, "--format", "json").stdout)
    rows = [(g["need"], g["risk"], g["clients"], g["referred_30"], g["referred_90"])
            for g in document["groups"]]  # fmt: skip
    assert rows == [
        ("school_work", "high", 1, 0, 1),  # by goal G1, 46 days after
        ("substance_use", "high", 1, 1, 1),  # by its service, 5 days after
        ("all_needs", "high", 1, 1, 1),
    ]
    seen = json.loads(ok(staffed, "ov", *asked, "--format", "json").stdout)
    assert all(g["clients"] == "withheld" for g in seen["groups"])
    table = ok(staffed, "sup-ga", *asked, "--by", "").stdout
    assert table.splitlines()[0].split()[:3] == ["need", "clients", "incomplete"]
    wrong = refused(staffed, db_url, "sup-ga", *asked, "--by", "level", code=2)
    assert "report needs groups by risk, agency, officer, supervision, juvenile only" in wrong
    backwards = refused(staffed, db_url, "sup-ga", "report", "needs", "--from", "2024-12-31",
                        "--to", "2024-01-01", code=2)  # fmt: skip
    assert "--from 2024-12-31 is after --to 2024-01-01" in backwards
