"""Serialisation of events: a pydantic mapper that keeps the library's upcasting, and orjson.

The library's own mapper reads `vars(event)`; pydantic events want `model_dump`/`model_validate`.
The mapper in the library's docs skips `class_version` and `upcast_vN_vN+1` (its issue #302):
this one applies them, exactly as the library's `Mapper` does for dataclass events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    ProgrammingError,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import get_topic, register_topic, resolve_topic
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from reentry_ledger.domain.access import ClientRecordRead, LedgerRead
from reentry_ledger.domain.checks import STORED
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.directory import (
    PasswordSet,
    TokenIssued,
    TokensRevoked,
    UserAdded,
    UserRemoved,
)
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import EVENT_CLASSES, ClientEvent, LedgerEvent
from reentry_ledger.domain.integrity import IDENTITY, stored_state
from reentry_ledger.domain.policy import CustodyCapsSet
from reentry_ledger.domain.programme import ProgrammeAdded, ProgrammeSessionHeld
from reentry_ledger.domain.recording import describe
from reentry_ledger.domain.volunteer import VOLUNTEER_EVENT_CLASSES

# Topics stored in events, pinned to the classes they name. A class that moves or is renamed
# keeps its entry here under the old topic, so stored events still resolve.
STABLE_TOPICS: dict[str, type] = {
    "reentry_ledger.domain.client:Client": Client,
    **{event_class.TOPIC: event_class for event_class in EVENT_CLASSES},
    UserAdded.TOPIC: UserAdded,
    UserRemoved.TOPIC: UserRemoved,
    TokenIssued.TOPIC: TokenIssued,
    TokensRevoked.TOPIC: TokensRevoked,
    PasswordSet.TOPIC: PasswordSet,
    ClientRecordRead.TOPIC: ClientRecordRead,
    LedgerRead.TOPIC: LedgerRead,
    CustodyCapsSet.TOPIC: CustodyCapsSet,
    ProgrammeAdded.TOPIC: ProgrammeAdded,
    ProgrammeSessionHeld.TOPIC: ProgrammeSessionHeld,
    **{event_class.TOPIC: event_class for event_class in VOLUNTEER_EVENT_CLASSES},
}


def register_stable_topics() -> None:
    for topic, cls in STABLE_TOPICS.items():
        register_topic(topic, cls)


register_stable_topics()


class PydanticMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event = cast(ClientEvent, domain_event)
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=get_topic(type(event)),
            state=self.pack(self.transcoder.encode(stored_state(event))),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        return event_from_state(
            resolve_topic(stored_event.topic),
            self.stored_state(stored_event),
            cast(UUID, stored_event.originator_id),
            stored_event.originator_version,
            stored=True,
        )

    def ledger_event(self, stored_event: StoredEvent) -> LedgerEvent:
        """The event a stored row holds, typed as ours."""
        return cast(LedgerEvent, self.to_domain_event(stored_event))

    def stored_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The state as stored, before any upcasting: what hashes and exports are made of."""
        try:
            state: dict[str, Any] = self.transcoder.decode(self.unpack(stored_event.state))
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot read stored event {stored_event.originator_id} "
                f"#{stored_event.originator_version} ({stored_event.topic}): {error}"
            ) from error
        return state

    def pack(self, data: bytes) -> bytes:
        """Compress and encrypt, where configured."""
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return data

    def unpack(self, data: bytes) -> bytes:
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data


def event_from_state(
    event_class: type[LedgerEvent],
    state: dict[str, Any],
    originator_id: UUID,
    version: int,
    *,
    stored: bool = False,
) -> LedgerEvent:
    """The event a stored state holds, upcast and validated (`state` is consumed). Texts and
    dates are checked as a new event's are (domain/checks.py), unless it is `stored` already:
    what the ledger holds stays readable."""
    upcast(event_class, state)
    state["originator_id"] = originator_id
    state["originator_version"] = version
    validate = event_class.__pydantic_validator__.validate_python  # model_validate, less a step
    if stored:
        return validate(state, context=STORED)
    try:
        return validate(state)
    except ValidationError as error:
        raise InvalidInput(f"malformed event ({describe(error)})") from None


def current_state(topic: str, data: bytes) -> dict[str, Any]:
    """A stored event's state (plain JSON) as its class's current version stores it: upcast,
    with the defaults of any field it leaves out. What projections read, without building and
    validating the event (ADR 0013)."""
    form = stored_form(topic)
    state: dict[str, Any] = orjson.loads(data)
    if state.get("class_version", 1) < form.version:
        upcast(form.event_class, state)  # takes class_version out
    else:
        state.pop("class_version", None)
    if len(state) < form.fields:  # an older or shorter form than ours
        for key, default in form.defaults.items():
            state.setdefault(key, default())
    return state


@dataclass(frozen=True)
class StoredForm:
    """What the current version of an event class stores, less its identity and version."""

    event_class: type[LedgerEvent]
    version: int
    fields: int  # how many fields it stores
    defaults: dict[str, Callable[[], Any]]  # stored name -> its default, in JSON form


@cache
def stored_form(topic: str) -> StoredForm:
    event_class: type[LedgerEvent] = STABLE_TOPICS.get(topic) or resolve_topic(topic)
    stored = {
        field.serialization_alias or name: field
        for name, field in event_class.model_fields.items()
        if name not in IDENTITY
    }
    return StoredForm(
        event_class,
        event_class.class_version,
        len(stored),
        {
            key: partial(json_default, field)
            for key, field in stored.items()
            if not field.is_required()
        },
    )


def json_default(field: FieldInfo) -> Any:
    return to_jsonable_python(field.get_default(call_default_factory=True))


def upcast(event_class: type[Any], state: dict[str, Any]) -> None:
    """Bring a stored state up to the class's current version, one step at a time."""
    version = state.pop("class_version", 1)
    while version < getattr(event_class, "class_version", 1):
        getattr(event_class, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)

    def register(self, transcoding: Transcoding) -> None:
        raise ProgrammingError("events are pydantic models: no transcodings to register")
