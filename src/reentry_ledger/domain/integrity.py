"""Hashes that chain each client's events, over a canonical form of what is stored.

An event's hash covers its client, number, topic and stored state (sorted-key JSON, its own
hash left out), and that state includes the hash of the client's previous event. The hash is
over the stored form, not the current class's, so upcasting never changes it, and any copy of
the same states (an export imported elsewhere) has the same hashes.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import orjson

from reentry_ledger.domain.events import LedgerEvent

E = TypeVar("E", bound=LedgerEvent)
IDENTITY = {"originator_id", "originator_version"}


def stored_state(event: LedgerEvent) -> dict[str, Any]:
    """The event's state as it is stored (JSON types), with its class version beyond 1."""
    state = event.model_dump(mode="json", by_alias=True, exclude=IDENTITY)
    if type(event).class_version > 1:
        state["class_version"] = type(event).class_version
    return state


def content_hash(client_id: str, number: int, topic: str, state: dict[str, Any]) -> str:
    body = dict(state)  # less its own hash (copied and popped: quicker than filtered)
    body.pop("event_hash", None)
    canonical = orjson.dumps(
        {"client_id": client_id, "number": number, "topic": topic, "state": body},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def chained(event: E, previous_hash: str) -> E:
    """The event with the previous event's hash and its own."""
    linked = event.model_copy(update={"previous_hash": previous_hash})
    digest = content_hash(
        str(linked.originator_id),
        linked.originator_version,
        type(linked).TOPIC,
        stored_state(linked),
    )
    return linked.model_copy(update={"event_hash": digest})
