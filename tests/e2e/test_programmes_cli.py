"""`programme add|enrol|session|end|list`, `report programmes` and `report contacts` from the
command line (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

from reentry_ledger.cli import cli
from reentry_ledger.cli.programmes import spread

Run = Callable[..., Result]
T4C = "Thinking for a Change"


def test_several_references_follow_one_option() -> None:
    assert spread(["T", "--attended", "A", "B", "--on", "D", "--missed", "C", "E"]) == [
        "T", "--attended", "A", "--attended", "B", "--on", "D", "--missed", "C", "--missed", "E",
    ]  # fmt: skip


def started(run: Run) -> None:
    for ref in ("GA-1", "GA-2", "GA-3"):
        result = run("enroll", ref, "--agency", "GA", "--officer", "o-1",
                     "--supervision", "parole", "--start", "2025-01-10")  # fmt: skip
        assert result.exit_code == 0, result.output
    assert run("programme", "add", T4C, "--service", "mental_health", "--agency", "GA",
               "--sessions", "10", "--on", "2025-02-01").exit_code == 0  # fmt: skip
    enrolled = run("programme", "enrol", T4C, "GA-1", "GA-2", "GA-3", "--on", "2025-02-03")
    assert enrolled.exit_code == 0, enrolled.output


def test_a_session_takes_the_issues_command_line_and_shows_on_the_timeline(run: Run) -> None:
    started(run)
    held = run("programme", "session", T4C, "--on", "2025-02-10", "--attended", "GA-1", "GA-2")
    assert held.exit_code == 0, held.output
    assert "GA: session of 'Thinking for a Change' on 2025-02-10: 2 attended, 1 missed (GA-3)" in (
        held.stderr
    )
    timeline = run("timeline", "GA-1")
    assert "ProgrammeSessionAttended" in timeline.output
    ended = run("programme", "end", T4C, "GA-1", "--on", "2025-04-01", "--outcome", "completed")
    assert ended.exit_code == 0, ended.output
    listed = json.loads(run("programme", "list", "--json").output)
    assert [(p["name"], p["sessions_held"], p["attended"], p["missed"]) for p in listed] == [
        (T4C, 1, 2, 1)
    ]
    report = run("report", "programmes", "--from", "2025-01-01", "--to", "2025-12-31",
                 "--format", "json")  # fmt: skip
    [row] = json.loads(report.output)["groups"]
    assert (row["enrolled"], row["attendance_rate"], row["completed"]) == (3, 0.6667, 1)


def test_a_refused_session_exits_3_and_writes_nothing(run: Run) -> None:
    started(run)
    assert run("enroll", "GA-9", "--agency", "GA", "--officer", "o-1", "--supervision",
               "parole", "--start", "2025-01-10").exit_code == 0  # fmt: skip
    refused = run("programme", "session", T4C, "--on", "2025-02-10", "--attended", "GA-1", "GA-9")
    assert refused.exit_code == 3
    assert "client 'GA-9' held no place in programme" in refused.stderr
    assert "Traceback" not in refused.output
    assert "ProgrammeSession" not in run("timeline", "GA-1").output


def test_report_contacts_groups_by_level(run: Run) -> None:
    started(run)
    assert run("level", "GA-1", "--level", "medium", "--on", "2025-01-10").exit_code == 0
    assert run("contact", "GA-1", "--kind", "office", "--on", "2025-02-05",
               "--note", "seen").exit_code == 0  # fmt: skip
    result = run("report", "contacts", "--from", "2025-02-01", "--to", "2025-03-31",
                 "--by", "level", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("level,client_months,met,share_met,contacts_casework")
    assert lines[1:] == ["medium,2,1,0.5,0,1,0,0,0,0,0,1"]  # Feb met, March not
    refused = run("report", "contacts", "--by", "risk")
    assert refused.exit_code == 2 and "officer, agency, level" in refused.stderr


def test_every_programme_command_has_an_example() -> None:
    group = cli.commands["programme"]
    for command in [
        *group.commands.values(),
        *(  # type: ignore[attr-defined]
            cli.commands["report"].commands[name]
            for name in ("programmes", "contacts")  # type: ignore[attr-defined]
        ),
    ]:
        assert "Example:" in (command.help or ""), command.name
