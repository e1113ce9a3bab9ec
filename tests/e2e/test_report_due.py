"""`report due`, the work list, through the CLI on both backends: what is overdue on a day,
per officer, counted by hand from the ledger below; who may run it and what it logs.

The ledger (2024 is a leap year), on 2024-08-01 unless a test says otherwise:
- GA-1 (GA, o-1) from 2024-01-01, level maximum (4 contacts a month): assessed high on
  2024-01-15, so reassessment due 2024-07-15: 17 days overdue. Contacts 2024-07-02 .. 08-01:
  office 07-10, home 07-20 and collateral 07-25 (not the client's): 2 of 4. Goals: G1 target
  06-30, in_progress: 32 days overdue; G2 target 05-01, achieved; G3 target 07-01, abandoned;
  G4 no target.
- GA-2 (GA, o-2) from 2024-07-10, level medium, never assessed: due 30 days after its start,
  2024-08-09 (not yet); its term began inside the month, so no contacts are asked yet.
- GA-3 (GA, o-1) from 2024-01-01, level low (1 every 3 months): assessed low 2024-01-05 (due
  2025-01-05); one phone_video contact 2024-05-02, the first day of the 3 months: met.
- GA-4 (GA, o-2) from 2023-01-01, level high: assessed moderate 2023-02-01 (due 2024-02-01:
  182 days overdue); in custody from 2024-07-20, so no contacts are asked.
- GA-5 (GA, o-1) from 2024-01-01, never assessed, discharged 2024-06-01: not listed.
- GB-1 (GB, o-9) from 2024-01-01, never assessed: due 2024-01-31, 183 days overdue; no level.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from tests.builders import TODAY

ON = ("--on", "2024-08-01")


def enrol(ledger: Ledger, ref: str, officer: str, start: date, agency: str = "GA") -> None:
    ledger.enroll(ref, actor="jdoe", start=start, agency=agency, officer=officer,
                  supervision="probation")  # fmt: skip


@pytest.fixture
def recorded(db_url: str) -> None:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    enrol(ledger, "GA-1", "o-1", date(2024, 1, 1))
    ledger.change_level("GA-1", actor="jdoe", on=date(2024, 1, 1), level="maximum")
    ledger.assess("GA-1", actor="jdoe", on=date(2024, 1, 15), instrument="ORAS", risk_level="high")
    for on, kind in ((date(2024, 7, 10), "office"), (date(2024, 7, 20), "home"),
                     (date(2024, 7, 25), "collateral"), (date(2024, 6, 30), "office")):  # fmt: skip
        ledger.log_contact("GA-1", actor="jdoe", on=on, kind=kind)
    for need, target in (("school_work", date(2024, 6, 30)), ("family_marital", date(2024, 5, 1)),
                         ("substance_use", date(2024, 7, 1)), ("leisure_recreation", None)):  # fmt: skip
        ledger.add_goal("GA-1", actor="jdoe", on=date(2024, 2, 1), need=need,
                        description=f"work on {need}", target=target)  # fmt: skip
    ledger.progress_goal("GA-1", "G1", actor="jdoe", on=date(2024, 3, 1), status="in_progress")
    ledger.progress_goal("GA-1", "G2", actor="jdoe", on=date(2024, 4, 1), status="achieved")
    ledger.progress_goal("GA-1", "G3", actor="jdoe", on=date(2024, 4, 1), status="abandoned")

    enrol(ledger, "GA-2", "o-2", date(2024, 7, 10))
    ledger.change_level("GA-2", actor="jdoe", on=date(2024, 7, 10), level="medium")

    enrol(ledger, "GA-3", "o-1", date(2024, 1, 1))
    ledger.change_level("GA-3", actor="jdoe", on=date(2024, 1, 1), level="low")
    ledger.assess("GA-3", actor="jdoe", on=date(2024, 1, 5), instrument="ORAS", risk_level="low")
    ledger.log_contact("GA-3", actor="jdoe", on=date(2024, 5, 2), kind="phone_video")

    enrol(ledger, "GA-4", "o-2", date(2023, 1, 1))
    ledger.change_level("GA-4", actor="jdoe", on=date(2023, 1, 1), level="high")
    ledger.assess("GA-4", actor="jdoe", on=date(2023, 2, 1), instrument="ORAS",
                  risk_level="moderate")  # fmt: skip
    ledger.start_custody("GA-4", actor="jdoe", on=date(2024, 7, 20), reason="jail_hold")

    enrol(ledger, "GA-5", "o-1", date(2024, 1, 1))
    ledger.discharge("GA-5", actor="jdoe", on=date(2024, 6, 1), outcome="successful")

    enrol(ledger, "GB-1", "o-9", date(2024, 1, 1), agency="GB")
    ledger.close()


def listed(result: Result) -> list[tuple[Any, ...]]:
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    return [(i["client"], i["item"], i["due"], i["days_overdue"]) for i in items]


EVERY_AGENCY = [
    ("GA-1", "reassessment", "2024-07-15", 17),
    ("GA-1", "contacts", None, None),
    ("GA-1", "goal", "2024-06-30", 32),
    ("GA-4", "reassessment", "2024-02-01", 182),
    ("GB-1", "reassessment", "2024-01-31", 183),
]


def test_the_work_list_holds_what_is_overdue_per_officer_counted_by_hand(run, recorded) -> None:  # type: ignore[no-untyped-def]
    assert listed(run("report", "due", *ON, "--json")) == EVERY_AGENCY
    document = json.loads(run("report", "due", *ON, "--format", "json").stdout)
    contacts = document["items"][1]
    assert (contacts["level"], contacts["contacts"], contacts["asked"]) == ("maximum", 2, 4)
    assert contacts["since"] == "2024-07-02" and contacts["officer"] == "o-1"
    assert (document["items"][2]["goal_id"], document["items"][2]["need"]) == ("G1", "school_work")
    assert "work on" not in run("report", "due", *ON, "--json").stdout  # goal texts stay out


def test_one_officers_list_and_the_table_people_read(run, recorded) -> None:  # type: ignore[no-untyped-def]
    assert listed(run("report", "due", *ON, "--officer", "o-2", "--json")) == [
        ("GA-4", "reassessment", "2024-02-01", 182)
    ]
    table = run("report", "due", *ON, "--officer", "o-2")
    assert table.stdout.splitlines() == [
        "agency  officer  client  item          due         days_overdue  detail",
        "GA      o-2      GA-4    reassessment  2024-02-01           182  last assessed "
        "2023-02-01 (moderate): every 12 months",
    ]
    assert run("report", "due", *ON, "--officer", "o-7").stdout == (
        "nothing overdue on 2024-08-01 for officer o-7\n"
    )
    csv = run("report", "due", *ON, "--officer", "o-2", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("agency,officer,client,item,due,days_overdue,risk_level,")
    assert csv[1].startswith("GA,o-2,GA-4,reassessment,2024-02-01,182,moderate,2023-02-01,")


def test_the_list_reads_each_client_as_it_stood_on_the_day(run, recorded) -> None:  # type: ignore[no-untyped-def]
    # On 2024-07-16: GA-1's reassessment is a day overdue, G1 16 days; its contacts from
    # 2024-06-17: office 06-30 and 07-10 (the home visit of 07-20 had not happened): 2 of 4.
    # GA-4 was not yet in custody: high asks 2 a month and it had none. GA-2's term began
    # 07-10, inside the month. GA-5 had been discharged.
    assert listed(run("report", "due", "--on", "2024-07-16", "--json")) == [
        ("GA-1", "reassessment", "2024-07-15", 1),
        ("GA-1", "contacts", None, None),
        ("GA-1", "goal", "2024-06-30", 16),
        ("GA-4", "reassessment", "2024-02-01", 166),
        ("GA-4", "contacts", None, None),
        ("GB-1", "reassessment", "2024-01-31", 167),
    ]
    # the day something falls due, it is not yet overdue
    assert ("GA-1", "reassessment", "2024-07-15", 0) not in listed(
        run("report", "due", "--on", "2024-07-15", "--json")
    )


@pytest.fixture
def staffed(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path}/ledger.db"
    runner = CliRunner()

    def run(actor: str, *args: str) -> Result:
        return runner.invoke(cli, ["--db", db, "--actor", actor, *args], catch_exceptions=False)

    for name, role, agency in (("aud", "auditor", None), ("cw-ga", "caseworker", "GA"),
                               ("cw-gb", "caseworker", "GB"), ("ov", "oversight", None)):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run("aud", *add).exit_code == 0
    for ref, agency in (("GA-1", "GA"), ("GB-1", "GB")):
        enroll = ["enroll", ref, "--agency", agency, "--officer", "o-1", "--supervision",
                  "parole", "--start", "2024-01-01"]  # fmt: skip
        assert run(f"cw-{agency.lower()}", *enroll).exit_code == 0
    return run


def test_staff_see_their_agencys_clients_and_oversight_is_refused(staffed) -> None:  # type: ignore[no-untyped-def]
    run = staffed

    def clients(actor: str) -> list[str]:
        result = run(actor, "report", "due", *ON, "--json")
        assert result.exit_code == 0, result.output
        return [item["client"] for item in json.loads(result.stdout)["items"]]

    assert (clients("cw-ga"), clients("aud")) == (["GA-1"], ["GA-1", "GB-1"])
    refused = run("ov", "report", "due", *ON)
    assert refused.exit_code == 3 and refused.stdout == "" and "Traceback" not in refused.output
    assert "may not read client records: the work list names clients" in refused.stderr
    log = json.loads(run("aud", "access-log", "--json").stdout)
    assert [(r["actor"], r["client"], r["view"], r["as_of"]) for r in log] == [
        ("cw-ga", "GA-1", "due", "2024-08-01"),
        ("aud", "GA-1", "due", "2024-08-01"),
        ("aud", "GB-1", "due", "2024-08-01"),
    ]
