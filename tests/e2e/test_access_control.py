"""Every role against every command (a table), reads logged, refusals that reveal nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli
from tests.builders import recorded

ROLES = ("cw-ga", "sup-ga", "cw-gb", "aud", "ov", "stranger")
OK, REFUSED, HIDDEN = 0, 3, 4

# command -> expected exit code for cw-ga, sup-ga, cw-gb, aud, ov, stranger
TABLE: dict[str, tuple[list[str], tuple[int, ...]]] = {
    "enroll": (["enroll", "GA-9", "--agency", "GA", "--officer", "o", "--supervision", "parole", "--start", "2024-05-01"],
               (OK, OK, REFUSED, REFUSED, REFUSED, REFUSED)),
    "assess": (["assess", "GA-1", "--on", "2024-02-01", "--instrument", "ORAS", "--risk", "low"],
               (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "contact": (["contact", "GA-1", "--on", "2024-02-01", "--note", "n"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "refer": (["refer", "GA-1", "--on", "2024-02-01", "--service", "housing"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "violation": (["violation", "GA-1", "--on", "2024-02-01", "--absconding"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "respond": (["respond", "GA-1", "V1", "warning", "--on", "2024-03-02"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "respond --recommendation": (["respond", "GA-1", "V1", "revocation", "--on", "2024-03-02", "--recommendation"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "incentive": (["incentive", "GA-1", "--on", "2024-03-02", "--kind", "commendation"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "custody-caps": (["custody-caps", "GA"], (OK, OK, OK, OK, REFUSED, REFUSED)),
    "custody-caps set": (["custody-caps", "GA", "--first", "10", "--later", "20"], (REFUSED, OK, REFUSED, REFUSED, REFUSED, REFUSED)),
    "discharge": (["discharge", "GA-1", "--on", "2024-06-01", "--outcome", "successful"], (OK, OK, HIDDEN, REFUSED, REFUSED, REFUSED)),
    "correct": (["correct", "GA-1", "2", "--reason", "wrong"], (REFUSED, OK, REFUSED, REFUSED, REFUSED, REFUSED)),
    "timeline": (["timeline", "GA-1", "--json"], (OK, OK, HIDDEN, OK, REFUSED, REFUSED)),
    "show": (["show", "GA-1", "--json"], (OK, OK, HIDDEN, OK, REFUSED, REFUSED)),
    "replay": (["replay"], (REFUSED, OK, REFUSED, OK, REFUSED, REFUSED)),
    "report violations": (["report", "violations", "--format", "json"], (OK, OK, OK, OK, OK, REFUSED)),
    "report caseload": (["report", "caseload", "--on", "2024-03-01"], (OK, OK, OK, OK, OK, REFUSED)),
    "report justice-counts": (["report", "justice-counts", "--year", "2024"], (OK, OK, OK, OK, OK, REFUSED)),
    "projections status": (["projections", "status"], (REFUSED, OK, REFUSED, OK, REFUSED, REFUSED)),
    "projections verify": (["projections", "verify"], (REFUSED, OK, REFUSED, OK, REFUSED, REFUSED)),
    "verify": (["verify"], (REFUSED, REFUSED, REFUSED, OK, REFUSED, REFUSED)),
    "digest": (["digest"], (REFUSED, REFUSED, REFUSED, OK, REFUSED, REFUSED)),
    "export": (["export"], (REFUSED, REFUSED, REFUSED, OK, REFUSED, REFUSED)),
    "access-log": (["access-log"], (REFUSED, REFUSED, REFUSED, OK, REFUSED, REFUSED)),
    "users list": (["users", "list"], (REFUSED, OK, REFUSED, OK, REFUSED, REFUSED)),
    "users add": (["users", "add", "new-cw", "--role", "caseworker", "--agency", "GA"], (REFUSED, OK, REFUSED, OK, REFUSED, REFUSED)),
}  # fmt: skip


@pytest.fixture
def ledger(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path}/ledger.db"
    runner = CliRunner()

    def run(actor: str, *args: str) -> Result:
        return runner.invoke(cli, ["--db", db, "--actor", actor, *args], catch_exceptions=False)

    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("cw-ga", "caseworker", "GA"), ("cw-gb", "caseworker", "GB"),
                               ("ov", "oversight", None)):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run("aud", *add).exit_code == 0
    setup = [
        [
            "enroll",
            "GA-1",
            "--agency",
            "GA",
            "--officer",
            "o",
            "--supervision",
            "parole",
            "--start",
            "2024-01-01",
        ],
        ["contact", "GA-1", "--on", "2024-01-15", "--note", "talked about the family court"],
        ["violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew"],
    ]
    for args in setup:
        assert run("cw-ga", *args).exit_code == 0
    return run


@pytest.mark.parametrize("command", sorted(TABLE))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_command(ledger, command: str, role: str) -> None:  # type: ignore[no-untyped-def]
    args, expected = TABLE[command]
    result = ledger(role, *args)
    assert result.exit_code == expected[ROLES.index(role)], result.output
    assert "Traceback" not in result.output


def test_a_hidden_client_is_refused_exactly_like_a_missing_one(ledger) -> None:  # type: ignore[no-untyped-def]
    hidden = ledger("cw-gb", "timeline", "GA-1")
    missing = ledger("cw-gb", "timeline", "GA-404")
    assert (hidden.exit_code, missing.exit_code) == (HIDDEN, HIDDEN)
    assert hidden.stderr.replace("GA-1", "X") == missing.stderr.replace("GA-404", "X")
    written = ledger("cw-gb", "contact", "GA-1", "--on", "2024-02-01")
    assert written.stderr.replace("GA-1", "X") == missing.stderr.replace("GA-404", "X")


def test_confidential_notes_are_for_the_clients_agency_only(ledger) -> None:  # type: ignore[no-untyped-def]
    own = json.loads(ledger("cw-ga", "timeline", "GA-1", "--json").stdout)
    audited = json.loads(ledger("aud", "timeline", "GA-1", "--json").stdout)
    assert own[1]["data"]["note"] == "talked about the family court"
    assert audited[1]["data"]["note"] == "[confidential]"
    assert "family court" not in ledger("aud", "timeline", "GA-1").stdout


def test_a_confidential_group_sessions_name_is_for_the_clients_agency_only(ledger) -> None:  # type: ignore[no-untyped-def]
    """The auditor read the note as [confidential] and the group session's name in full."""
    written = ledger("cw-ga", "contact", "GA-1", "--on", "2024-02-01", "--kind", "group",
                     "--group-session", "ZQ-RELAPSE-GROUP", "--note", "n")  # fmt: skip
    assert written.exit_code == 0, written.output
    own = json.loads(ledger("cw-ga", "timeline", "GA-1", "--json").stdout)[-1]["data"]
    audited = json.loads(ledger("aud", "timeline", "GA-1", "--json").stdout)[-1]["data"]
    assert own["group_session"] == "ZQ-RELAPSE-GROUP"
    assert (audited["note"], audited["group_session"]) == ("[confidential]", "[confidential]")
    assert "ZQ-RELAPSE" not in ledger("aud", "timeline", "GA-1").stdout


def test_oversight_sees_small_counts_suppressed(ledger) -> None:  # type: ignore[no-untyped-def]
    [group] = json.loads(ledger("ov", "report", "violations", "--format", "json").stdout)["groups"]
    assert group["clients"] == "withheld" and group["technical_violations"] == "withheld"
    [exact] = json.loads(ledger("aud", "report", "violations", "--format", "json").stdout)["groups"]
    assert exact["clients"] == 1


def test_reads_are_logged_and_never_enter_a_timeline(ledger) -> None:  # type: ignore[no-untyped-def]
    before = json.loads(ledger("cw-ga", "timeline", "GA-1", "--json").stdout)
    ledger("aud", "show", "GA-1")
    ledger("aud", "timeline", "GA-1", "--as-of", "2024-02-01")
    log = json.loads(ledger("aud", "access-log", "--client", "GA-1", "--json").stdout)
    assert [(r["actor"], r["view"], r["as_of"]) for r in log] == [
        ("cw-ga", "timeline", None),
        ("aud", "show", None),
        ("aud", "timeline", "2024-02-01"),
    ]
    after = json.loads(ledger("cw-ga", "timeline", "GA-1", "--json").stdout)
    assert after == before and [e["number"] for e in after] == [1, 2, 3]
    ledger("cw-ga", "contact", "GA-1", "--on", "2024-04-01")
    assert json.loads(ledger("cw-ga", "timeline", "GA-1", "--json").stdout)[-1]["number"] == 4
    assert ledger("aud", "verify").exit_code == 0  # access records are chained and digested too


def test_refused_attempts_to_read_a_client_are_in_the_access_log(ledger) -> None:  # type: ignore[no-untyped-def]
    # CJIS asks that unsuccessful attempts be logged as well as reads: a caseworker of another
    # agency browsing a client's record, or a role that may not read records, left no trace
    attempts = [
        ("cw-gb", "timeline", "GA-1", HIDDEN),
        ("cw-gb", "show", "GA-1", HIDDEN),
        ("cw-gb", "timeline", "GA-404", HIDDEN),  # one that does not exist, told apart by no one
        ("ov", "timeline", "GA-1", REFUSED),
        ("ov", "show", "GA-1", REFUSED),
    ]
    for actor, view, ref, refused in attempts:
        assert ledger(actor, view, ref).exit_code == refused
    assert ledger("stranger", "timeline", "GA-1").exit_code == REFUSED  # no user: no log of theirs
    log = json.loads(ledger("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"]) for r in log] == [
        (actor, ref, f"refused {view}") for actor, view, ref, _ in attempts
    ]
    assert ledger("cw-gb", "timeline", "GA-1").stderr.replace("GA-1", "X") == ledger(
        "cw-gb", "timeline", "GA-404"
    ).stderr.replace("GA-404", "X")  # the one refused is told nothing of the log either
    assert ledger("aud", "verify").exit_code == 0


def test_refused_attempts_to_write_to_a_client_are_in_the_access_log(ledger) -> None:  # type: ignore[no-untyped-def]
    # as refused reads are: another agency's caseworker adding to a record it may not see, a
    # role that may not record casework, a caseworker correcting or sealing
    before = recorded(ledger("aud", "export").stdout)
    attempts = [
        ("cw-gb", "contact", ["GA-1", "--on", "2024-02-01", "--note", "n"], HIDDEN),
        ("cw-gb", "violation", ["GA-1", "--on", "2024-02-01", "--absconding"], HIDDEN),
        ("cw-gb", "contact", ["GA-404", "--on", "2024-02-01"], HIDDEN),  # none such: alike
        ("ov", "assess", ["GA-1", "--on", "2024-02-01", "--instrument", "ORAS", "--risk", "low"],
         REFUSED),
        ("aud", "discharge", ["GA-1", "--on", "2024-06-01", "--outcome", "successful"], REFUSED),
        ("cw-ga", "correct", ["GA-1", "2", "--reason", "wrong"], REFUSED),
        ("cw-gb", "seal", ["GA-1", "--ground", "expungement", "--reference", "R-1"], REFUSED),
    ]  # fmt: skip
    for actor, command, args, refused in attempts:
        assert ledger(actor, command, *args).exit_code == refused, (actor, command)
    log = json.loads(ledger("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"]) for r in log if r["view"] != "export"] == [
        (actor, args[0], f"refused {command}") for actor, command, args, _ in attempts
    ]
    assert ledger("cw-gb", "contact", "GA-1").stderr.replace("GA-1", "X") == ledger(
        "cw-gb", "contact", "GA-404"
    ).stderr.replace("GA-404", "X")  # the one refused is told nothing of the log either
    assert recorded(ledger("aud", "export").stdout) == before  # nothing written
    assert ledger("aud", "verify").exit_code == 0


def test_an_attempt_to_enrol_another_agencys_client_again_is_in_the_access_log(ledger) -> None:  # type: ignore[no-untyped-def]
    # "already enrolled" tells a caseworker of another agency that the reference is taken (a
    # reference is one person across agencies): the probe, at least, is logged
    enroll = ["--officer", "o", "--supervision", "parole", "--start", "2024-05-01"]
    refused = ledger("cw-gb", "enroll", "GA-1", "--agency", "GB", *enroll)
    assert refused.exit_code == REFUSED and "already enrolled" in refused.stderr
    log = json.loads(ledger("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"]) for r in log] == [
        ("cw-gb", "GA-1", "refused enroll")
    ]


def test_refused_attempts_to_give_a_client_a_programme_place_are_in_the_access_log(ledger) -> None:  # type: ignore[no-untyped-def]
    add = ["programme", "add", "T4C", "--service", "mental_health", "--agency", "GB",
           "--on", "2024-01-01"]  # fmt: skip
    assert (
        ledger("aud", "users", "add", "sup-gb", "--role", "supervisor", "--agency", "GB").exit_code
        == 0
    )
    assert ledger("sup-gb", *add).exit_code == 0
    attempts = [  # GB's programme, GA's client: seen by GB's staff as not there
        ("cw-gb", ["programme", "enrol", "T4C", "GA-1", "--on", "2024-02-01"], "programme enrol"),
        ("cw-gb", ["programme", "session", "T4C", "--on", "2024-02-08", "--attended", "GA-1"],
         "programme session"),
        ("cw-gb", ["programme", "end", "T4C", "GA-1", "--on", "2024-03-01", "--outcome",
                   "completed"], "programme end"),
    ]  # fmt: skip
    for actor, args, _ in attempts:
        assert ledger(actor, *args).exit_code == HIDDEN, args
    log = json.loads(ledger("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"]) for r in log] == [
        (actor, "GA-1", f"refused {view}") for actor, _, view in attempts
    ]


def test_supervisors_add_only_their_own_agencys_casework_staff(ledger) -> None:  # type: ignore[no-untyped-def]
    assert (
        ledger("sup-ga", "users", "add", "x", "--role", "caseworker", "--agency", "GB").exit_code
        == REFUSED
    )
    assert ledger("sup-ga", "users", "add", "y", "--role", "auditor").exit_code == REFUSED
    assert (
        ledger("aud", "users", "add", "z", "--role", "oversight", "--agency", "GA").exit_code == 2
    )
    removed = ledger("aud", "users", "remove", "cw-gb", "--reason", "left")
    assert removed.exit_code == 0
    assert ledger("cw-gb", "report", "violations").exit_code == REFUSED


def test_single_user_mode_until_the_first_user(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/solo.db"
    runner = CliRunner()
    enroll = ["enroll", "S-1", "--agency", "A", "--officer", "o", "--supervision", "probation"]
    assert runner.invoke(cli, ["--db", db, "--actor", "anyone", *enroll]).exit_code == 0
    assert runner.invoke(cli, ["--db", db, "timeline", "S-1"]).exit_code == 0  # unnamed reader
    assert (
        runner.invoke(
            cli, ["--db", db, "--actor", "first", "users", "add", "first", "--role", "auditor"]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(cli, ["--db", db, "--actor", "anyone", "timeline", "S-1"]).exit_code
        == REFUSED
    )
    assert runner.invoke(cli, ["--db", db, "timeline", "S-1"]).exit_code == 2  # no actor named


def test_oversight_sees_small_counts_hidden_in_every_report(ledger) -> None:  # type: ignore[no-untyped-def]
    hidden = json.loads(
        ledger("ov", "report", "caseload", "--on", "2024-03-01", "--format", "json").stdout
    )
    assert hidden["groups"] == [{"agency": "GA", "officer": "o", "active_clients": "withheld"}]
    exact = json.loads(
        ledger("aud", "report", "caseload", "--on", "2024-03-01", "--format", "json").stdout
    )
    assert exact["groups"][0]["active_clients"] == 1
    counts = ledger("ov", "report", "justice-counts", "--year", "2024", "--format", "csv").stdout
    assert (
        "2024,1,SUPERVISION,SUPERVISION_SUPERVISION_STARTS,,,withheld" in counts
    )  # GA-1 in January


def test_oversight_cannot_lower_its_suppression_or_read_person_days_back_from_rates(ledger) -> None:  # type: ignore[no-untyped-def]
    [lowered] = json.loads(
        ledger("ov", "report", "violations", "--suppress-below", "2", "--format", "json").stdout
    )["groups"]
    assert lowered["clients"] == "withheld"
    [group] = json.loads(ledger("ov", "report", "violations", "--format", "json").stdout)["groups"]
    rates = [key for key in group if "per_100_person_years" in key]
    assert rates and all(group[key] == "withheld" for key in rates), group


def test_refused_replays_of_a_client_are_in_the_access_log(ledger) -> None:  # type: ignore[no-untyped-def]
    # `replay REF` reads the client's record as `timeline` does: another agency's supervisor
    # trying it (told "not found", as for a reference no one has) and a caseworker (whose role
    # may not replay) leave a trace as their refused timelines do
    add = ["users", "add", "sup-gb", "--role", "supervisor", "--agency", "GB"]
    assert ledger("aud", *add).exit_code == 0
    attempts = [
        ("sup-gb", "GA-1", HIDDEN),
        ("sup-gb", "GA-404", HIDDEN),
        ("cw-ga", "GA-1", REFUSED),
    ]
    for actor, ref, refused in attempts:
        assert ledger(actor, "replay", ref).exit_code == refused, (actor, ref)
    log = json.loads(ledger("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"]) for r in log] == [
        (actor, ref, "refused replay") for actor, ref, _ in attempts
    ]
    assert ledger("sup-gb", "replay", "GA-1").stderr.replace("GA-1", "X") == ledger(
        "sup-gb", "replay", "GA-404"
    ).stderr.replace("GA-404", "X")
    assert ledger("sup-ga", "replay", "GA-1").exit_code == OK
    assert ledger("aud", "verify").exit_code == 0
