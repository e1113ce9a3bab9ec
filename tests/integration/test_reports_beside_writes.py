"""A server's reports beside its writes: one ledger, many threads (a request each). A report
of projections already at the head of the log writes nothing (its runner, which sets the
tables up, is made once for the ledger), so it never waits for another request's write. A
report with events to catch up still writes its pages first (every report test asks again
after new events)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY

REQUEST = ReportRequest(today=TODAY, by=("agency",))


def report(ledger: Ledger) -> Any:
    return ledger.reports(actor="jdoe").violations(REQUEST)["groups"]


@contextmanager
def another_request_writing(ledger: Ledger) -> Iterator[Callable[[], bool]]:
    """Another request's write transaction, held (at most a minute) until the block ends:
    SQLite's pool has one writer, which it takes. Yields whether it is still held."""
    holding, let_go, released = threading.Event(), threading.Event(), threading.Event()

    def write() -> None:
        with ledger.recorder.datastore.transaction(commit=True):
            holding.set()
            let_go.wait(60)
        released.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert holding.wait(10)
    try:
        yield lambda: not released.is_set()
    finally:
        let_go.set()
        thread.join()


def answered_within(seconds: float, work: Callable[[], Any]) -> tuple[bool, Any]:
    """Run `work` in a thread of its own: whether it answered within `seconds`, and its answer
    (or the error it raised)."""
    found: list[Any] = []

    def run() -> None:
        try:
            found.append(work())
        except Exception as error:  # handed back to the test, to show
            found.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), found[0] if found else None


def test_a_report_of_projections_at_the_head_answers_while_another_request_writes(
    tmp_path: Path,
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    build_demo(ledger, clients=30, seed=4)
    first = report(ledger)  # caught up, and set up, by an earlier request
    with another_request_writing(ledger) as still_held:
        answered, found = answered_within(20, lambda: report(ledger))
        answered_while_held = answered and still_held()
    assert answered_while_held, "the report waited for another request's write"
    assert found == first, found
    assert first, "the demo gives groups to compare"
    ledger.close()
