"""Every role against every command, at the application layer, on both backends: the one door
every front end goes through. A refused call changes nothing: no event, no key, no row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.domain.errors import ClientNotFound, RuleViolated
from reentry_ledger.encryption import new_key
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import CSV_HEADER, CSV_MAPPING, TODAY

ROLES = ("cw-ga", "sup-ga", "cw-gb", "aud", "ov", "cust", "stranger")
USERS = (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"), ("cw-ga", "caseworker", "GA"),
         ("cw-gb", "caseworker", "GB"), ("ov", "oversight", None), ("cust", "custodian", None),
         ("extra-0", "caseworker", "GA"), ("extra-1", "caseworker", "GA"))  # fmt: skip
CASEWORK = {"cw-ga", "sup-ga"}
EVERY_READER = {"cw-ga", "sup-ga", "aud"}
OPERATORS = {"sup-ga", "aud"}
MANAGERS = {"sup-ga", "aud"}
REPORTERS = {"cw-ga", "sup-ga", "cw-gb", "aud", "ov"}
ON = date(2024, 6, 1)
CSV = CSV_HEADER + "GA-5{i},intake,2024-05-01,GA,o-1,probation,\n"

Call = Callable[[Ledger, str, int, Path], Any]

# command -> (the call, as actor, the i-th permitted time; who may; whether another agency's
# staff is told "not found" rather than "not permitted")
TABLE: dict[str, tuple[Call, set[str], bool]] = {
    "enroll": (lambda led, a, i, _: led.enroll(f"GA-9{i}", actor=a, start=ON, agency="GA",
               officer="o", supervision="parole"), CASEWORK, False),
    "assess": (lambda led, a, i, _: led.assess("GA-1", actor=a, on=ON, instrument="ORAS",
               risk_level="low"), CASEWORK, True),
    "plan": (lambda led, a, i, _: led.revise_plan("GA-1", actor=a, on=ON,
             goals=[("school_work", "find work")]), CASEWORK, True),
    "refer": (lambda led, a, i, _: led.refer("GA-1", actor=a, on=ON, service="housing"),
              CASEWORK, True),
    "referral": (lambda led, a, i, _: led.update_referral("GA-1", f"R{i + 1}", "accepted",
                 actor=a, on=ON), CASEWORK, True),
    "contact": (lambda led, a, i, _: led.log_contact("GA-1", actor=a, on=ON, note="n"),
                CASEWORK, True),
    "match": (lambda led, a, i, _: led.match_volunteer(f"GA-{i + 2}", actor=a, on=ON,
              volunteer="v-1"), CASEWORK, True),
    "unmatch": (lambda led, a, i, _: led.end_volunteer_match("GA-1", actor=a, on=ON,
                ending="completed") if i == 0 else led.match_volunteer("GA-1", actor=a, on=ON,
                volunteer="v-2"), CASEWORK, True),
    "violation": (lambda led, a, i, _: led.record_violation("GA-1", actor=a, on=ON,
                  absconding=True), CASEWORK, True),
    "respond": (lambda led, a, i, _: led.respond_to_violation("GA-1", f"V{i + 1}", "warning",
                actor=a, on=ON), CASEWORK, True),
    "disposition": (lambda led, a, i, _: led.record_disposition("GA-1", "V3", "pending",
                    actor=a, on=ON), CASEWORK, True),
    "incentive": (lambda led, a, i, _: led.grant_incentive("GA-1", actor=a, on=ON,
                  kind="commendation"), CASEWORK, True),
    "custody caps": (lambda led, a, i, _: led.set_custody_caps("GA", 10 + i, 20, actor=a),
                     {"sup-ga"}, False),
    "discharge": (lambda led, a, i, _: led.discharge(f"GA-{i + 2}", actor=a, on=ON,
                  outcome="successful"), CASEWORK, True),
    "correct": (lambda led, a, i, _: led.correct("GA-1", 2 + i, actor=a, reason="wrong"),
                {"sup-ga"}, False),
    "seal": (lambda led, a, i, _: led.seal(f"GA-{i + 2}", actor=a, reason="court order"),
             {"sup-ga"}, False),
    "timeline": (lambda led, a, i, _: led.timeline("GA-1", actor=a), EVERY_READER, True),
    "show": (lambda led, a, i, _: led.client_state("GA-1", actor=a), EVERY_READER, True),
    "replay": (lambda led, a, i, _: led.replay(actor=a), OPERATORS, False),
    "replay one": (lambda led, a, i, _: led.replay("GA-1", actor=a), OPERATORS, False),
    "verify": (lambda led, a, i, _: led.verify(actor=a), {"aud"}, False),
    "export": (lambda led, a, i, _: list(led.export_lines(actor=a)), {"aud"}, False),
    "backup": (lambda led, a, i, tmp: list(led.export_lines(actor=a, with_keys=True,
               wrap_key_file=wrap_key_file(tmp))), {"cust"}, False),
    "export deidentified": (lambda led, a, i, _: list(led.deidentified_lines(None, actor=a)),
                            {"aud", "ov"}, False),
    "access log": (lambda led, a, i, _: list(led.access_log(actor=a)), {"aud"}, False),
    "import csv": (lambda led, a, i, tmp: import_csv(led, a, i, tmp), {"sup-ga"}, False),
    "users list": (lambda led, a, i, _: led.list_users(actor=a), MANAGERS, False),
    "users add": (lambda led, a, i, _: led.add_user(f"new-{i}", "caseworker", "GA", actor=a),
                  MANAGERS, False),
    "users remove": (lambda led, a, i, _: led.remove_user(f"extra-{i}", actor=a), MANAGERS,
                     False),
    "report violations": (lambda led, a, i, _: led.reports(actor=a).violations(
                          ReportRequest(today=TODAY)), REPORTERS, False),
    "report responses": (lambda led, a, i, _: led.reports(actor=a).responses(
                         ReportRequest(today=TODAY)), REPORTERS, False),
    "report caseload": (lambda led, a, i, _: led.reports(actor=a).caseload(ON, ()), REPORTERS,
                        False),
    "projections": (lambda led, a, i, _: led.projection_runner(actor=a).status(), OPERATORS,
                    False),
    "projections verify": (lambda led, a, i, _: led.verify_projections(actor=a), OPERATORS,
                           False),
}  # fmt: skip

# Into an empty ledger only: permitted roles get that rule, everyone else is refused first.
EMPTY_ONLY: dict[str, tuple[Call, set[str]]] = {
    "import jsonl": (lambda led, a, i, _: led.import_jsonl(iter([b""]), "f.jsonl", actor=a),
                     OPERATORS),
    "import iowa": (lambda led, a, i, tmp: led.import_iowa(tmp / "none.csv", actor=a),
                    {"sup-ga"}),
    "demo": (lambda led, a, i, _: led.build_demo(1, 1, actor=a), {"sup-ga"}),
}  # fmt: skip


def wrap_key_file(folder: Path) -> Path:
    path = folder / "backup.key"
    path.write_text(new_key())
    return path


def import_csv(ledger: Ledger, actor: str, i: int, folder: Path) -> Any:
    source, mapping = folder / f"rows-{actor}.csv", folder / "mapping.toml"
    source.write_text(CSV.format(i=i))
    mapping.write_text(CSV_MAPPING)
    return ledger.import_csv(source, mapping, actor=actor)


def stored(ledger: Ledger) -> tuple[int, int]:
    """How many events and client keys the ledger holds."""
    with ledger.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {ledger.keys.table}")
        row = cursor.fetchone()
    keys = row[0] if not isinstance(row, dict) else next(iter(row.values()))
    return ledger.recorder.max_notification_id() or 0, keys


@pytest.fixture
def staffed(ledger: Ledger) -> Iterator[Ledger]:
    """Users of every role, and three clients of agency GA with something to act on."""
    for name, role, agency in USERS:
        ledger.add_user(name, role, agency, actor="aud")
    for n in (1, 2, 3):
        ledger.enroll(f"GA-{n}", actor="sup-ga", start=date(2024, 1, 1), agency="GA",
                      officer="o", supervision="parole", name=f"Person {n}")  # fmt: skip
    for _ in range(2):
        ledger.refer("GA-1", actor="sup-ga", on=date(2024, 2, 1), service="housing")
        ledger.record_violation("GA-1", actor="sup-ga", on=date(2024, 2, 1), technical=("curfew",))
    ledger.record_violation("GA-1", actor="sup-ga", on=date(2024, 2, 2), new_offence="felony",
                            basis="arrest")  # fmt: skip
    ledger.match_volunteer("GA-1", actor="sup-ga", on=date(2024, 2, 1), volunteer="v-9")
    yield ledger


@pytest.mark.parametrize("command", sorted(TABLE))
def test_each_role_may_do_what_its_role_allows_and_a_refusal_changes_nothing(
    staffed: Ledger, command: str, tmp_path: Path
) -> None:
    call, allowed, hides = TABLE[command]
    permitted = 0
    for role in ROLES:
        if role in allowed:
            call(staffed, role, permitted, tmp_path)
            permitted += 1
            continue
        before = stored(staffed)
        expected = ClientNotFound if hides and role == "cw-gb" else NotPermitted
        with pytest.raises(expected):
            call(staffed, role, permitted, tmp_path)
        assert stored(staffed) == before, f"{role} was refused {command} but something changed"


@pytest.mark.parametrize("command", sorted(EMPTY_ONLY))
def test_whole_ledger_loads_refuse_other_roles_before_anything_else(
    staffed: Ledger, command: str, tmp_path: Path
) -> None:
    (tmp_path / "none.csv").write_text("")
    call, allowed = EMPTY_ONLY[command]
    before = stored(staffed)
    for role in ROLES:
        expected = RuleViolated if role in allowed else NotPermitted
        with pytest.raises(expected) as refusal:
            call(staffed, role, 0, tmp_path)
        if role in allowed:
            assert not isinstance(refusal.value, NotPermitted)
            assert "already holds events" in str(refusal.value)
    assert stored(staffed) == before


def test_the_cli_holds_no_permission_logic() -> None:
    cli = Path(__file__).parents[2] / "src" / "reentry_ledger" / "cli"
    for module in cli.glob("*.py"):
        text = module.read_text()
        for word in ("Permission", "state.who", "require_actor", ".require("):
            assert word not in text, f"{module.name} checks permissions itself ({word})"
