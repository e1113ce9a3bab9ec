"""A client is read from its events through the ledger's own projector, not the library's
(`base.mutated`): the library checks each event against a runtime-checkable protocol before
applying it, some half of the time a client's read took (found by a probe of reads at scale,
2026-12-07). What is read is the same: the replay property tests hold it event for event."""

from __future__ import annotations

from datetime import date

import pytest
from eventsourcing import application as library

from reentry_ledger.application import Ledger


def test_a_client_is_read_without_the_librarys_per_event_protocol_check(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.enroll("GA-1", actor="jdoe", start=date(2025, 1, 2), agency="GA", officer="o",
                  supervision="parole")  # fmt: skip
    ledger.log_contact("GA-1", actor="jdoe", on=date(2025, 1, 9))
    expected = ledger.client_state("GA-1", actor="jdoe")

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the library's projector, checking each event's protocol")

    # the library's default, bound when `Repository.get` was defined
    monkeypatch.setitem(library.Repository.get.__kwdefaults__, "projector_func", refused)
    assert ledger.client_state("GA-1", actor="jdoe") == expected
    assert ledger.get_client("GA-1").version == 2
    assert [entry.number for entry in ledger.timeline("GA-1", actor="jdoe")] == [1, 2]
