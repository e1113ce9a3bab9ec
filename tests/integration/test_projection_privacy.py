"""What the projection tables give away to someone who reads the database: client ids that no
one can compute from a reference, as the event log's own ids can be."""

from __future__ import annotations

from pathlib import Path

from reentry_ledger.application import Ledger
from reentry_ledger.domain.references import client_id
from reentry_ledger.projections.runner import ProjectionRunner
from tests.builders import TODAY, enroll_parolee


def projected_ids(ledger: Ledger) -> set[str]:
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    return {row[0] for row in runner.store.rows("SELECT client_id FROM {audit_clients}",
                                                 tables=["audit_clients"])}  # fmt: skip


def test_a_projected_client_id_cannot_be_computed_from_the_reference(ledger: Ledger) -> None:
    enroll_parolee(ledger, "GA-1")
    [projected] = projected_ids(ledger)
    assert projected != str(client_id("GA-1")) and "GA-1" not in projected


def test_two_ledgers_key_the_same_reference_differently(tmp_path: Path) -> None:
    ids = []
    for name in ("one", "two"):
        ledger = Ledger(f"sqlite:///{tmp_path}/{name}.db", clock=lambda: TODAY)
        enroll_parolee(ledger, "GA-1")
        ids.append(projected_ids(ledger))
        ledger.close()
    assert ids[0] != ids[1]
