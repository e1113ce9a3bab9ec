"""The volunteer register: one aggregate per befriending volunteer (DOMAIN.md, "Volunteer
matched"), opened by its registration. Its personal data (name, availability, supervision
notes, why it left) lies under the volunteer's own key, as a client's under the client's: a
client's record names a registered volunteer by id only (VolunteerMatched.volunteer_id)."""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from uuid import UUID, uuid5

from pydantic import Field

from reentry_ledger.domain.checks import EventDate, Name, Text, shown
from reentry_ledger.domain.client import check_not_before, check_not_future
from reentry_ledger.domain.codes import SupervisionSessionKind, VolunteerSkill
from reentry_ledger.domain.directory import OpenedAggregate, OpeningEvent
from reentry_ledger.domain.errors import ClientNotFound, InvalidInput, LedgerError, RuleViolated
from reentry_ledger.domain.events import LedgerEvent
from reentry_ledger.domain.recording import Stamp, checked_event, finished, keep
from reentry_ledger.domain.references import CLIENT_NAMESPACE

TOPIC_PREFIX = "reentry_ledger.domain.volunteer:"
VOLUNTEER_ID = re.compile(r"VOL[1-9][0-9]{0,8}")
MAX_CAPACITY = 20  # clients one volunteer may befriend at a time


def volunteer_uuid(volunteer_id: str) -> UUID:
    """The aggregate's id (and its key's, in the key store) for a volunteer id."""
    return uuid5(CLIENT_NAMESPACE, f"volunteer {volunteer_id}")


def check_volunteer_id(volunteer_id: str) -> str:
    if not VOLUNTEER_ID.fullmatch(volunteer_id):
        raise InvalidInput(f"volunteer id {shown(volunteer_id)} is malformed: VOL1, VOL2, ...")
    return volunteer_id


class VolunteerNotFound(ClientNotFound):
    """No volunteer of this id that the actor may see (or may match): exit 4, as a client."""

    def __init__(self, volunteer_id: str, why: str = "") -> None:
        LedgerError.__init__(self, f"no volunteer {volunteer_id!r}{why}")
        self.ref = volunteer_id


class VolunteerEvent(OpeningEvent):
    def opens(self) -> type[Any]:
        return Volunteer


class VolunteerRegistered(VolunteerEvent):
    """A volunteer joined the agency's register: skills (codes), when trained, availability,
    how many clients at a time (`capacity`)."""

    TOPIC = TOPIC_PREFIX + "VolunteerRegistered"
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "availability")

    volunteer_id: Name = Field(min_length=1)
    agency: Name = Field(min_length=1)
    name: Name = Field(min_length=1)
    skills: tuple[VolunteerSkill, ...] = Field(min_length=1)
    trained_on: EventDate | None = None
    availability: Text | None = None
    capacity: int = Field(default=1, ge=1, le=MAX_CAPACITY)


class VolunteerTrained(VolunteerEvent):
    """The volunteer completed (further) training on its date."""

    TOPIC = TOPIC_PREFIX + "VolunteerTrained"


class VolunteerSupervised(VolunteerEvent):
    """A supervision session of the volunteer by the coordinating professional (staff): one
    to one (`individual`) or in a group (one event for each volunteer present)."""

    TOPIC = TOPIC_PREFIX + "VolunteerSupervised"
    PERSONAL: ClassVar[tuple[str, ...]] = ("note",)

    kind: SupervisionSessionKind
    professional: Name = Field(min_length=1)
    note: Text = ""


class VolunteerLeft(VolunteerEvent):
    """The volunteer left the register (why: a code or words, personal)."""

    TOPIC = TOPIC_PREFIX + "VolunteerLeft"
    PERSONAL: ClassVar[tuple[str, ...]] = ("reason",)

    reason: Text | None = None


VOLUNTEER_EVENT_CLASSES: tuple[type[VolunteerEvent], ...] = (
    VolunteerRegistered,
    VolunteerTrained,
    VolunteerSupervised,
    VolunteerLeft,
)
# Text of the volunteer's events that is not personal, and why (as events.PLAIN_TEXT).
VOLUNTEER_PLAIN_TEXT: dict[str, str] = {
    "VolunteerSupervised.professional": "the coordinating professional who supervised the "
    "volunteer: staff, not the volunteer; reports of supervision count by it",
}


@dataclass
class VolunteerState:
    volunteer_id: str = ""
    agency: str = ""
    name: str = ""  # personal: as stored (encrypted) until a read reveals it
    skills: tuple[str, ...] = ()
    trained_on: date | None = None
    availability: str | None = None
    capacity: int = 1
    registered_on: date | None = None
    left_on: date | None = None
    supervisions: list[tuple[date, str]] = field(default_factory=list)  # (on, kind)


class Volunteer(OpenedAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.state = VolunteerState()

    @property
    def volunteer_id(self) -> str:
        return self.state.volunteer_id

    def append_to_history(self, event: LedgerEvent) -> None:
        super().append_to_history(event)
        state = self.state
        if isinstance(event, VolunteerRegistered):
            state.volunteer_id, state.agency, state.name = (
                event.volunteer_id,
                event.agency,
                event.name,
            )
            state.skills = tuple(skill.value for skill in event.skills)
            state.trained_on, state.availability = event.trained_on, event.availability
            state.capacity, state.registered_on = event.capacity, event.occurred_on
        elif isinstance(event, VolunteerTrained):
            state.trained_on = event.occurred_on
        elif isinstance(event, VolunteerSupervised):
            state.supervisions.append((event.occurred_on, event.kind.value))
        elif isinstance(event, VolunteerLeft):
            state.left_on = event.occurred_on

    @property
    def active(self) -> bool:
        return self.state.left_on is None

    def register(self, stamp: Stamp, volunteer_id: str, agency: str, **details: Any) -> None:
        if self.history:
            raise RuleViolated(f"volunteer {volunteer_id!r} is already registered")
        check_not_future(stamp)
        trained_on = details.get("trained_on")
        if trained_on is not None and trained_on > stamp.today:
            raise RuleViolated(f"training date {trained_on} is in the future")
        self._record(VolunteerRegistered, stamp, volunteer_id=volunteer_id, agency=agency,
                     **details)  # fmt: skip

    def train(self, stamp: Stamp) -> None:
        self._record(VolunteerTrained, stamp)

    def supervise(self, stamp: Stamp, kind: str, professional: str, note: str = "") -> None:
        self._record(VolunteerSupervised, stamp, kind=kind, professional=professional, note=note)

    def leave(self, stamp: Stamp, reason: str | None = None) -> None:
        self._record(VolunteerLeft, stamp, reason=reason)

    def check_active(self) -> None:
        if not self.active:
            raise RuleViolated(
                f"volunteer {self.volunteer_id!r} left on {self.state.left_on}: "
                "nothing more may be recorded"
            )

    def _record(self, event_class: type[VolunteerEvent], stamp: Stamp, **details: Any) -> None:
        """Check the values, then the rules; only then encrypt (which makes the key), apply
        and keep the event, as a client's."""
        event = checked_event(self, event_class, stamp, **details)
        if self.history:
            self.check_active()
            check_not_future(stamp)
            registered = self.state.registered_on
            if registered is not None:
                check_not_before(stamp, registered, f"volunteer {self.volunteer_id}'s registration")
        keep(self, finished(self, event, stamp))


def new_volunteer(volunteer_id: str, timestamp: Any) -> Volunteer:
    volunteer: Volunteer = Volunteer.empty(volunteer_uuid(volunteer_id), timestamp)
    return volunteer
