"""The demo population: the same seed builds the same ledger, through the client's rules."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.export.deidentified import DeidentifiedExport
from reentry_ledger.ingest.demo import build_demo
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


def test_the_population_has_the_shape_the_docs_describe(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/demo.db", clock=lambda: TODAY)
    built = build_demo(ledger, clients=1500, seed=1)
    assert built.clients == 1500
    assert 15 <= built.events / built.clients <= 40
    states = [ledger.get_client(f"DEMO-{n:07d}").state for n in range(1, 1501)]
    probation = sum(s.supervision == "probation" for s in states) / len(states)
    assert 0.62 <= probation <= 0.78  # 70% asked
    assessed = [s.risk_level for s in states if s.risk_level]
    assert 0.2 <= sum(r == "low" for r in assessed) / len(assessed) <= 0.45
    technical = sum(
        1 for s in states for v in s.violations.values()
        if v.category == "technical" and any(r.response == "revocation" for r in v.responses)
    )  # fmt: skip
    new_offence = sum(
        1 for s in states for v in s.violations.values()
        if v.category == "new_offence" and any(r.response == "revocation" for r in v.responses)
    )  # fmt: skip
    assert technical > new_offence  # technical violations drive more revocations
    ledger.close()


def test_demo_command_prints_the_audit_report_and_refuses_a_used_ledger(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/demo.db"
    result = CliRunner().invoke(cli, ["--db", db, "demo", "--clients", "120", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:3] == ["risk", "clients", "person_days"]
    assert "demo: 120 clients" in result.stderr
    again = CliRunner().invoke(cli, ["--db", db, "demo", "--clients", "10"])
    assert again.exit_code == 3
    assert "already holds events" in again.stderr


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
