"""The client's events: immutable pydantic models, named in the past tense.

Each event carries when it took effect (`occurred_on`), when it was recorded (`recorded_at`, the
library's `timestamp`) and who recorded it (`recorded_by`). Its stored topic is fixed by `TOPIC`,
so moving or renaming a class never orphans stored events. A change of shape bumps
`class_version` and adds a static `upcast_vN_vN+1` that rewrites the stored dict.

Every text an event holds is one of two kinds. Personal text (names, notes, goals, providers,
reasons, the agency's own wording of a code) is listed in its class's `PERSONAL`, as dotted
paths that reach into nested values (`goals.description` is each goal's description, and not
its need's code): it is stored encrypted under the client's own key, which a seal destroys.
Plain text is listed in `PLAIN_TEXT` below, each with why it may stay readable for good (reports
count by it, or it is an id the ledger assigns, or it is the seal's own audit trail). A test
(tests/unit/test_personal_fields.py) walks every field of every event, nested ones too, and
fails on any text in neither list.
"""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
from datetime import datetime
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from reentry_ledger.domain.checks import EventDate, Line, Name, Text
from reentry_ledger.domain.codes import (
    Condition,
    ContactKind,
    CustodyReason,
    DecidingBody,
    DischargeOutcome,
    Disposition,
    GoalStatus,
    Incentive,
    MatchEnding,
    Need,
    NewOffenceBasis,
    OffenceSeverity,
    OffenceType,
    PlanModel,
    ProgrammeOutcome,
    ReferralReason,
    ReferralStatus,
    Response,
    RiskLevel,
    SealGround,
    Service,
    SupervisionLevel,
    SupervisionType,
    TechnicalViolation,
    TermStartReason,
    ViolationCategory,
)

C = TypeVar("C")

TOPIC_PREFIX = "reentry_ledger.domain.events:"


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Coded(Value, Generic[C]):
    """A code from one of our lists, with the agency's original code or wording beside it."""

    code: C
    raw_text: Line | None = None


class LedgerEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of every event on the ledger: what every event carries, and its hash chain."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    TOPIC: ClassVar[str]
    class_version: ClassVar[int] = 1
    # Text stored under the client's own key: dotted paths through nested values and lists.
    PERSONAL: ClassVar[tuple[str, ...]] = ()

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


class CodedText(Value):
    """A code kept as personal data: encrypted like any personal text, so typed as text and
    checked against its list by the command that records it (domain/client.py)."""

    code: Line = Field(min_length=1)
    raw_text: Line | None = None


class Person(Value):
    """Who the client is, coded as in DOMAIN.md; a field left out is `unknown`. Personal data,
    every field under the client's key: reports use them only as bands, above the floor."""

    sex: CodedText | None = None
    race: CodedText | None = None
    ethnicity: CodedText | None = None
    birth_year: Line | None = None  # four digits, kept as text so that it can be encrypted


PERSON_PATHS = (
    *(
        f"person.{name}.{part}"
        for name in ("sex", "race", "ethnicity")
        for part in ("code", "raw_text")
    ),
    "person.birth_year",
)
TERM_PERSONAL = ("supervision.raw_text", "conditions.raw_text", "start_reason.raw_text",
                 "age_band.code", "age_band.raw_text")  # fmt: skip


class Enrolled(ClientEvent, CanInitAggregate[UUID]):
    """Intake: the client's first term of supervision begins. Always event number 1.

    Version 2 adds who the person is (`person`), why the term started and the age band at its
    start when only a band is known (an import's); version 1 events read with none of them."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "details", *TERM_PERSONAL, *PERSON_PATHS)
    class_version: ClassVar[int] = 2

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
    start_reason: Coded[TermStartReason] | None = None
    age_band: CodedText | None = None  # given only where the birth year is not known
    person: Person = Field(default_factory=Person)  # a factory: no model built on import

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        check_expected_end(self.expected_end, self.occurred_on)
        return self

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(start_reason=None, age_band=None, person={})


def check_expected_end(expected_end: Any, start: Any) -> None:
    if expected_end is not None and expected_end < start:
        raise ValueError(f"expected end {expected_end} is before the start {start}")


class TermStarted(ClientEvent):
    """A later term of supervision begins for a client whose earlier terms have all ended
    (the first term is the enrolment's). Each term has its own type, agency, officer,
    conditions and expected end; `term` is its number, from 2."""

    PERSONAL: ClassVar[tuple[str, ...]] = TERM_PERSONAL

    term: int = Field(ge=2)
    agency: Name = Field(min_length=1)
    officer: Name = Field(min_length=1)
    supervision: Coded[SupervisionType]
    expected_end: EventDate | None = None
    conditions: tuple[Coded[Condition], ...] = ()
    start_reason: Coded[TermStartReason] | None = None
    age_band: CodedText | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        check_expected_end(self.expected_end, self.occurred_on)
        return self


class Reassigned(ClientEvent):
    """The caseload moved: the client's officer from this date, and the agency (the same one
    unless the case moved to another agency)."""

    agency: Name = Field(min_length=1)
    officer: Name = Field(min_length=1)


class LevelChanged(ClientEvent):
    """The supervision level in force from this date."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("level.raw_text",)
    level: Coded[SupervisionLevel]


class ConditionsChanged(ClientEvent):
    """A court or board order: conditions added to and removed from the term's."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("added.raw_text", "removed.raw_text")
    added: tuple[Coded[Condition], ...] = ()
    removed: tuple[Coded[Condition], ...] = ()

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not (self.added or self.removed):
            raise ValueError("a change of conditions adds or removes at least one condition")
        both = {c.code for c in self.added} & {c.code for c in self.removed}
        if both:
            raise ValueError(f"a condition cannot be both added and removed: {', '.join(both)}")
        return self


class CustodyStarted(ClientEvent):
    """The client is held in custody from this date (a sanction, a jail hold, a treatment
    facility): supervised, but not at risk in the community, until the custody ends."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("reason.raw_text",)
    reason: Coded[CustodyReason]


class CustodyEnded(ClientEvent):
    """Released from custody: at risk in the community again from this date."""


class Absconded(ClientEvent):
    """The client's whereabouts are unknown from this date."""


class Returned(ClientEvent):
    """The absconded client was found, or came back: at risk again from this date."""


class Assessed(ClientEvent):
    """A risk/needs assessment.

    Version 2 keeps each code with its raw text; version 1 stored bare code strings.
    """

    PERSONAL: ClassVar[tuple[str, ...]] = (
        "strengths",
        "responsivity",
        "risk_level.raw_text",
        "needs.raw_text",
        "instrument_name",
        "instrument_version",
    )

    class_version: ClassVar[int] = 2

    instrument: Name = Field(min_length=1)  # an Instrument code (older events: as typed)
    instrument_name: Line | None = None  # the tool's name, when it is `other`
    instrument_version: Line | None = None
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
    """A goal as a plan revision lists it: a new goal (its need and description given), or one
    already on the plan moved to this place (its id alone). Version 1 plans, which replaced
    the whole plan, read with ids `G<event>.<priority>` (see CasePlanRevised)."""

    goal_id: Name = Field(min_length=1)
    priority: int = Field(ge=1)
    description: Text | None = Field(default=None, min_length=1)
    need: Coded[Need] | None = None

    @model_validator(mode="after")
    def _new_goal_has_need_and_text(self) -> Self:
        if (self.description is None) != (self.need is None):
            raise ValueError("a new goal has both a need and a description; a moved one neither")
        return self


class CasePlanRevised(ClientEvent):
    """The case plan as revised: prioritised goals, each tied to a criminogenic need.

    Version 2 keeps each goal's identity: the goals listed take the plan's first places in
    the order given (new ones added, ids of goals already on it moved), the rest follow in
    their order. Version 1 plans replaced the whole plan (`replaces`): their goals read as
    goals with ids `G<event number>.<priority>`."""

    PERSONAL: ClassVar[tuple[str, ...]] = (
        "goals.description",
        "goals.need.raw_text",
        "model.raw_text",
    )
    class_version: ClassVar[int] = 2

    goals: tuple[Goal, ...] = Field(min_length=1)
    model: Coded[PlanModel] | None = None
    replaces: bool = False

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        number = state["originator_version"]
        state["goals"] = [
            {**goal, "goal_id": f"G{number}.{goal['priority']}"} for goal in state["goals"]
        ]
        state["replaces"] = True


class GoalAdded(ClientEvent):
    """A goal added to the case plan, at `priority` (None: last), tied to a need."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("description", "need.raw_text")

    goal_id: Name = Field(min_length=1)
    need: Coded[Need]
    description: Text = Field(min_length=1)
    priority: int | None = Field(default=None, ge=1)
    target: EventDate | None = None

    @model_validator(mode="after")
    def _target_after_start(self) -> Self:
        if self.target is not None and self.target < self.occurred_on:
            raise ValueError(f"target {self.target} is before the goal's date {self.occurred_on}")
        return self


class GoalProgressed(ClientEvent):
    """Where a goal stands from this date, with a note of the progress made."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("note", "status.raw_text")

    goal_id: Name = Field(min_length=1)
    status: Coded[GoalStatus]
    note: Text | None = None


class GoalReordered(ClientEvent):
    """A goal moved to another place in the plan's order of priority."""

    goal_id: Name = Field(min_length=1)
    priority: int = Field(ge=1)


class CasePlanApproved(ClientEvent):
    """A supervisor approved the case plan as it stood: its open goals, in order."""

    goals: tuple[Name, ...] = Field(min_length=1)


class Referred(ClientEvent):
    """A referral to a service. Version 2 adds the goal or the need it serves (at most one);
    version 1 referrals read with neither."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("provider", "service.raw_text", "need.raw_text")
    class_version: ClassVar[int] = 2

    referral_id: Name
    service: Coded[Service]
    provider: Name | None = None
    goal_id: Name | None = None
    need: Coded[Need] | None = None

    @model_validator(mode="after")
    def _goal_or_need(self) -> Self:
        if self.goal_id is not None and self.need is not None:
            raise ValueError("a referral serves a goal or a need, not both")
        return self

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(goal_id=None, need=None)


class ReferralUpdated(ClientEvent):
    """A referral's next status. Version 2 adds the reason a referral was declined or
    dropped (version 1 updates read with none)."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("status.raw_text", "reason.raw_text")
    class_version: ClassVar[int] = 2

    referral_id: Name
    status: Coded[ReferralStatus]
    reason: Coded[ReferralReason] | None = None

    @model_validator(mode="after")
    def _reason_only_for_an_ending(self) -> Self:
        ending = self.status.code in (ReferralStatus.DECLINED, ReferralStatus.DROPPED)
        if self.reason is not None and not ending:
            raise ValueError(
                f"a reason goes with a declined or dropped referral, not {self.status.code}"
            )
        return self

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = None


class ContactLogged(ClientEvent):
    """A case note: one-to-one casework or a group session."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("note", "group_session", "kind.raw_text")

    kind: Coded[ContactKind]
    note: Text = ""
    confidential: bool = True
    group_session: Name | None = None


class VolunteerMatched(ClientEvent):
    """A befriending match with one volunteer: a registered one (`volunteer_id`, whose
    personal data lies under the volunteer's own key), or one named here (under the client's).
    Version 2 adds `volunteer_id`; version 1 matches read as named."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("volunteer", "needs.raw_text")
    class_version: ClassVar[int] = 2

    volunteer: Name | None = Field(default=None, min_length=1)
    volunteer_id: Name | None = None
    needs: tuple[Coded[Need], ...] = ()

    @model_validator(mode="after")
    def _one_volunteer(self) -> Self:
        if (self.volunteer is None) == (self.volunteer_id is None):
            raise ValueError("a match names its volunteer, or gives a registered volunteer's id")
        return self

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["volunteer_id"] = None


class VolunteerMatchEnded(ClientEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("reason", "ending.raw_text")
    ending: Coded[MatchEnding]
    reason: Text | None = None


class ProgrammeEnrolled(ClientEvent):
    """A place in one of the agency's group programmes (`programme add`), from this date,
    with the programme's service (a code alone: its raw text is always empty)."""

    programme: Name = Field(min_length=1)
    service: Coded[Service]


class ProgrammeSessionAttended(ClientEvent):
    """The client attended a session of a programme it holds a place in."""

    programme: Name = Field(min_length=1)


class ProgrammeSessionMissed(ClientEvent):
    """A session of a programme the client holds a place in was held without it."""

    programme: Name = Field(min_length=1)


class ProgrammeEnded(ClientEvent):
    """The client's place in a programme ended: completed, dropped out, removed."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("outcome.raw_text",)

    programme: Name = Field(min_length=1)
    outcome: Coded[ProgrammeOutcome]


class NewOffence(Value):
    severity: Coded[OffenceSeverity]
    violent: bool = False
    basis: Coded[NewOffenceBasis] | None = None  # None: recorded before the basis was asked
    offence_type: Coded[OffenceType] | None = None


class ViolationRecorded(ClientEvent):
    """One violation incident: technical breaches, absconding and/or a new offence.

    Version 2 adds the new offence's basis (arrest, charge, conviction) and type; version 1
    new offences read with neither."""

    PERSONAL: ClassVar[tuple[str, ...]] = (
        "description",
        "technical.raw_text",
        "new_offence.severity.raw_text",
        "new_offence.basis.raw_text",
        "new_offence.offence_type.raw_text",
    )
    class_version: ClassVar[int] = 2

    violation_id: Name
    technical: tuple[Coded[TechnicalViolation], ...] = ()
    absconding: bool = False
    new_offence: NewOffence | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _names_at_least_one_kind(self) -> Self:
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

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        if state.get("new_offence") is not None:
            state["new_offence"] = {**state["new_offence"], "basis": None, "offence_type": None}


def most_serious(new_offence: bool, absconding: bool) -> ViolationCategory:
    """A violation's most serious category (new offence > absconding > technical)."""
    if new_offence:
        return ViolationCategory.NEW_OFFENCE
    if absconding:
        return ViolationCategory.ABSCONDING
    return ViolationCategory.TECHNICAL


MAX_DAYS = 36_500  # a hundred years of custody: any more is a typing error


class ViolationResponded(ClientEvent):
    """A response to a violation: the officer's recommendation, or the decision (the one final
    decision a violation gets, by the officer within its authority, a court or a parole board).

    A revocation decided now ends its term on the decision's date, with the outcome it records
    (`term_outcome`: revoked for the most serious violation of the term in the window before
    the decision, as the record stood then; domain/revocation.py). Version 2 adds
    `recommendation` and `term_outcome`; version 1 responses read as decisions that end nothing
    (the discharge recorded after them ends their term), and their `sanction` as
    `custody_sanction` when it carried custody days, else `other_sanction`."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("response.raw_text", "decided_by.raw_text")
    class_version: ClassVar[int] = 2

    violation_id: Name
    response: Coded[Response]
    custody_days: int | None = Field(default=None, ge=0, le=MAX_DAYS)
    decided_by: Coded[DecidingBody] = Field(
        default_factory=lambda: Coded[DecidingBody](code=DecidingBody.OFFICER)
    )
    recommendation: bool = False
    term_outcome: DischargeOutcome | None = None

    @model_validator(mode="after")
    def _only_a_revocation_decision_ends_a_term(self) -> Self:
        revocation = self.response.code == Response.REVOCATION and not self.recommendation
        if self.term_outcome is not None and not (
            revocation and self.term_outcome in REVOKED_OUTCOMES
        ):
            raise ValueError("only a revocation decision ends a term, and with a revoked outcome")
        return self

    @property
    def ends_term(self) -> bool:
        return self.term_outcome is not None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        response = state["response"]
        if response["code"] == Response.SANCTION.value:
            custody = Response.CUSTODY_SANCTION if state.get("custody_days") else None
            code = custody or Response.OTHER_SANCTION
            state["response"] = {**response, "code": code.value}
        state.update(recommendation=False, term_outcome=None)


REVOKED_OUTCOMES = (DischargeOutcome.REVOKED_TECHNICAL, DischargeOutcome.REVOKED_NEW_OFFENCE)


class DispositionRecorded(ClientEvent):
    """Where a violation's new offence stands in court (pending, convicted, dismissed,
    acquitted), with its type once known. May be recorded after the term has ended; the
    latest by date holds."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("disposition.raw_text", "offence_type.raw_text")

    violation_id: Name
    disposition: Coded[Disposition]
    offence_type: Coded[OffenceType] | None = None


class IncentiveGranted(ClientEvent):
    """A reward for compliance (reduced reporting, curfew lifted, a commendation...)."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("kind.raw_text", "note")

    kind: Coded[Incentive]
    note: Text | None = None


class Discharged(ClientEvent):
    """The term ends. Version 2 adds `decision`: a revoked outcome cites the violation whose
    revocation decision (recorded before revocation decisions ended terms) it carries out."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("note", "outcome.raw_text")
    class_version: ClassVar[int] = 2

    outcome: Coded[DischargeOutcome]
    note: Text | None = None
    decision: Name | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["decision"] = None


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


# Text that is not personal data, and why it may stay readable after a seal: by field name
# (any event) or `Event.path`. Everything else that is text is listed in `PERSONAL`.
PLAIN_TEXT: dict[str, str] = {
    "recorded_by": "the staff member who recorded the event, not the client: audit needs it",
    "previous_hash": "the hash chain: a hex digest of the stored (encrypted) form",
    "event_hash": "the hash chain: a hex digest of the stored (encrypted) form",
    "originator_topic": "the aggregate's class, the same for every client",
    "client_ref": "the agency's reference, the record's key (agencies must not put names in "
    "it; de-identified exports replace it by a pseudonym)",
    "agency": "the supervising agency: staff and place, not the client; reports count by it",
    "officer": "the responsible officer: staff, not the client; reports and projections use it",
    "instrument": "a code from the list of assessment tools (ORAS, LSI-R) or `other`: the "
    "name of any other tool goes in `instrument_name`, which is personal",
    "referral_id": "an id the ledger assigns in order (R1, R2, ...)",
    "violation_id": "an id the ledger assigns in order (V1, V2, ...)",
    "goal_id": "an id the ledger assigns in order (G1, G2, ...; G<event>.<n> for goals of "
    "plans recorded before goals kept their identity)",
    "CasePlanRevised.goals.goal_id": "an id the ledger assigns (G1, G2, ...)",
    "CasePlanApproved.goals": "the goal ids (G1, G2, ...) the approval covers: ids the ledger "
    "assigns",
    "volunteer_id": "a registered volunteer's id, which the ledger assigns (VOL1, VOL2, ...): "
    "the volunteer's personal data lies under its own key, on its own record",
    "ProgrammeEnrolled.service.raw_text": "always empty: the service is the programme's, "
    "recorded as a code alone (Client.enrol_in_programme sets no wording)",
    "programme": "the agency's name for one of its group programmes (`programme add`), which "
    "staff give it and reports count by: it names a programme, never a client",
    "ViolationResponded.term_outcome": "a code the ledger derives (revoked_technical or "
    "revoked_new_offence), never typed: reports count terminations by it",
    "Discharged.decision": "the violation id (V1, V2, ...) whose revocation decision the "
    "discharge carries out: an id the ledger assigns",
    "ClientSealed.reference": "the seal's audit reference (a court order's number, a request's "
    "id): it must stay readable once the key is gone, so it must name no one",
    "ClientSealed.ground.raw_text": "the seal takes no agency wording for its ground (the "
    "command sets none), and nothing recorded after a seal can be erased",
}


EVENT_CLASSES: tuple[type[ClientEvent], ...] = (
    Enrolled,
    TermStarted,
    Reassigned,
    LevelChanged,
    ConditionsChanged,
    CustodyStarted,
    CustodyEnded,
    Absconded,
    Returned,
    Assessed,
    CasePlanRevised,
    GoalAdded,
    GoalProgressed,
    GoalReordered,
    CasePlanApproved,
    Referred,
    ReferralUpdated,
    ContactLogged,
    VolunteerMatched,
    VolunteerMatchEnded,
    ProgrammeEnrolled,
    ProgrammeSessionAttended,
    ProgrammeSessionMissed,
    ProgrammeEnded,
    ViolationRecorded,
    ViolationResponded,
    DispositionRecorded,
    IncentiveGranted,
    Discharged,
    Corrected,
    ClientSealed,
)
