"""Records of who read which client's record: one access log per actor, never in a timeline."""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from reentry_ledger.domain.checks import EventDate, EventMoment, Name
from reentry_ledger.domain.directory import OpenedAggregate, OpeningEvent
from reentry_ledger.domain.references import CLIENT_NAMESPACE


@lru_cache(maxsize=4096)  # a listing of the access log asks it for every read: readers recur
def access_log_id(actor: str) -> UUID:
    return uuid5(CLIENT_NAMESPACE, f"access log of {actor}")


class ClientRecordRead(OpeningEvent):
    """An actor read a client's record (its timeline or its current state)."""

    TOPIC = "reentry_ledger.domain.access:ClientRecordRead"
    client_ref: Name
    view: Name  # "timeline" or "show"
    as_of: EventDate | None = None
    known_at: EventMoment | None = None

    def opens(self) -> type[Any]:
        return AccessLog


WHOLE_LEDGER = "(whole ledger)"


class LedgerRead(OpeningEvent):
    """An actor read the whole ledger: a replay, an export (with keys or without), or a
    de-identified export. Every client's record is in it, so it answers for each of them."""

    TOPIC = "reentry_ledger.domain.access:LedgerRead"
    view: Name  # "replay", "export", "export with keys", "export --deidentified"
    as_of: None = None
    known_at: None = None

    @property
    def client_ref(self) -> str:
        return WHOLE_LEDGER

    def opens(self) -> type[Any]:
        return AccessLog


class AccessLog(OpenedAggregate):
    """An actor's reads of client records, one event per read."""
