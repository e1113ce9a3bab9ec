"""Goals and case plans through the CLI: `goal REF add|GOAL_ID progress|GOAL_ID reorder`,
`plan --goal` (adds or moves goals, prints their ids), `plan REF approve` (supervisors), and
what `show` and `timeline` say of them. Refusals: exit 2 for a wrong command line, 3 for a
rule or a role, a clean message, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli

ENROL = ["enroll", "GA-1", "--agency", "GA", "--officer", "o-1", "--supervision", "parole",
         "--start", "2024-01-01"]  # fmt: skip


@pytest.fixture
def enrolled(run) -> None:  # type: ignore[no-untyped-def]
    assert run(*ENROL).exit_code == 0


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def events(run) -> int:  # type: ignore[no-untyped-def]
    return len(json.loads(ok(run("timeline", "GA-1", "--json"))))


def test_goal_add_prints_the_id_and_progress_and_reorder_keep_it(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    assert ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "school_work",
                  "--text", "find stable work", "--target", "2024-03-31")) == "G1\n"  # fmt: skip
    assert ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "substance_use",
                  "--text", "outpatient treatment", "--priority", "1")) == "G2\n"  # fmt: skip
    added = run("goal", "GA-1", "G1", "progress", "--on", "2024-03-01", "--status",
                "in_progress", "--note", "two applications")  # fmt: skip
    assert added.exit_code == 0 and added.stderr == "GA-1: recorded event 4 (GoalProgressed)\n"
    ok(run("goal", "GA-1", "G1", "reorder", "--priority", "1", "--on", "2024-03-02"))
    assert ok(run("plan", "GA-1", "--on", "2024-03-03", "--goal", "family_marital:mend ties",
                  "--goal", "G2")) == "G3\nG2\n"  # fmt: skip
    shown = ok(run("show", "GA-1")).splitlines()
    start = shown.index(next(line for line in shown if line.startswith("goals")))
    assert shown[start : start + 4] == [
        "goals        1. G3 family_marital: mend ties  (not_started)",
        "             2. G2 substance_use: outpatient treatment  (not_started)",
        "             3. G1 school_work: find stable work  (in_progress, target 2024-03-31, "
        "overdue)",
        "plan         not approved",
    ]


def test_show_json_gives_the_plans_goals_in_order(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "school_work", "--text", "job",
           "--target", "2024-03-31"))  # fmt: skip
    ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "substance_use", "--text",
           "rehab", "--priority", "1"))  # fmt: skip
    ok(run("goal", "GA-1", "G1", "progress", "--on", "2024-04-01", "--status", "achieved"))
    state = json.loads(ok(run("show", "GA-1", "--json")))
    assert [(g["priority"], g["goal_id"], g["description"], g["status"], g["overdue"])
            for g in state["plan_goals"]] == [
        (1, "G2", "rehab", "not_started", False), (2, "G1", "job", "achieved", False),
    ]  # fmt: skip
    assert state["plan"] == ["G2", "G1"] and state["plan_approved"] is None


def test_a_wrong_goal_command_line_is_refused_and_writes_nothing(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    before = events(run)
    for args, words in (
        (["goal", "GA-1", "add", "--need", "school_work"], "`goal REF add` needs --text"),
        (["goal", "GA-1", "add", "--need", "school_work", "--text", "x", "--status", "achieved"],
         "--status does not go with `goal REF add`"),
        (["goal", "GA-1", "G1", "progress"], "`goal REF GOAL_ID progress` needs --status"),
        (["goal", "GA-1", "G1", "reorder", "--priority", "1", "--note", "n"],
         "--note does not go with `goal REF GOAL_ID reorder`"),
        (["goal", "GA-1", "G1", "finish"], "give `add`, or a goal's id then `progress` or"),
        (["plan", "GA-1"], "give the plan's goals (--goal, repeatable), or `approve`"),
        (["plan", "GA-1", "approve", "--goal", "G1"], "`plan REF approve` takes no --goal"),
    ):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr and result.stdout == "" and "Traceback" not in result.output
    missing = run("goal", "GA-1", "G7", "progress", "--status", "achieved")
    assert missing.exit_code == 4 and "client 'GA-1' has no goal 'G7'" in missing.stderr
    assert events(run) == before


def test_show_and_the_timeline_say_what_the_plans_events_did(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "school_work", "--text", "job"))
    ok(run("plan", "GA-1", "--on", "2024-02-02", "--goal", "substance_use:rehab", "--goal", "G1"))
    ok(run("goal", "GA-1", "G1", "reorder", "--priority", "1", "--on", "2024-02-03"))
    ok(run("plan", "GA-1", "approve", "--on", "2024-02-04", actor="sup"))
    ok(run("goal", "GA-1", "G2", "progress", "--on", "2024-02-05", "--status", "achieved"))
    timeline = ok(run("timeline", "GA-1"))
    for said in ("GoalAdded (G1 added last in the plan)",
                 "CasePlanRevised (G2 (new) at 1, G1 moved to 2; the other goals follow in "
                 "their order)",
                 "GoalReordered (G1 moved to priority 1)",
                 "CasePlanApproved (approves the plan's open goals in order: G1, G2)",
                 "GoalProgressed (G2 now achieved)"):  # fmt: skip
        assert said in timeline
    # the achieved goal left the open plan: the approval no longer covers the plan as it stands
    assert "plan         approved on 2024-02-04 by sup (event 5); changed since\n" in ok(
        run("show", "GA-1")
    )


def test_a_sealed_clients_goals_show_no_text(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    ok(run("goal", "GA-1", "add", "--on", "2024-02-01", "--need", "school_work", "--text",
           "work at the bakery on Elm Street"))  # fmt: skip
    ok(run("seal", "GA-1", "--ground", "court_order", "--reference", "CO-1"))
    shown = ok(run("show", "GA-1")) + ok(run("show", "GA-1", "--json"))
    assert "bakery" not in shown
    assert "goals        1. G1 school_work: [sealed]  (not_started)" in shown


@pytest.fixture
def staffed(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path}/ledger.db"
    runner = CliRunner()

    def run(actor: str, *args: str) -> Result:
        return runner.invoke(cli, ["--db", db, "--actor", actor, *args], catch_exceptions=False)

    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("cw-ga", "caseworker", "GA"), ("cw-gb", "caseworker", "GB"),
                               ("ov", "oversight", None)):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run("aud", *add).exit_code == 0
    assert run("cw-ga", *ENROL).exit_code == 0
    assert run("cw-ga", "goal", "GA-1", "add", "--on", "2024-02-01", "--need", "school_work",
               "--text", "job").exit_code == 0  # fmt: skip
    return run


@pytest.mark.parametrize(
    ("actor", "code"),
    [("cw-ga", 3), ("cw-gb", 3), ("aud", 3), ("ov", 3), ("sup-ga", 0)],  # role before record
)
def test_only_a_supervisor_of_the_clients_agency_approves_its_plan(staffed, actor, code) -> None:  # type: ignore[no-untyped-def]
    run = staffed
    before = json.loads(run("aud", "timeline", "GA-1", "--json").stdout)
    result = run(actor, "plan", "GA-1", "approve", "--on", "2024-02-02")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    after = json.loads(run("aud", "timeline", "GA-1", "--json").stdout)
    assert len(after) == len(before) + (code == 0)
    if code == 3:
        assert "may not" in result.stderr


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["goal", "GA-1", "add", "--on", "2024-03-01", "--need", "family_marital", "--text", "t"],
         (0, 0, 4, 3, 3)),
        (["goal", "GA-1", "G1", "progress", "--on", "2024-03-01", "--status", "in_progress"],
         (0, 0, 4, 3, 3)),
        (["goal", "GA-1", "G1", "reorder", "--priority", "1", "--on", "2024-03-01"],
         (3, 3, 4, 3, 3)),  # already priority 1: a rule, for those who may write at all
        (["report", "due", "--on", "2024-03-01", "--json"], (0, 0, 0, 0, 3)),
    ],
)  # fmt: skip
def test_every_role_against_the_goal_commands(staffed, args, codes) -> None:  # type: ignore[no-untyped-def]
    for actor, code in zip(("cw-ga", "sup-ga", "cw-gb", "aud", "ov"), codes, strict=True):
        result = staffed(actor, *args)
        assert result.exit_code == code, (actor, result.output)
        assert "Traceback" not in result.output
