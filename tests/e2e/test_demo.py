"""The demo population: the same seed builds the same ledger, through the client's rules."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.codes import CONTACT_STANDARDS, DEFAULT_CUSTODY_CAPS
from reentry_ledger.domain.events import (
    Discharged,
    DispositionRecorded,
    IncentiveGranted,
    ProgrammeSessionAttended,
    ProgrammeSessionMissed,
    Reassigned,
    TermStarted,
    ViolationRecorded,
    ViolationResponded,
)
from reentry_ledger.domain.programme import Programme, programme_id
from reentry_ledger.domain.volunteer import Volunteer, volunteer_uuid
from reentry_ledger.export.deidentified import DeidentifiedExport
from reentry_ledger.ingest import demo
from reentry_ledger.ingest.demo import AGENCIES, PROGRAMMES, build_demo
from tests.builders import TODAY


def exported(tmp_path: Path, name: str, clients: int, seed: int) -> tuple[list[bytes], list]:
    """What the ledger says: its de-identified export under one secret and project, and timelines
    (the stored bytes differ between runs: personal fields are encrypted under random keys)."""
    ledger = Ledger(f"sqlite:///{tmp_path}/{name}.db", clock=lambda: TODAY)
    build_demo(ledger, clients=clients, seed=seed)
    lines = list(DeidentifiedExport(ledger, b"same secret", k=1, research_project="same"))
    timelines = [
        [
            (e.number, e.type, e.occurred_on, e.recorded_at, e.recorded_by, e.data)
            for e in ledger.timeline(f"DEMO-{n:07d}")
        ]
        for n in (1, clients // 2, clients)
    ]
    ledger.close()
    return lines, timelines


def test_the_same_seed_builds_the_same_ledger_and_another_seed_another(tmp_path: Path) -> None:
    first = exported(tmp_path, "a", 150, seed=4)
    again = exported(tmp_path, "b", 150, seed=4)
    other = exported(tmp_path, "c", 150, seed=5)
    assert first == again
    assert first != other


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Client]]]:
    """1,500 demo clients (seed 1): the events written, and the clients."""
    ledger = Ledger(f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db", clock=lambda: TODAY)
    built = build_demo(ledger, clients=1500, seed=1)
    assert built.clients == 1500
    yield built.events, [ledger.get_client(f"DEMO-{n:07d}") for n in range(1, 1501)]
    ledger.close()


def test_the_population_has_the_shape_the_docs_describe(
    population: tuple[int, list[Client]],
) -> None:
    events, clients = population
    assert 40 <= events / len(clients) <= 75  # 56 a client at seed 1 (docs/demo.md)
    states = [client.state for client in clients]
    probation = sum(s.supervision == "probation" for s in states) / len(states)
    assert 0.62 <= probation <= 0.78  # 70% asked
    assessed = [s.risk_level for s in states if s.risk_level]
    assert 0.2 <= sum(r == "low" for r in assessed) / len(assessed) <= 0.45
    revoked = Counter(
        v.category for s in states for v in s.violations.values()
        if v.decision and v.decision.response == "revocation"
    )  # fmt: skip
    assert revoked["technical"] > revoked["new_offence"]  # technical violations drive more


def test_the_demo_has_every_response_path_incentive_offence_and_disposition(
    population: tuple[int, list[Client]],
) -> None:
    clients = population[1]
    decisions: Counter[tuple[str, str]] = Counter()  # (response, who decided)
    recommended = followed = 0
    for client in clients:
        for violation in client.state.violations.values():
            decision = violation.decision
            if decision:
                decisions[decision.response, decision.decided_by] += 1
            if violation.recommendations:  # the officer recommended revocation
                recommended += 1
                followed += bool(decision and decision.response == "revocation")
    # every graduated decision, the officer's custody within the caps, a court's and a board's
    assert {response for response, _ in decisions} >= {
        "warning", "increased_reporting", "curfew", "electronic_monitoring",
        "community_service", "treatment_referral", "custody_sanction", "continuance",
        "revocation",
    }  # fmt: skip
    assert decisions["revocation", "officer"] == 0  # an officer only recommends it
    assert decisions["revocation", "court"] and decisions["revocation", "parole_board"]
    assert 0 < followed < recommended  # most recommendations followed, not all
    assert decisions["continuance", "court"] or decisions["continuance", "parole_board"]
    officer_custody = [
        r.custody_days
        for client in clients
        for v in client.state.violations.values()
        for r in v.responses
        if r.response == "custody_sanction" and r.decided_by == "officer"
    ]
    assert officer_custody and max(d or 0 for d in officer_custody) <= DEFAULT_CUSTODY_CAPS[1]

    kinds = Counter(
        e.kind.code.value for c in clients for e in c.history if isinstance(e, IncentiveGranted)
    )
    assert set(kinds) == {"commendation", "reduced_reporting", "level_reduced",
                          "curfew_lifted", "early_discharge_recommended"}  # fmt: skip
    bases = {
        e.new_offence.basis.code.value
        for c in clients
        for e in c.history
        if isinstance(e, ViolationRecorded) and e.new_offence and e.new_offence.basis
    }
    assert bases == {"arrest", "charge", "conviction"}
    dispositions = Counter(
        e.disposition.code.value
        for c in clients
        for e in c.history
        if isinstance(e, DispositionRecorded)
    )
    assert {"pending", "convicted", "dismissed"} <= set(dispositions)  # acquitted: 1 in 100
    after_the_term = 0
    for client in clients:
        ends = [term.ended_on for term in client.state.terms]
        for event in client.history:
            if isinstance(event, DispositionRecorded):
                on = client.state.violations[event.violation_id].occurred_on
                ended = next((end for end in ends if end and end >= on), None)
                after_the_term += bool(ended and event.occurred_on > ended)
    assert after_the_term  # a court's word after the term ended

    # a revocation decision ends its term: no discharge follows it in the same term
    for client in clients:
        ended_by_decision = False
        for event in client.history:
            if isinstance(event, ViolationResponded) and event.term_outcome is not None:
                ended_by_decision = True
            elif isinstance(event, Discharged):
                assert not ended_by_decision, client.ref
            elif type(event).__name__ == "TermStarted":
                ended_by_decision = False
    outcomes = Counter(o for c in clients for t in c.state.terms if (o := t.outcome))
    assert outcomes["revoked_technical"] and outcomes["revoked_new_offence"]
    assert outcomes["absconded"]


def test_demo_command_prints_the_audit_report_and_refuses_a_used_ledger(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/demo.db"
    result = CliRunner().invoke(cli, ["--db", db, "demo", "--clients", "120", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:3] == ["risk", "clients", "person_days"]
    # a new user had no client to `show`: the demo names its references
    assert "demo: 120 clients (DEMO-0000001 to DEMO-0000120)" in result.stderr
    # and says what the table is (a new user read clients adding up to more than the demo's)
    assert (
        "the audit report by risk level (`report violations --by risk`, every definition in "
        "docs/metrics.md): a client counts once in each level held in the range" in result.stderr
    )
    for ref in ("DEMO-0000001", "DEMO-0000120"):
        shown = CliRunner().invoke(cli, ["--db", db, "show", ref])
        assert shown.exit_code == 0, shown.output
    again = CliRunner().invoke(cli, ["--db", db, "demo", "--clients", "10"])
    assert again.exit_code == 3
    assert "already holds events" in again.stderr


def test_the_audit_tables_revocation_share_adds_up_from_the_tables_own_columns(
    tmp_path: Path,
) -> None:
    # the share is of every revoked term; the table had left out those revoked for absconding,
    # so 56 technical of 56 + 39 shown read as 0.5283 (a new user could not check it)
    db = f"sqlite:///{tmp_path}/demo.db"
    result = CliRunner().invoke(cli, ["--db", db, "demo", "--clients", "600", "--seed", "3"])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    revoked = [name for name in rows[0] if name.startswith("revocations_")]
    assert any(int(row["revocations_absconding"]) for row in rows)
    for row in rows:
        total = sum(int(row[name]) for name in revoked)
        if total:
            share = round(int(row["revocations_technical"]) / total, 4)
            assert float(row["technical_revocation_share"]) == share, row


def table_rows(text: str) -> list[dict[str, str]]:
    """A printed table's rows by column: the first column is aligned left, the rest right
    (a cell may be blank), each ending where its heading does."""
    header, *lines = text.splitlines()
    headings = list(re.finditer(r"\S+", header))
    edges = [headings[1].start(), *(heading.end() for heading in headings[1:])]
    return [
        {
            headings[0].group(): line.split()[0],
            **{
                heading.group(): line[edges[i] : edges[i + 1]].strip()
                for i, heading in enumerate(headings[1:])
            },
        }
        for line in lines
    ]


NEW_KINDS = {"TermStarted", "Reassigned", "LevelChanged", "ConditionsChanged", "CustodyStarted",
             "CustodyEnded", "Absconded", "Returned"}  # fmt: skip


def test_the_demo_has_every_kind_of_status_change_later_terms_and_who_people_are(
    tmp_path: Path,
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/demo.db", clock=lambda: TODAY)
    build_demo(ledger, clients=800, seed=2)
    clients = [ledger.get_client(f"DEMO-{n:07d}") for n in range(1, 801)]
    kinds = {type(event).__name__ for client in clients for event in client.history}
    assert kinds >= NEW_KINDS
    reasons = {
        event.reason.code
        for client in clients
        for event in client.history
        if type(event).__name__ == "CustodyStarted"
    }
    assert {"sanction", "jail_hold"} <= reasons
    later = [client for client in clients if client.state.term >= 2]
    assert later
    ended = {term.outcome for client in later for term in client.state.terms[:-1]}
    assert "successful" in ended or "early" in ended  # a second term after a discharge
    assert ended & {"revoked_technical", "revoked_new_offence"}  # and after a revocation
    people = [client.enrolment.person for client in clients]
    assert sum(person.sex is not None for person in people) / len(people) > 0.95
    assert sum(person.birth_year is not None for person in people) / len(people) > 0.95
    ledger.close()


def test_the_demo_exercises_the_casework_of_issue_18(tmp_path: Path) -> None:
    """Goals, approvals, referrals for needs and goals, typed contacts, programmes whose
    sessions count what the clients' records say, and volunteers of the register."""
    ledger = Ledger(f"sqlite:///{tmp_path}/demo.db", clock=lambda: TODAY)
    build_demo(ledger, clients=600, seed=3)
    clients = [ledger.get_client(f"DEMO-{n:07d}") for n in range(1, 601)]
    kinds = Counter(type(event).__name__ for c in clients for event in c.history)
    assert kinds["GoalAdded"] and kinds["CasePlanRevised"] and kinds["GoalReordered"]
    states = [c.state for c in clients]
    statuses = Counter(g.status.value for s in states for g in s.goals.values())
    assert {"not_started", "in_progress", "achieved", "abandoned"} <= set(statuses)
    assert any(g.overdue_on(TODAY) for s in states if not s.is_discharged for g in s.plan_goals)
    approvals = [e for c in clients for e in c.history if type(e).__name__ == "CasePlanApproved"]
    assert approvals and all(e.recorded_by.endswith("-sup") for e in approvals)
    referrals = [r for s in states for r in s.referrals.values()]
    assert all(r.need or r.goal_id for r in referrals)
    assert any(r.goal_id for r in referrals) and any(r.need for r in referrals)
    assert all(r.reason for r in referrals if r.status in ("declined", "dropped"))
    contact_kinds = {kind for s in states for _, kind in s.contact_log}
    assert contact_kinds >= {"office", "home", "field", "phone_video", "collateral"}
    assert {level for s in states if (level := s.level)} <= set(CONTACT_STANDARDS)

    # each programme's sessions count exactly the attended and missed on the clients' records
    held: Counter[tuple[str, str, object, bool]] = Counter()
    for client in clients:
        agency = client.enrolment.agency
        for event in client.history:
            if isinstance(event, TermStarted | Reassigned):
                agency = event.agency
            elif isinstance(event, ProgrammeSessionAttended | ProgrammeSessionMissed):
                came = isinstance(event, ProgrammeSessionAttended)
                held[agency, event.programme, event.occurred_on, came] += 1
    outcomes = Counter(
        place.outcome for s in states for place in s.programmes.values() if place.outcome
    )
    assert {"completed", "dropped_out", "removed", "term_ended"} <= set(outcomes)
    sessions = 0
    for number in range(1, AGENCIES + 1):
        for name, *_ in PROGRAMMES:
            programme: Programme = ledger.repository.get(programme_id(f"AG{number}", name))
            for on, attended, missed in programme.sessions:
                sessions += 1
                assert held[f"AG{number}", name, on, True] == attended
                assert held[f"AG{number}", name, on, False] == missed
    assert sessions == len({key[:3] for key in held})

    # matches name registered volunteers of the client's agency, registered and not left
    endings = Counter(m.ending for s in states for m in s.matches if m.ending)
    assert {"completed", "taken_back", "volunteer_withdrew", "term_ended"} <= set(endings)
    by_id = 0
    for state in states:
        for match in state.matches:
            if match.volunteer_id is None:
                continue
            by_id += 1
            register: Volunteer = ledger.repository.get(volunteer_uuid(match.volunteer_id))
            volunteer = register.state
            assert volunteer.registered_on is not None
            assert volunteer.registered_on <= match.matched_on
            assert volunteer.left_on is None or match.matched_on < volunteer.left_on
            if volunteer.left_on is not None and match.ended_on is not None:
                assert match.ended_on <= volunteer.left_on or match.ending == "term_ended"
    assert by_id > 0.5 * sum(len(s.matches) for s in states)
    ledger.close()


def test_a_hearing_after_a_later_decision_on_an_earlier_violation_keeps_the_rules() -> None:
    """Client 129,911 of the 180,375-client demo (seed 7, built on 2026-12-03): a decision on
    last month's violation (2026-11-05) came after this month's violation was answered
    (2026-10-22); the hearing's recommendation, which may end the term, waits for it."""
    today, clients = date(2026, 12, 3), 180_375
    register = demo.volunteer_register(7, today, clients)
    story = demo.ClientStory(129_911, 7, today, demo.officers_for(clients), None, register, {})
    client = story.tell()  # raised RuleViolated before the fix
    dates = [event.occurred_on for event in client.effective_events()]
    assert client.state.terms and dates


def test_a_demo_in_memory_prints_the_same_report_as_one_in_a_file_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///:memory:` is documented as a ledger that lives as long as the command: the
    demo's report is its whole use (it waited for a connection its own catch-up held, and
    after minutes said the ledger was busy)."""
    monkeypatch.chdir(tmp_path)
    arguments = ["demo", "--clients", "40", "--seed", "3"]
    in_file = CliRunner().invoke(cli, ["--db", "sqlite:///demo.db", *arguments])
    Path("demo.db").unlink()
    in_memory = CliRunner().invoke(cli, ["--db", "sqlite:///:memory:", *arguments])
    assert in_memory.exit_code == 0, in_memory.output
    assert in_memory.stdout == in_file.stdout
    assert in_memory.stdout.splitlines()[0].split()[:2] == ["risk", "clients"]
    assert list(tmp_path.iterdir()) == []
