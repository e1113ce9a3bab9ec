"""Which of many references are clients on the ledger, asked at once (an import's clients):
the same answer as asking of each, on both databases, past the size of one query."""

from __future__ import annotations

from reentry_ledger.application import Ledger
from tests.builders import enroll_parolee


def test_the_clients_among_references_are_those_that_exist(ledger: Ledger) -> None:
    enroll_parolee(ledger, "GA-1")
    enroll_parolee(ledger, "GA-1207")
    refs = [f"GA-{n}" for n in range(1, 1300)]  # three queries' worth
    assert ledger.stored_among(refs) == {"GA-1", "GA-1207"}
    assert ledger.stored_among(refs) == {ref for ref in refs if ledger.exists(ref)}
    assert ledger.stored_among([]) == set()
    assert ledger.stored_among(["GA 1", "", "GA-1"]) == {"GA-1"}  # malformed: no one's
