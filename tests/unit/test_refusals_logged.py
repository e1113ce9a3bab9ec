"""Every command that acts on one client's record logs its refusals (`refusals_logged`)."""

from __future__ import annotations

import inspect

from reentry_ledger.application import Ledger

# lookups the web pages and API make before a read or write, which answer None (or False) for
# a client the reader's agency does not hold rather than refuse: the read or write after them
# is the one refused, and logged
LOOKUPS = {"last_event_held", "latest_held", "moved_away_from"}


def test_every_read_or_write_of_a_client_by_an_actor_logs_its_refusal() -> None:
    # a command added without `@refusals_logged` would let a caseworker of another agency
    # try a client's record and leave no trace in the access log
    acting_on_a_client = {
        name: method
        for name, method in inspect.getmembers(Ledger, inspect.isfunction)
        if not name.startswith("_")
        and list(inspect.signature(method).parameters)[1:2] == ["ref"]
        and "actor" in inspect.signature(method).parameters
    }
    assert {"timeline", "log_contact", "record_violation", "seal", "replay"} <= set(
        acting_on_a_client
    )
    assert set(acting_on_a_client) >= LOOKUPS
    unlogged = sorted(
        name
        for name, method in acting_on_a_client.items()
        if name not in LOOKUPS and not getattr(method, "logs_refusals_as", None)
    )
    assert unlogged == []
