"""The runner turns pages into rows in worker processes, a chunk each, the next page while it
writes this one: the tables must be exactly those one process builds event by event."""

from __future__ import annotations

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.demo import build_demo
from reentry_ledger.encryption import new_key
from reentry_ledger.projections.runner import ProjectionRunner
from tests.builders import TODAY, projection_contents


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted at rest"])
def test_rows_made_by_workers_page_ahead_equal_rows_made_one_by_one(
    db_url: str, encrypted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if encrypted:
        monkeypatch.setenv("REENTRY_LEDGER_KEY", new_key())
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=250, seed=6)
    monkeypatch.setattr("reentry_ledger.projections.runner.CHUNK", 400)
    ProjectionRunner(ledger, page_size=1500, workers=2).rebuild()  # pages of 4 chunks
    by_workers = projection_contents(ledger)
    ProjectionRunner(ledger, page_size=7, workers=1).rebuild()  # small pages, all here
    assert projection_contents(ledger) == by_workers
    assert sum(len(rows) for rows in by_workers.values()) > 2000
    ledger.close()
