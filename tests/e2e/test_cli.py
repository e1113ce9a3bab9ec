"""The command line, end to end with click's runner, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli


def enroll(run, ref: str = "GA-1") -> Result:  # type: ignore[no-untyped-def]
    return run(
        "enroll", ref, "--agency", "GA", "--officer", "o-17", "--supervision", "parole",
        "--start", "2024-01-10", "--condition", "report_weekly", "--condition", "drug_testing",
    )  # fmt: skip


def timeline_json(run, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    result = run("timeline", "GA-1", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_acceptance_sequence(run) -> None:  # type: ignore[no-untyped-def]
    assert enroll(run).exit_code == 0
    ok = run("assess", "GA-1", "--on", "2024-01-15", "--instrument", "ORAS", "--risk", "high",
             "--need", "substance_use", "--need", "school_work")  # fmt: skip
    assert ok.exit_code == 0
    referral = run("refer", "GA-1", "--on", "2024-01-20", "--service", "housing")
    assert referral.stdout == "R1\n"
    violation = run("violation", "GA-1", "--on", "2024-03-01", "--technical", "failure_to_report")
    assert violation.stdout == "V1\n"
    responded = run("respond", "GA-1", "V1", "sanction", "--on", "2024-03-05",
                    "--custody-days", "3")  # fmt: skip
    assert responded.exit_code == 0
    assert (
        run("violation", "GA-1", "--on", "2024-06-01", "--new-offence", "misdemeanor").exit_code
        == 0
    )
    sixth_recorded = timeline_json(run)[5]["recorded_at"]
    corrected = run("correct", "GA-1", "6", "--reason", "entered on the wrong client")
    assert corrected.exit_code == 0
    assert run("discharge", "GA-1", "--on", "2024-12-31", "--outcome", "successful").exit_code == 0

    events = timeline_json(run)
    assert len(events) == 8
    assert [e["type"] for e in events] == [
        "Enrolled", "Assessed", "Referred", "ViolationRecorded", "ViolationResponded",
        "ViolationRecorded", "Corrected", "Discharged",
    ]  # fmt: skip
    assert [e["number"] for e in events] == list(range(1, 9))
    assert events[5]["retracted_by"] == 7 and events[6]["corrects"] == 6
    assert all(e["recorded_by"] == "jdoe" for e in events)
    assert [e["number"] for e in timeline_json(run, "--as-of", "2024-02-01")] == [1, 2, 3]
    known = timeline_json(run, "--known-at", sixth_recorded)
    assert [e["number"] for e in known] == [1, 2, 3, 4, 5, 6]
    assert "retracted_by" not in known[5]

    refused = run("violation", "GA-1", "--on", "2025-01-05", "--technical", "curfew")
    assert refused.exit_code == 3 and "discharged" in refused.stderr
    bad_date = run("assess", "GA-1", "--on", "2024-13-01", "--instrument", "ORAS", "--risk", "high")
    assert bad_date.exit_code == 2 and "2024-13-01" in bad_date.stderr
    missing = run("show", "GA-404")
    assert missing.exit_code == 4 and "GA-404" in missing.stderr
    assert timeline_json(run) == events


def test_show_reports_the_case_as_it_stands(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run)
    run("assess", "GA-1", "--on", "2024-01-15", "--instrument", "ORAS", "--risk", "moderate")
    run("refer", "GA-1", "--on", "2024-01-20", "--service", "employment")
    run("violation", "GA-1", "--on", "2024-02-01", "--absconding")
    shown = run("show", "GA-1", "--json")
    assert shown.exit_code == 0
    state = json.loads(shown.stdout)
    assert state["status"] == "active"
    assert state["risk_level"] == "moderate"
    assert [r["referral_id"] for r in state["open_referrals"]] == ["R1"]
    assert state["violations"]["V1"]["category"] == "absconding"
    text = run("show", "GA-1").stdout
    assert "risk level   moderate" in text and "V1 2024-02-01 absconding" in text


def test_replay_reports_clients_and_events(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run, "GA-1")
    enroll(run, "GA-2")
    run("contact", "GA-2", "--on", "2024-02-01", "--note", "hello")
    assert run("replay").stdout == "replayed 2 clients, 3 events\n"
    assert json.loads(run("replay", "GA-2", "--json").stdout) == {"clients": 1, "events": 2}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["assess", "GA-1", "--instrument", "ORAS", "--risk", "hgh"], 2, "'hgh' is not one of"),
        (["refer", "GA-1", "--service", "spa"], 2, "'spa' is not one of"),
        (["violation", "GA-1"], 2, "at least one of"),
        (
            ["violation", "GA-1", "--technical", "curfew", "--violent"],
            2,
            "give the new offence too",
        ),
        (["respond", "GA-1", "V9", "warning"], 4, "no violation 'V9'"),  # not on record
        (["respond", "GA-1", "V1", "warning", "--custody-days", "-1"], 2, "custody-days"),
        (["referral", "GA-1", "R1", "completed", "--on", "2024-02-01"], 3, "made: it can become"),
        (["referral", "GA-1", "R9", "completed"], 4, "no referral 'R9'"),
        (["correct", "GA-1", "1", "--reason", "oops"], 3, "enrolment"),
        (["correct", "GA-1", "99", "--reason", "oops"], 4, "no event 99"),
        (
            ["correct", "GA-1", "2", "--reason", " "],
            2,
            "reason: String should have at least 1 character",
        ),
        (["contact", "GA-1", "--on", "2099-01-01"], 3, "in the future"),
        (["contact", "GA-1", "--on", "2023-01-01"], 3, "before enrolment"),
        (["contact", "GA-1", "--on", "01/02/2024"], 2, "YYYY-MM-DD"),
        (
            ["enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole"],
            3,
            "still under supervision (term 1",
        ),
        (
            ["enroll", "GA 2", "--agency", "GA", "--officer", "o", "--supervision", "parole"],
            2,
            "malformed",
        ),
        (["timeline", "GA-1", "--known-at", "yesterday"], 2, "ISO 8601"),
        (["plan", "GA-1", "--goal", "housing:find a flat"], 2, "NEED:description"),
        (["unmatch", "GA-1"], 3, "no active volunteer match"),
    ],
)
def test_bad_input_and_refusals_exit_with_their_code_and_write_nothing(
    run,
    args: list[str],
    code: int,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    enroll(run)
    run("refer", "GA-1", "--on", "2024-01-20", "--service", "housing")
    before = timeline_json(run)
    result = run(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert timeline_json(run) == before


def test_a_write_without_an_actor_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole", actor=None
    )
    assert result.exit_code == 2
    assert "no actor" in result.stderr
    assert run("show", "GA-1").exit_code == 4


def test_actor_option_beats_the_environment(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run)
    run("--actor", "group-level", "contact", "GA-1", "--on", "2024-02-01")
    run("contact", "GA-1", "--on", "2024-02-02", "--actor", "command-level")
    assert [e["recorded_by"] for e in timeline_json(run)] == [
        "jdoe",
        "group-level",
        "command-level",
    ]


def test_db_option_beats_the_environment(run, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    Ledger(db_url).close()  # the environment's ledger, empty
    other = f"sqlite:///{tmp_path}/other.db"
    run("--db", other, "enroll", "GA-7", "--agency", "GA", "--officer", "o",
        "--supervision", "probation", "--start", "2024-01-01")  # fmt: skip
    assert run("show", "GA-7").exit_code == 4
    assert run("show", "GA-7", "--db", other).exit_code == 0


def test_unknown_database_scheme_is_bad_usage(run) -> None:  # type: ignore[no-untyped-def]
    result = run("show", "GA-1", "--db", "mysql://localhost/x")
    assert result.exit_code == 2
    assert "unknown scheme 'mysql'" in result.stderr


def test_unreachable_database_fails_without_a_traceback_unless_debug(run) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql://nobody@127.0.0.1:1/nothing"
    result = run("show", "GA-1", "--db", url)
    assert result.exit_code == 1
    assert f"the database at {url} could not be used" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run("--debug", "show", "GA-1", "--db", url)
    assert "Traceback" in debug.stderr


@pytest.mark.parametrize(
    ("target", "said"),
    [("folder", "unable to open database file"), ("notes.txt", "file is not a database")],
)
def test_a_database_that_cannot_be_opened_is_named_with_what_is_wrong(
    run, tmp_path: Path, target: str, said: str
) -> None:  # type: ignore[no-untyped-def]
    """--db naming a folder, or a file that is not SQLite's: the message said what was wrong
    but not where, and a user with several ledgers could not tell which."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a ledger\n")
    before = sorted(tmp_path.iterdir())
    url = f"sqlite:///{tmp_path}/{target}"
    result = run("contact", "GA-1", "--note", "x", "--db", url)
    assert result.exit_code == 1
    assert f"Error: the database at {url} could not be used: {said}" in result.stderr
    assert sorted(tmp_path.iterdir()) == before
    assert (tmp_path / "notes.txt").read_text() == "not a ledger\n"


def test_a_password_in_the_database_url_is_not_printed(run) -> None:  # type: ignore[no-untyped-def]
    result = run("show", "GA-1", "--db", "postgresql://nobody:s3cret@127.0.0.1:1/nothing")
    assert result.exit_code == 1
    assert "the database at postgresql://nobody:***@127.0.0.1:1/nothing could" in result.stderr
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [("--score", "nan", "'nan' is not a number"), ("--score", "inf", "'inf' is not a number"),
     ("--score", "-1e308", "'-1e308' is not a number written in digits"),
     ("--score", "1_0", "'1_0' is not a number"), ("--instrument", " ", "instrument is blank")],
)  # fmt: skip
def test_an_assessment_without_a_number_or_a_tool_is_refused(  # type: ignore[no-untyped-def]
    run, option: str, value: str, said: str
) -> None:
    """A score of nan was stored and shown as null; a blank tool as `other`, unnamed; a score
    written -1e308 was taken where an import refuses it."""
    enroll(run)
    given = {"--instrument": "ORAS", "--score": "12", option: value}
    result = run("assess", "GA-1", "--on", "2024-01-15", "--risk", "high",
                 *(part for pair in given.items() for part in pair))  # fmt: skip
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert [event["type"] for event in timeline_json(run)] == ["Enrolled"]


@pytest.mark.parametrize(
    ("args", "said"),
    [(["custody-caps", ""], "Invalid value for 'AGENCY': '' is blank"),
     (["custody-caps", " GA"], "' GA' has space at its start or end"),
     (["report", "due", "--officer", "o-17 "], "'--officer': 'o-17 ' has space"),
     (["programme", "list", "--agency", "G\x1bA"], "control character U+001B (ESCAPE)"),
     (["volunteer", "list", "--agency", " "], "Invalid value for '--agency': ' ' is blank")],
)  # fmt: skip
def test_a_name_no_one_could_have_is_refused_not_looked_up(  # type: ignore[no-untyped-def]
    run, args: list[str], said: str
) -> None:
    """`custody-caps ""` answered the default caps of a blank agency, and the lists filtered
    by a padded name answered an empty list: a typo read as a fact."""
    enroll(run)
    before = timeline_json(run)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert result.stdout == ""
    assert timeline_json(run) == before


def test_timeline_text_marks_retractions(run) -> None:  # type: ignore[no-untyped-def]
    enroll(run)
    run("contact", "GA-1", "--on", "2024-02-01", "--note", "wrong client")
    run("correct", "GA-1", "2", "--reason", "wrong client")
    text = run("timeline", "GA-1").stdout
    assert "ContactLogged  [retracted by 3]" in text
    assert "corrects=2" in text


def test_a_new_clients_events_default_to_today(run) -> None:  # type: ignore[no-untyped-def]
    run("enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "reentry")
    run("contact", "GA-1")
    today = datetime.now(UTC).date().isoformat()
    assert [e["occurred_on"] for e in timeline_json(run)] == [today, today]


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's path, groups included, e.g. ("report", "violations")."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(all_commands(command, (*prefix, name)))
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_every_command_has_help_and_every_leaf_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    command: click.Command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert (command.help or "").strip()
    if not isinstance(command, click.Group):
        assert "Example" in result.stdout


def test_the_cli_reference_in_docs_is_current() -> None:
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "cli_reference.py"
    reference = runpy.run_path(str(script))
    current = reference["TARGET"].read_text() == reference["reference"]()
    assert current, "docs/cli.md is stale: run python scripts/cli_reference.py"
