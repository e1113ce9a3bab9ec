"""The client's events: immutable pydantic models, named in the past tense.

Each event carries when it took effect (`occurred_on`), when it was recorded (`recorded_at`, the
library's `timestamp`) and who recorded it (`recorded_by`). Its stored topic is fixed by `TOPIC`,
so moving or renaming a class never orphans stored events. A change of shape bumps
`class_version` and adds a static `upcast_vN_vN+1` that rewrites the stored dict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from reentry_ledger.domain.checks import EventDate, Line, Name, Text
from reentry_ledger.domain.codes import (
    Condition,
    ContactKind,
    DecidingBody,
    DischargeOutcome,
    MatchEnding,
    Need,
    OffenceSeverity,
    PlanModel,
    ReferralStatus,
    Response,
    RiskLevel,
    SealGround,
    Service,
    SupervisionType,
    TechnicalViolation,
    ViolationCategory,
)

C = TypeVar("C")

TOPIC_PREFIX = "reentry_ledger.domain.events:"


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Coded(Value, Generic[C]):
    """A code from one of our lists, with the agency's original code or wording beside it."""

    code: C
    raw_text: Line | None = None


class LedgerEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of every event on the ledger: what every event carries, and its hash chain."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    TOPIC: ClassVar[str]
    class_version: ClassVar[int] = 1
    PERSONAL: ClassVar[tuple[str, ...]] = ()  # fields stored under the client's own key

    originator_id: UUID
    originator_version: int
    timestamp: datetime = Field(
        validation_alias=AliasChoices("recorded_at", "timestamp"),
        serialization_alias="recorded_at",
    )
    occurred_on: EventDate
    recorded_by: Name = Field(min_length=1)
    previous_hash: Line = ""  # the client's previous event's hash ("" for the enrolment)
    event_hash: Line = ""  # over this event's canonical stored form (domain/integrity.py)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TOPIC" not in cls.__dict__:
            cls.TOPIC = TOPIC_PREFIX + cls.__name__

    @property
    def number(self) -> int:
        """The event's number in the client's timeline, from 1."""
        return self.originator_version

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

    def apply(self, aggregate: Any) -> None:
        aggregate.append_to_history(self)


class ClientEvent(LedgerEvent):
    """Base of every event in a client's history."""


class Enrolled(ClientEvent, CanInitAggregate[UUID]):
    """Intake: the client's supervision begins. Always event number 1."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "details")

    originator_topic: Name
    client_ref: Name
    name: Name | None = None  # the person's name: personal data, never in reports or exports
    agency: Name = Field(min_length=1)
    officer: Name = Field(min_length=1)
    supervision: Coded[SupervisionType]
    expected_end: EventDate | None = None
    conditions: tuple[Coded[Condition], ...] = ()
    juvenile: bool = False
    details: dict[Name, Line] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _end_after_start(self) -> Enrolled:
        if self.expected_end is not None and self.expected_end < self.occurred_on:
            msg = f"expected end {self.expected_end} is before the start {self.occurred_on}"
            raise ValueError(msg)
        return self


class Assessed(ClientEvent):
    """A risk/needs assessment.

    Version 2 keeps each code with its raw text; version 1 stored bare code strings.
    """

    PERSONAL: ClassVar[tuple[str, ...]] = ("strengths",)

    class_version: ClassVar[int] = 2

    instrument: Name = Field(min_length=1)
    instrument_version: Name | None = None
    score: float | None = None
    risk_level: Coded[RiskLevel]
    needs: tuple[Coded[Need], ...] = ()
    responsivity: tuple[Line, ...] = ()
    strengths: tuple[Line, ...] = ()

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["risk_level"] = {"code": state["risk_level"], "raw_text": None}
        state["needs"] = [{"code": need, "raw_text": None} for need in state.get("needs", [])]


class Goal(Value):
    priority: int = Field(ge=1)
    description: Text = Field(min_length=1)
    need: Coded[Need]


class CasePlanRevised(ClientEvent):
    """The case plan as revised: prioritised goals, each tied to a criminogenic need."""

    goals: tuple[Goal, ...] = Field(min_length=1)
    model: Coded[PlanModel] | None = None


class Referred(ClientEvent):
    referral_id: Name
    service: Coded[Service]
    provider: Name | None = None


class ReferralUpdated(ClientEvent):
    referral_id: Name
    status: Coded[ReferralStatus]


class ContactLogged(ClientEvent):
    """A case note: one-to-one casework or a group session."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("note",)

    kind: Coded[ContactKind]
    note: Text = ""
    confidential: bool = True
    group_session: Name | None = None


class VolunteerMatched(ClientEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("volunteer",)
    volunteer: Name = Field(min_length=1)
    needs: tuple[Coded[Need], ...] = ()


class VolunteerMatchEnded(ClientEvent):
    ending: Coded[MatchEnding]
    reason: Text | None = None


class NewOffence(Value):
    severity: Coded[OffenceSeverity]
    violent: bool = False


class ViolationRecorded(ClientEvent):
    """One violation incident: technical breaches, absconding and/or a new offence."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("description",)

    violation_id: Name
    technical: tuple[Coded[TechnicalViolation], ...] = ()
    absconding: bool = False
    new_offence: NewOffence | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _names_at_least_one_kind(self) -> ViolationRecorded:
        if not (self.technical or self.absconding or self.new_offence):
            msg = (
                "a violation needs at least one of: "
                "a technical condition, absconding, a new offence"
            )
            raise ValueError(msg)
        return self

    @property
    def category(self) -> ViolationCategory:
        return most_serious(self.new_offence is not None, self.absconding)


def most_serious(new_offence: bool, absconding: bool) -> ViolationCategory:
    """A violation's most serious category (new offence > absconding > technical)."""
    if new_offence:
        return ViolationCategory.NEW_OFFENCE
    if absconding:
        return ViolationCategory.ABSCONDING
    return ViolationCategory.TECHNICAL


class ViolationResponded(ClientEvent):
    violation_id: Name
    response: Coded[Response]
    custody_days: int | None = Field(default=None, ge=0)
    decided_by: Coded[DecidingBody] = Coded[DecidingBody](code=DecidingBody.OFFICER)


class Discharged(ClientEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("note",)
    outcome: Coded[DischargeOutcome]
    note: Text | None = None


class ClientSealed(ClientEvent):
    """The client's personal data was erased (its key destroyed); the events stay, counted.

    Its ground (a code) and reference (e.g. a court order's number) stay readable for audit.
    Version 1 stored a free-text `reason`: it reads as the ground `other`, the reason its
    reference (the hash is over the stored form, so the seal still verifies).
    """

    class_version: ClassVar[int] = 2

    ground: Coded[SealGround]
    reference: Text = Field(min_length=1)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["ground"] = {"code": SealGround.OTHER.value, "raw_text": None}
        state["reference"] = state.pop("reason")


class Corrected(ClientEvent):
    """Retracts an earlier event, which stays on record, marked as retracted."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("reason",)

    corrects: int = Field(ge=1)
    reason: Text = Field(min_length=1)


EVENT_CLASSES: tuple[type[ClientEvent], ...] = (
    Enrolled,
    Assessed,
    CasePlanRevised,
    Referred,
    ReferralUpdated,
    ContactLogged,
    VolunteerMatched,
    VolunteerMatchEnded,
    ViolationRecorded,
    ViolationResponded,
    Discharged,
    Corrected,
    ClientSealed,
)
