"""Responses, revocations, new offences, incentives and custody caps from the command line
(issue 17), end to end on both backends, on a ledger with users: each refusal tried as the role
that would try it, with its exit code, its message and nothing written; and what `show` and
`timeline` then say."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.client import coded
from reentry_ledger.domain.events import ViolationResponded
from tests.e2e.acting import Run, invoker, ok, refused

ENROL = ("--agency", "GA", "--officer", "o-1", "--supervision", "parole", "--start", "2024-01-10")


@pytest.fixture
def run(db_url: str) -> Run:
    return invoker(db_url)


@pytest.fixture
def staffed(run: Run) -> Run:
    """Users of two agencies, an auditor and oversight; GA-1 enrolled by GA's caseworker."""
    ok(run, "aud", "users", "add", "aud", "--role", "auditor")
    for name, role, agency in (("sup-ga", "supervisor", "GA"), ("cw-ga", "caseworker", "GA"),
                               ("sup-gb", "supervisor", "GB")):  # fmt: skip
        ok(run, "aud", "users", "add", name, "--role", role, "--agency", agency)
    ok(run, "aud", "users", "add", "ov", "--role", "oversight")
    ok(run, "cw-ga", "enroll", "GA-1", *ENROL)
    return run


def shown(run: Run, actor: str = "cw-ga") -> dict:  # type: ignore[type-arg]
    return json.loads(ok(run, actor, "show", "GA-1", "--json").stdout)


def show_text(run: Run, actor: str = "cw-ga") -> str:
    return str(ok(run, actor, "show", "GA-1").stdout)


def technical(run: Run, on: str, actor: str = "cw-ga") -> str:
    result = ok(run, actor, "violation", "GA-1", "--on", on, "--technical", "failure_to_report")
    return str(result.stdout.strip())


# --- recommendations and decisions --------------------------------------------------------


def test_an_officers_revocation_is_refused_unless_it_is_a_recommendation(
    staffed: Run, db_url: str
) -> None:
    technical(staffed, "2024-03-01")
    said = refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V1", "revocation",
                   "--on", "2024-03-05")  # fmt: skip
    assert said == (
        "Error: a revocation is decided by a court or a parole board (--by court or --by "
        "parole_board): record the officer's as a recommendation (--recommendation)\n"
    )
    recommended = ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on",
                     "2024-03-05", "--recommendation")  # fmt: skip
    assert recommended.stderr == "GA-1: recorded event 3 (ViolationResponded)\n"  # nothing ended
    case = shown(staffed)
    assert (case["status"], case["outcome"], case["revoked_by"]) == ("active", None, None)
    [response] = case["violations"]["V1"]["responses"]
    assert (response["recommendation"], response["decided_by"]) == (True, "officer")
    assert "             recommendation: revocation on 2024-03-05, by officer\n" in show_text(
        staffed
    )


def test_a_technical_violation_revoked_while_a_charge_is_pending_revokes_for_the_new_offence(
    staffed: Run,
) -> None:
    """The court names the technical violation; the term is attributed to the most serious
    violation in the 365 days before the decision: the new offence charged 2024-03-20."""
    technical(staffed, "2024-03-01")  # V1
    ok(staffed, "cw-ga", "violation", "GA-1", "--on", "2024-03-20", "--new-offence", "felony",
       "--basis", "charge", "--offence-type", "drug")  # fmt: skip
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on", "2024-03-25",
       "--recommendation")  # fmt: skip
    decided = ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on", "2024-04-02",
                 "--by", "court", "--custody-days", "90")  # fmt: skip
    assert decided.stderr == (
        "GA-1: recorded event 5 (ViolationResponded)\n"  # enrolment, V1, V2, recommendation
        "Note: term 1 of client 'GA-1' ended on 2024-04-02: revoked_new_offence (the revocation "
        "decision on V1, attributed to the term's most serious violation in the 365 days before "
        "it); a reinstatement is the correction of event 5\n"
    )
    text = show_text(staffed)
    assert "status       revoked (revoked_new_offence on 2024-04-02, by the decision on V1)\n" in (
        text
    )
    assert (
        "violation    V1 2024-03-01 technical: failure_to_report\n"
        "             recommendation: revocation on 2024-03-25, by officer\n"
        "             decision: revocation on 2024-04-02, 90 days in custody, by court: "
        "ended term 1 (revoked_new_offence)\n"
        "violation    V2 2024-03-20 new_offence: new offence (felony, basis charge, type drug)\n"
    ) in text
    case = shown(staffed)
    assert (case["status"], case["outcome"], case["revoked_by"]) == (
        "discharged", "revoked_new_offence", "V1",
    )  # fmt: skip
    assert case["terms"][0]["revoked_by"] == "V1"
    lines = ok(staffed, "cw-ga", "timeline", "GA-1").stdout.splitlines()
    assert lines[6].endswith("ViolationResponded (recommendation by officer)")
    assert lines[8].endswith(
        "ViolationResponded (decision by court, which ended the term: revoked_new_offence)"
    )


def test_a_second_decision_is_refused_and_writes_nothing(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "warning", "--on", "2024-03-05")
    said = refused(staffed, db_url, "sup-ga", "respond", "GA-1", "V1", "curfew", "--on",
                   "2024-03-06", "--by", "court")  # fmt: skip
    assert "violation V1 of client 'GA-1' was already decided (warning on 2024-03-05)" in said
    assert "one decision per violation" in said and "correct that decision's event" in said
    # nothing is left to recommend once decided
    refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on",
            "2024-03-06", "--recommendation")  # fmt: skip


def test_an_appeal_is_the_correction_of_the_decision_then_the_new_decision(staffed: Run) -> None:
    technical(staffed, "2024-03-01")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "curfew", "--on", "2024-03-05")
    ok(staffed, "sup-ga", "correct", "GA-1", "3", "--reason", "overturned on appeal")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "warning", "--on", "2024-03-09")
    [decision] = shown(staffed)["violations"]["V1"]["responses"]
    assert (decision["response"], decision["occurred_on"]) == ("warning", "2024-03-09")


def test_no_discharge_follows_a_revocation_decision(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on", "2024-04-02",
       "--by", "parole_board")  # fmt: skip
    said = refused(staffed, db_url, "sup-ga", "discharge", "GA-1", "--on", "2024-04-03",
                   "--outcome", "successful")  # fmt: skip
    assert said == (
        "Error: client 'GA-1': term 1 was revoked on 2024-04-02 (the decision on violation V1); "
        "only corrections may be recorded, and correcting that decision (a reinstatement) "
        "reopens the term\n"
    )
    refused(staffed, db_url, "sup-ga", "discharge", "GA-1", "--on", "2024-04-03", "--outcome",
            "revoked_technical", "--decision", "V1")  # fmt: skip
    refused(staffed, db_url, "cw-ga", "incentive", "GA-1", "--on", "2024-04-03", "--kind",
            "commendation")  # fmt: skip


def test_a_revoked_discharge_that_cites_no_decision_is_refused(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "warning", "--on", "2024-03-05")
    said = refused(staffed, db_url, "cw-ga", "discharge", "GA-1", "--on", "2024-04-01",
                   "--outcome", "revoked_technical")  # fmt: skip
    assert said.startswith("Error: a revoked outcome comes from a revocation decision: record")
    assert "`respond REF VIOLATION_ID revocation --by court`" in said
    cites_a_warning = refused(staffed, db_url, "cw-ga", "discharge", "GA-1", "--on",
                              "2024-04-01", "--outcome", "revoked_technical", "--decision", "V1")  # fmt: skip
    assert "violation V1 of client 'GA-1' has no revocation decision in term 1" in cites_a_warning
    not_revoked = refused(staffed, db_url, "cw-ga", "discharge", "GA-1", "--on", "2024-04-01",
                          "--outcome", "successful", "--decision", "V1", code=2)  # fmt: skip
    assert "a successful discharge cites no decision" in not_revoked


def legacy_revocation(db_url: str, violation_id: str, on: date) -> None:
    """A revocation decided by the officer as the first round stored it (a decision that ended
    nothing), as its upcast reads back: recorded below the rules, as an old ledger holds it."""
    ledger = Ledger(db_url)
    try:
        ledger._apply("GA-1", "cw-ga", on, lambda client, stamp: client._record(
            ViolationResponded, stamp, violation_id=violation_id, response=coded("revocation"),
            custody_days=None, decided_by=coded("officer"), recommendation=False,
            term_outcome=None,
        ))  # fmt: skip
    finally:
        ledger.close()


def test_a_discharge_carries_out_a_revocation_decided_before_decisions_ended_terms(
    staffed: Run, db_url: str
) -> None:
    technical(staffed, "2024-03-01")
    legacy_revocation(db_url, "V1", date(2024, 3, 5))
    assert shown(staffed)["status"] == "active"  # it ended nothing: it awaits its discharge
    ok(staffed, "cw-ga", "discharge", "GA-1", "--on", "2024-03-20", "--outcome",
       "revoked_technical", "--decision", "V1")  # fmt: skip
    text = show_text(staffed)
    assert "status       discharged (revoked_technical on 2024-03-20)\n" in text
    assert "             decision: revocation on 2024-03-05, by officer\n" in text  # no term
    last = ok(staffed, "cw-ga", "timeline", "GA-1").stdout.splitlines()[-2]
    assert last.endswith("Discharged (carries out the revocation decision on V1)")


def test_a_reinstatement_corrects_the_decision_and_reopens_the_term(
    staffed: Run, db_url: str
) -> None:
    technical(staffed, "2024-03-01")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on", "2024-04-02",
       "--by", "court")  # fmt: skip
    said = refused(staffed, db_url, "cw-ga", "correct", "GA-1", "3", "--reason", "appeal won")
    assert "may not correct recorded events" in said  # a caseworker cannot reinstate
    ok(staffed, "sup-ga", "correct", "GA-1", "3", "--reason", "revocation overturned on appeal")
    assert "status       active\n" in show_text(staffed)
    case = shown(staffed)
    assert (case["status"], case["outcome"], case["revoked_by"]) == ("active", None, None)
    assert case["violations"]["V1"]["responses"] == []  # the decision is retracted
    timeline = ok(staffed, "cw-ga", "timeline", "GA-1").stdout
    assert (
        "ViolationResponded (decision by court, which ended the term: revoked_technical)  "
        "[retracted by 4]"
    ) in timeline
    ok(staffed, "cw-ga", "contact", "GA-1", "--on", "2024-04-10", "--note", "back on the caseload")


# --- custody ----------------------------------------------------------------------------------


def test_an_officers_custody_sanction_over_the_cap_needs_a_court(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")  # the term's first technical violation: 14 days
    said = refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V1", "custody_sanction", "--on",
                   "2024-03-05", "--custody-days", "15")  # fmt: skip
    assert said == (
        "Error: a custody sanction of 15 days for a first technical violation is over the "
        "agency's cap of 14 days: more needs a court or a parole board (--by court or --by "
        "parole_board)\n"
    )
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "custody_sanction", "--on", "2024-03-05",
       "--custody-days", "15", "--by", "court")  # fmt: skip
    technical(staffed, "2024-05-01")  # a later one: 30 days
    refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V2", "custody_sanction", "--on",
            "2024-05-03", "--custody-days", "31")  # fmt: skip
    ok(staffed, "cw-ga", "respond", "GA-1", "V2", "custody_sanction", "--on", "2024-05-03",
       "--custody-days", "30")  # fmt: skip


def test_custody_days_on_a_warning_are_bad_input(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")
    said = refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V1", "warning", "--on",
                   "2024-03-05", "--custody-days", "5", code=2)  # fmt: skip
    assert said == (
        "Error: custody days go with a custody_sanction or a revocation, not a warning\n"
    )


def test_the_first_rounds_sanction_is_taken_by_its_custody_days(staffed: Run) -> None:
    technical(staffed, "2024-03-01")
    technical(staffed, "2024-03-02")
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "sanction", "--on", "2024-03-05",
       "--custody-days", "3")  # fmt: skip
    ok(staffed, "cw-ga", "respond", "GA-1", "V2", "sanction", "--on", "2024-03-05")
    text = show_text(staffed)
    assert "decision: custody_sanction on 2024-03-05, 3 days in custody, by officer\n" in text
    assert "decision: other_sanction on 2024-03-05, by officer\n" in text


def test_custody_caps_set_by_a_supervisor_are_then_enforced(staffed: Run, db_url: str) -> None:
    assert ok(staffed, "cw-ga", "custody-caps", "GA").stdout == (
        "GA: custody caps in force (the defaults: the agency has set none)\n"
        "  first technical violation of a term  14 days\n"
        "  each later technical violation       30 days\n"
    )
    set_ = ok(staffed, "sup-ga", "custody-caps", "GA", "--first", "5", "--later", "10",
              "--on", "2024-01-01")  # fmt: skip
    assert (set_.stdout, set_.stderr) == (
        "",
        "GA: custody caps set: 5 days for a term's first technical violation, 10 for each "
        "later one, from 2024-01-01\n",
    )
    caps = json.loads(ok(staffed, "cw-ga", "custody-caps", "GA", "--json").stdout)
    assert caps == {"agency": "GA", "first": 5, "later": 10, "agency_set": True}
    other = json.loads(ok(staffed, "sup-gb", "custody-caps", "GB", "--json").stdout)
    assert (other["first"], other["later"], other["agency_set"]) == (14, 30, False)

    technical(staffed, "2024-03-01")
    said = refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V1", "custody_sanction", "--on",
                   "2024-03-05", "--custody-days", "6")  # fmt: skip
    assert "is over the agency's cap of 5 days" in said
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "custody_sanction", "--on", "2024-03-05",
       "--custody-days", "5")  # fmt: skip
    technical(staffed, "2024-04-01")
    said = refused(staffed, db_url, "cw-ga", "respond", "GA-1", "V2", "custody_sanction", "--on",
                   "2024-04-05", "--custody-days", "11")  # fmt: skip
    assert "for a later technical violation is over the agency's cap of 10 days" in said


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        ("cw-ga", "cw-ga (caseworker) may not set an agency's policy (custody caps)"),
        ("sup-gb", "sup-gb may set the policy of agency GB only"),
        ("aud", "aud (auditor) may not set an agency's policy (custody caps)"),
        ("ov", "ov (oversight) may not set an agency's policy (custody caps)"),
    ],
)
def test_only_the_agencys_supervisor_sets_its_caps(
    staffed: Run, db_url: str, actor: str, message: str
) -> None:
    said = refused(staffed, db_url, actor, "custody-caps", "GA", "--first", "60", "--later", "90")
    assert said == f"Error: {message}\n"
    caps = json.loads(ok(staffed, "sup-ga", "custody-caps", "GA", "--json").stdout)
    assert (caps["first"], caps["later"], caps["agency_set"]) == (14, 30, False)


def test_oversight_reads_no_custody_caps(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "ov", "custody-caps", "GA")
    assert said == "Error: ov (oversight) may not read client records\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--first", "5"], "give both --first and --later (days), or neither"),
        (["--first", "-1", "--later", "5"], "-1 is not in the range 0<=x<=36500"),
        (["--first", "5", "--later", "99999999999999999999"], "not in the range 0<=x<=36500"),
        (["--first", "20", "--later", "10"], "is below the first's (20 days)"),
        (["--first", "5", "--later", "10", "--json"], "--json goes with showing the caps"),
    ],
)
def test_custody_caps_that_cannot_be_are_bad_input(
    staffed: Run, db_url: str, args: list[str], message: str
) -> None:
    assert message in refused(staffed, db_url, "sup-ga", "custody-caps", "GA", *args, code=2)


# --- new offences and their dispositions -----------------------------------------------------


def test_a_disposition_on_a_technical_violation_is_refused(staffed: Run, db_url: str) -> None:
    technical(staffed, "2024-03-01")
    said = refused(staffed, db_url, "cw-ga", "disposition", "GA-1", "V1", "dismissed", "--on",
                   "2024-04-01")  # fmt: skip
    assert said == (
        "Error: violation V1 of client 'GA-1' records no new offence: only a new offence has a "
        "disposition\n"
    )


def test_a_disposition_may_come_after_the_term_ended_and_the_latest_holds(staffed: Run) -> None:
    ok(staffed, "cw-ga", "violation", "GA-1", "--on", "2024-03-01", "--new-offence",
       "misdemeanor", "--basis", "arrest")  # fmt: skip
    ok(staffed, "cw-ga", "respond", "GA-1", "V1", "revocation", "--on", "2024-03-10", "--by",
       "court")  # fmt: skip
    pending = ok(staffed, "cw-ga", "disposition", "GA-1", "V1", "pending", "--on", "2024-04-01")
    assert pending.stderr == "GA-1: recorded event 4 (DispositionRecorded)\n"
    ok(staffed, "cw-ga", "disposition", "GA-1", "V1", "dismissed", "--on", "2024-06-01",
       "--offence-type", "property")  # fmt: skip
    assert (
        "violation    V1 2024-03-01 new_offence: new offence (misdemeanor, basis arrest, type "
        "property); disposition dismissed since 2024-06-01\n"
    ) in show_text(staffed)
    violation = shown(staffed)["violations"]["V1"]
    assert violation["disposition"] == "dismissed"
    assert violation["dispositions"] == [["2024-04-01", "pending"], ["2024-06-01", "dismissed"]]
    # the term stays revoked: a disposition is not the term's
    assert shown(staffed)["revoked_by"] == "V1"


def test_a_basis_or_type_without_a_new_offence_is_bad_input(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "cw-ga", "violation", "GA-1", "--technical", "curfew",
                   "--basis", "charge", code=2)  # fmt: skip
    assert said == "Error: basis describes a new offence: give the new offence too\n"
    said = refused(staffed, db_url, "cw-ga", "violation", "GA-1", "--absconding",
                   "--offence-type", "drug", code=2)  # fmt: skip
    assert said == "Error: offence type describes a new offence: give the new offence too\n"


# --- incentives -------------------------------------------------------------------------------


def test_an_incentive_is_recorded_and_shown(staffed: Run) -> None:
    assert "incentives   none\n" in show_text(staffed)
    given = ok(staffed, "cw-ga", "incentive", "GA-1", "--on", "2024-05-01", "--kind",
               "curfew_lifted", "--note", "three months without a breach")  # fmt: skip
    assert given.stderr == "GA-1: recorded event 2 (IncentiveGranted)\n"
    ok(staffed, "sup-ga", "incentive", "GA-1", "--on", "2024-06-01", "--kind", "commendation")
    assert "incentives   curfew_lifted 2024-05-01; commendation 2024-06-01\n" in show_text(staffed)
    [entry] = [
        e for e in json.loads(ok(staffed, "cw-ga", "timeline", "GA-1", "--json").stdout)
        if e["type"] == "IncentiveGranted" and e["data"]["note"]
    ]  # fmt: skip
    assert entry["data"]["kind"] == {"code": "curfew_lifted", "raw_text": None}


@pytest.mark.parametrize("actor", ["ov", "aud"])
def test_oversight_and_auditors_record_no_incentive(staffed: Run, db_url: str, actor: str) -> None:
    said = refused(staffed, db_url, actor, "incentive", "GA-1", "--on", "2024-05-01", "--kind",
                   "commendation")  # fmt: skip
    assert "may not record casework" in said


def test_another_agencys_supervisor_finds_no_client_to_reward(staffed: Run, db_url: str) -> None:
    said = refused(staffed, db_url, "sup-gb", "incentive", "GA-1", "--kind", "commendation",
                   code=4)  # fmt: skip
    assert said == "Error: no client with reference 'GA-1'\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["respond", "GA-1", "V1", "sanctionn"], "'sanctionn' is not one of 'warning'"),
        (["respond", "GA-1", "V1", "warning", "--by", "judge"], "'judge' is not one of"),
        # a number too large to store: a century at most
        (
            [
                "respond",
                "GA-1",
                "V1",
                "custody_sanction",
                "--by",
                "court",
                "--custody-days",
                "99999999999999999999",
            ],
            "is not in the range 0<=x<=36500",
        ),
        (["incentive", "GA-1", "--kind", "praise"], "'praise' is not one of"),
        (["incentive", "GA-1"], "Missing option '--kind'"),
        (["disposition", "GA-1", "V1", "quashed"], "'quashed' is not one of"),
        (["violation", "GA-1", "--new-offence", "felony", "--basis", "rumour"], "'rumour'"),
        (["violation", "GA-1", "--new-offence", "felony", "--offence-type", "x"], "'x' is not"),
    ],
)
def test_codes_that_are_not_on_the_lists_are_bad_usage(
    staffed: Run, db_url: str, args: list[str], message: str
) -> None:
    technical(staffed, "2024-03-01")
    assert message in refused(staffed, db_url, "cw-ga", *args, code=2)


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["respond"], ["--recommendation", "--by [officer|court|parole_board]",
                       "increased_reporting", "continuance", "custody_sanction",
                       "recorded as custody_sanction", "a reinstatement", "custody-caps"]),
        (["disposition"], ["pending|convicted|dismissed|acquitted", "--offence-type",
                           "after the term has ended"]),
        (["incentive"], ["--kind", "early_discharge_recommended", "level_reduced"]),
        (["custody-caps"], ["--first", "--later", "14 and 30 days", "supervisors"]),
        (["discharge"], ["--decision VIOLATION_ID", "no discharge follows one"]),
        (["violation"], ["--basis [arrest|charge|conviction]",
                         "--offence-type [violent|property|drug|public_order|other]"]),
    ],
)  # fmt: skip
def test_the_help_of_each_new_command_says_what_it_takes(
    command: list[str], said: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # the help as one line, whatever it wraps at
    for words in said:
        assert words in text, words
