"""Several processes writing to the same client at once: no event is lost or stored twice.

Each write either succeeds or is refused with a clear conflict; every accepted write is in
the client's history exactly once, and nothing that was refused is.
"""

from __future__ import annotations

import multiprocessing
from datetime import date
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict
from tests.builders import TODAY, enroll_parolee

WRITERS = 4
WRITES_EACH = 12


def writer(db_url: str, number: int, start: Any, results: Any) -> None:
    accepted: list[str] = []
    conflicts, failures = 0, []
    try:
        ledger = Ledger(db_url, clock=lambda: TODAY)
        start.wait(timeout=60)
    except Exception as error:
        results.put(([], 0, [f"writer {number} could not start: {type(error).__name__}: {error}"]))
        start.abort()
        return
    for attempt in range(WRITES_EACH):
        note = f"writer {number} attempt {attempt}"
        try:
            ledger.log_contact("GA-1", actor=f"w{number}", on=date(2025, 2, 1), note=note)
        except Conflict:
            conflicts += 1
        except Exception as error:  # reported to the parent, which fails the test
            failures.append(f"{type(error).__name__}: {error}")
        else:
            accepted.append(note)
    ledger.close()
    results.put((accepted, conflicts, failures))


def test_concurrent_writers_lose_no_event_and_store_none_twice(db_url: str) -> None:
    setup = Ledger(db_url, clock=lambda: TODAY)
    enroll_parolee(setup)
    setup.close()

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    results = context.Queue()
    processes = [
        context.Process(target=writer, args=(db_url, n, start, results)) for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()

    accepted = [note for notes, _, _ in outcomes for note in notes]
    conflicts = sum(count for _, count, _ in outcomes)
    failures = [failure for _, _, fails in outcomes for failure in fails]
    print(f"accepted {len(accepted)}, conflicts {conflicts}")
    assert failures == []
    assert len(accepted) + conflicts == WRITERS * WRITES_EACH
    assert accepted, "at least some writes must succeed"

    reader = Ledger(db_url, clock=lambda: TODAY)
    history = reader.timeline("GA-1")
    reader.close()
    stored_notes = [entry.data["note"] for entry in history[1:]]
    assert sorted(stored_notes) == sorted(accepted)
    assert len(set(stored_notes)) == len(stored_notes)
    assert [event.number for event in history] == list(range(1, len(history) + 1))
