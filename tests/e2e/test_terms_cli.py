"""Terms and status periods from the command line, end to end: reassign, level, conditions,
custody and custody-end, abscond and return, a later term by enroll, who the person is; each
wrong input refused with nothing written, and each agency kept to the clients it holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.references import client_id
from tests.e2e.acting import stored

Run = Callable[..., Result]
ENROL = ["--agency", "GA", "--officer", "o-1", "--supervision", "parole"]


def events_of(db_url: str, ref: str = "GA-1") -> int:
    """How many events the client has."""
    ledger = Ledger(db_url)
    try:
        return len(ledger.recorder.select_events(client_id(ref)))
    finally:
        ledger.close()


def ok(run: Run, *args: str, **actor: str) -> Result:
    result = run(*args, **actor)
    assert result.exit_code == 0, (args, result.output)
    return result


def enrolled(run: Run, ref: str = "GA-1", *extra: str) -> None:
    ok(run, "enroll", ref, *ENROL, "--start", "2024-01-10", "--condition", "report_weekly", *extra)


def shown(run: Run, ref: str = "GA-1", **actor: str) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(run, "show", ref, "--json", **actor).stdout)


def timeline(run: Run, ref: str = "GA-1", **actor: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(ok(run, "timeline", ref, "--json", **actor).stdout)


def test_each_status_command_records_one_event_and_says_so(run: Run) -> None:
    enrolled(run)
    steps = [
        (["level", "GA-1", "--on", "2024-02-01", "--level", "medium"], "LevelChanged"),
        (
            [
                "conditions",
                "GA-1",
                "--on",
                "2024-02-02",
                "--add",
                "curfew",
                "--remove",
                "report_weekly",
            ],
            "ConditionsChanged",
        ),
        (["custody", "GA-1", "--on", "2024-03-05", "--reason", "sanction"], "CustodyStarted"),
        (["custody-end", "GA-1", "--on", "2024-03-08"], "CustodyEnded"),
        (["abscond", "GA-1", "--on", "2024-04-01"], "Absconded"),
        (["return", "GA-1", "--on", "2024-04-20"], "Returned"),
        (["reassign", "GA-1", "--on", "2024-05-01", "--officer", "o-2"], "Reassigned"),
        (["abscond", "GA-1", "--on", "2024-06-01"], "Absconded"),
    ]
    for number, (args, event_type) in enumerate(steps, start=2):
        result = ok(run, *args)
        assert result.stdout == ""
        assert result.stderr == f"GA-1: recorded event {number} ({event_type})\n"

    state = shown(run)
    assert (state["status"], state["level"], state["officer"]) == ("absconded", "medium", "o-2")
    assert state["conditions"] == ["curfew"]
    assert [(p["kind"], p["since"], p["until"]) for p in state["periods"]] == [
        ("custody", "2024-03-05", "2024-03-08"),
        ("absconded", "2024-04-01", "2024-04-20"),
        ("absconded", "2024-06-01", None),
    ]
    text = ok(run, "show", "GA-1").stdout
    assert "term         1 (of 1) from 2024-01-10\n" in text
    assert "status       absconded since 2024-06-01\n" in text
    assert "agency       GA   officer o-2\n" in text
    assert "level        medium\n" in text
    assert "conditions   curfew\n" in text
    assert (
        "periods      in custody (sanction) since 2024-03-05, until 2024-03-08; "
        "absconded since 2024-04-01, until 2024-04-20; absconded since 2024-06-01\n"
    ) in text


def test_show_says_in_custody_since_when_and_why(run: Run) -> None:
    enrolled(run)
    ok(run, "custody", "GA-1", "--on", "2024-03-05", "--reason", "jail_hold")
    assert (
        "status       in custody (jail_hold) since 2024-03-05\n" in ok(run, "show", "GA-1").stdout
    )
    assert shown(run)["status"] == "in_custody"


def test_the_timeline_reads_the_new_events_in_both_forms(run: Run) -> None:
    enrolled(run)
    ok(run, "custody", "GA-1", "--on", "2024-03-05", "--reason", "treatment_facility")
    ok(run, "custody-end", "GA-1", "--on", "2024-04-05")
    ok(run, "conditions", "GA-1", "--on", "2024-04-06", "--add", "curfew")
    ok(run, "reassign", "GA-1", "--on", "2024-04-07", "--officer", "o-3")
    text = ok(run, "timeline", "GA-1").stdout.splitlines()
    assert text[2].endswith("CustodyStarted") and text[3].strip() == "reason=treatment_facility"
    assert text[4].endswith("CustodyEnded")  # nothing more to say: no empty line under it
    assert text[5].endswith("ConditionsChanged") and text[6].strip() == "added=curfew"
    assert text[8].strip() == "agency=GA  officer=o-3"
    events = timeline(run)
    assert [e["type"] for e in events] == [
        "Enrolled", "CustodyStarted", "CustodyEnded", "ConditionsChanged", "Reassigned",
    ]  # fmt: skip
    assert events[1]["data"]["reason"] == {"code": "treatment_facility", "raw_text": None}
    assert events[2]["data"] == {}
    assert events[3]["data"]["added"] == [{"code": "curfew", "raw_text": None}]
    assert events[4]["data"] == {"agency": "GA", "officer": "o-3"}


def test_who_the_person_is_is_read_decrypted_then_sealed(run: Run) -> None:
    enrolled(run, "GA-1", "--sex", "female", "--race", "black", "--ethnicity", "not_hispanic",
             "--birth-year", "1990", "--start-reason", "new_sentence")  # fmt: skip
    person = timeline(run)[0]["data"]["person"]
    assert person == {
        "sex": {"code": "female", "raw_text": None},
        "race": {"code": "black", "raw_text": None},
        "ethnicity": {"code": "not_hispanic", "raw_text": None},
        "birth_year": "1990",
    }
    state = shown(run)
    assert (state["sex"], state["race"], state["ethnicity"], state["birth_year"]) == (
        "female", "black", "not_hispanic", "1990",
    )  # fmt: skip
    text = ok(run, "show", "GA-1").stdout
    assert "person       sex female, race black, ethnicity not_hispanic, born 1990\n" in text
    assert "term         1 (of 1) from 2024-01-10, start reason new_sentence\n" in text

    ok(run, "seal", "GA-1", "--ground", "court_order", "--reference", "CO-1")
    sealed = timeline(run)[0]["data"]["person"]
    assert {sealed[k]["code"] for k in ("sex", "race", "ethnicity")} == {"[sealed]"}
    assert sealed["birth_year"] == "[sealed]"
    assert "person       sex [sealed], race [sealed], ethnicity [sealed], born [sealed]\n" in (
        ok(run, "show", "GA-1").stdout
    )


def test_an_age_band_given_for_a_term_is_personal_and_sealed_with_the_rest(
    run: Run, db_url: str
) -> None:
    ledger = Ledger(db_url)
    try:  # an import's band (the birth year unknown): not offered by `enroll` itself
        ledger.enroll("GA-1", actor="jdoe", agency="GA", officer="o-1", supervision="parole",
                      start=date(2024, 1, 10),
                      age_band="25_34")  # fmt: skip
    finally:
        ledger.close()
    assert timeline(run)[0]["data"]["age_band"] == {"code": "25_34", "raw_text": None}
    ok(run, "seal", "GA-1", "--ground", "court_order", "--reference", "CO-1")
    assert timeline(run)[0]["data"]["age_band"]["code"] == "[sealed]"


def test_a_later_term_starts_by_enroll_once_the_last_has_ended(run: Run) -> None:
    enrolled(run)
    refused = run("enroll", "GA-1", *ENROL, "--start", "2024-06-01")
    assert refused.exit_code == 3
    assert "still under supervision (term 1, since 2024-01-10)" in refused.stderr
    # a court's revocation decision ends term 1 (no discharge follows it)
    ok(run, "violation", "GA-1", "--on", "2024-06-20", "--technical", "failure_to_report")
    ok(run, "respond", "GA-1", "V1", "revocation", "--on", "2024-06-30", "--by", "court")
    assert (
        "status       revoked (revoked_technical on 2024-06-30, by the decision on V1)\n"
        in ok(run, "show", "GA-1").stdout
    )
    early = run("enroll", "GA-1", *ENROL, "--start", "2024-06-01")
    assert early.exit_code == 3 and "the end of term 1" in early.stderr
    second = ok(run, "enroll", "GA-1", "--agency", "GA", "--officer", "o-8", "--supervision",
                "probation", "--start", "2024-09-01", "--start-reason", "new_sentence")  # fmt: skip
    assert second.stderr == "GA-1: recorded event 4 (TermStarted)\n"  # enrolment, V1, decision
    text = ok(run, "show", "GA-1").stdout
    assert "term         2 (of 2) from 2024-09-01, start reason new_sentence\n" in text
    assert "status       active\n" in text and "officer o-8" in text
    state = shown(run)
    assert [(t["term"], t["outcome"]) for t in state["terms"]] == [
        (1, "revoked_technical"),
        (2, None),
    ]
    again = run("enroll", "GA-1", *ENROL, "--start", "2024-10-01")
    assert again.exit_code == 3 and "still under supervision (term 2" in again.stderr


def test_a_later_term_cannot_rewrite_who_the_person_is(run: Run) -> None:
    enrolled(run)
    ok(run, "discharge", "GA-1", "--on", "2024-06-30", "--outcome", "successful")
    refused = run("enroll", "GA-1", *ENROL, "--start", "2024-09-01", "--sex", "male")
    assert refused.exit_code == 2 and "already enrolled" in refused.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["level", "GA-1", "--level", "intense"], 2, "'intense' is not one of"),
        (["custody", "GA-1", "--reason", "holiday"], 2, "'holiday' is not one of"),
        (["conditions", "GA-1"], 2, "give at least one --add or --remove"),
        (
            ["conditions", "GA-1", "--add", "curfew", "--remove", "curfew"],
            2,
            "cannot be both added and removed",
        ),
        (["conditions", "GA-1", "--remove", "curfew"], 3, "has no condition curfew to remove"),
        (["conditions", "GA-1", "--add", "report_weekly"], 3, "already has condition"),
        (["custody-end", "GA-1", "--on", "2024-05-01"], 3, "'GA-1' is not in custody"),
        (["return", "GA-1", "--on", "2024-05-01"], 3, "'GA-1' is not absconded"),
        (["level", "GA-1", "--on", "2024-01-01", "--level", "low"], 3, "before"),
        (["reassign", "GA-1", "--officer", "o-1"], 3, "already with officer 'o-1'"),
        (["enroll", "GA-1", *ENROL, "--start", "2024-05-01"], 3, "still under supervision"),
        (["enroll", "GA-2", *ENROL, "--birth-year", "3000"], 2, "--birth-year"),
        (["enroll", "GA-2", *ENROL, "--sex", "f"], 2, "'f' is not one of"),
        (["enroll", "GA-2", *ENROL, "--start-reason", "x"], 2, "'x' is not one of"),
        (["abscond", "GA-404"], 4, "no client with reference 'GA-404'"),
    ],
)
def test_wrong_input_is_refused_and_nothing_is_written(
    run: Run, db_url: str, args: list[str], code: int, message: str
) -> None:
    enrolled(run)
    before = stored(db_url)
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""
    assert stored(db_url) == before


def test_status_changes_within_a_period_are_refused_and_nothing_is_written(
    run: Run, db_url: str
) -> None:
    enrolled(run)
    ok(run, "custody", "GA-1", "--on", "2024-03-05", "--reason", "sanction")
    before = stored(db_url)
    absconding = run("abscond", "GA-1", "--on", "2024-03-06")
    assert absconding.exit_code == 3
    assert "in custody since 2024-03-05: record the end of custody" in absconding.stderr
    twice = run("custody", "GA-1", "--on", "2024-03-06", "--reason", "jail_hold")
    assert twice.exit_code == 3
    assert stored(db_url) == before
    ok(run, "custody-end", "GA-1", "--on", "2024-03-08")
    ok(run, "abscond", "GA-1", "--on", "2024-04-10")
    before = stored(db_url)
    early = run("return", "GA-1", "--on", "2024-04-01")
    assert early.exit_code == 3 and "2024-04-10" in early.stderr
    held = run("custody", "GA-1", "--on", "2024-04-12", "--reason", "jail_hold")
    assert held.exit_code == 3 and "absconded since 2024-04-10: record the return" in held.stderr
    assert stored(db_url) == before


def test_a_discharge_closes_a_period_still_open(run: Run) -> None:
    enrolled(run)
    ok(run, "abscond", "GA-1", "--on", "2024-03-01")
    ok(run, "discharge", "GA-1", "--on", "2024-05-01", "--outcome", "absconded")
    assert shown(run)["periods"][0]["until"] == "2024-05-01"
    refused = run("return", "GA-1", "--on", "2024-05-02")
    assert refused.exit_code == 3


def test_a_revocation_decision_closes_a_period_still_open_as_a_discharge_does(run: Run) -> None:
    enrolled(run)
    ok(run, "abscond", "GA-1", "--on", "2024-03-01")
    ok(run, "violation", "GA-1", "--on", "2024-03-01", "--absconding")
    ok(run, "respond", "GA-1", "V1", "revocation", "--on", "2024-05-01", "--by", "parole_board")
    state = shown(run)
    assert state["periods"][0]["until"] == "2024-05-01"
    # absconding is the breach of a condition: revoked_technical
    assert (state["status"], state["outcome"], state["revoked_by"]) == (
        "discharged", "revoked_technical", "V1",
    )  # fmt: skip
    refused = run("return", "GA-1", "--on", "2024-05-02")
    assert refused.exit_code == 3 and "term 1 was revoked on 2024-05-01" in refused.stderr


# --- two agencies -----------------------------------------------------------------------------


@pytest.fixture
def agencies(db_url: str) -> Run:
    """The CLI on a ledger with users: caseworkers and supervisors of GA and GB, and GA-1
    enrolled by GA's caseworker."""
    runner = CliRunner()

    def run(*args: str, actor: str | None = "cw-ga") -> Result:
        environment = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": actor}
        return runner.invoke(cli, list(args), env=environment, catch_exceptions=False)

    ok(run, "users", "add", "aud", "--role", "auditor", actor="aud")
    for name, role, agency in (("cw-ga", "caseworker", "GA"), ("sup-ga", "supervisor", "GA"),
                               ("cw-gb", "caseworker", "GB"), ("sup-gb", "supervisor", "GB")):  # fmt: skip
        ok(run, "users", "add", name, "--role", role, "--agency", agency, actor="aud")
    ok(run, "enroll", "GA-1", *ENROL, "--start", "2024-01-10", "--sex", "male", actor="cw-ga")
    ok(run, "contact", "GA-1", "--on", "2024-02-01", "--note", "GA's own note", actor="cw-ga")
    return run


@pytest.mark.parametrize(
    "args",
    [
        ["reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-gb", "--agency", "GB"],
        ["custody", "GA-1", "--on", "2024-03-01", "--reason", "jail_hold"],
        ["abscond", "GA-1", "--on", "2024-03-01"],
        ["level", "GA-1", "--on", "2024-03-01", "--level", "low"],
        ["conditions", "GA-1", "--on", "2024-03-01", "--add", "curfew"],
    ],
)
def test_another_agency_cannot_move_or_hold_a_client_it_cannot_see(
    agencies: Run, db_url: str, args: list[str]
) -> None:
    before = stored(db_url)
    attempt = agencies(*args, actor="cw-gb")
    missing = agencies(*[a.replace("GA-1", "GA-404") for a in args], actor="cw-gb")
    assert attempt.exit_code == 4
    assert attempt.stderr == "Error: no client with reference 'GA-1'\n"
    assert missing.stderr.replace("GA-404", "GA-1") == attempt.stderr  # nothing revealed
    assert stored(db_url) == before


def test_a_client_moved_to_another_agency_is_read_by_the_old_one_as_it_stood(
    agencies: Run, db_url: str
) -> None:
    moved = ok(agencies, "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-gb",
               "--agency", "GB", actor="sup-ga")  # fmt: skip
    assert moved.stderr == (
        "GA-1: recorded event 3 (Reassigned)\n"
        "Note: client 'GA-1' moved from agency GA to GB: from now on GA's staff see its record "
        "only as it stood up to this move\n"
    )
    ok(agencies, "custody", "GA-1", "--on", "2024-03-05", "--reason", "sanction", actor="cw-gb")
    ok(agencies, "contact", "GA-1", "--on", "2024-03-06", "--note", "GB's note", actor="cw-gb")
    assert [e["number"] for e in timeline(agencies, actor="cw-gb")] == [1, 2, 3, 4, 5]
    # the case file moves with the client: its casework staff now read GA's notes too
    assert timeline(agencies, actor="cw-gb")[1]["data"]["note"] == "GA's own note"
    assert shown(agencies, actor="cw-gb")["status"] == "in_custody"

    before = events_of(db_url)
    old = timeline(agencies, actor="cw-ga")
    assert [e["number"] for e in old] == [1, 2, 3]  # up to the move, and no later
    assert old[1]["data"]["note"] == "GA's own note"
    assert shown(agencies, actor="cw-ga")["status"] == "active"
    assert events_of(db_url) == before  # the reads are logged, not the client's
    before = stored(db_url)
    for args in (["contact", "GA-1", "--on", "2024-03-07", "--note", "n"],
                 ["custody-end", "GA-1", "--on", "2024-03-08"],
                 ["reassign", "GA-1", "--on", "2024-03-09", "--officer", "o-1", "--agency", "GA"]):  # fmt: skip
        refused = agencies(*args, actor="cw-ga")
        assert refused.exit_code in (3, 4), refused.output
    assert agencies("correct", "GA-1", "3", "--reason", "r", actor="sup-ga").exit_code in (3, 4)
    assert stored(db_url) == before
    assert agencies("timeline", "GA-1", actor="cw-gb").exit_code == 0
    # a replay by the old agency's supervisor counts what it may see, not what came after
    assert agencies("replay", "GA-1", actor="sup-ga").stdout == "replayed 1 client, 3 events\n"
    assert agencies("replay", "GA-1", actor="sup-gb").stdout == "replayed 1 client, 5 events\n"


def test_a_reassignment_within_the_agency_says_nothing_more(agencies: Run) -> None:
    moved = ok(agencies, "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-2")
    assert moved.stderr == "GA-1: recorded event 3 (Reassigned)\n"
