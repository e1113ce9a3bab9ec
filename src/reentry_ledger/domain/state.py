"""A client's case as it stands: a pure fold over its effective events.

Effective events are those not retracted, taken in order of effect (`occurred_on`, then number),
so a backdated event takes its place in the story rather than at the end of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import singledispatchmethod

from reentry_ledger.domain.codes import (
    DischargeOutcome,
    ReferralStatus,
    RiskLevel,
    ViolationCategory,
)
from reentry_ledger.domain.events import (
    Absconded,
    Assessed,
    CasePlanRevised,
    ClientEvent,
    ClientSealed,
    ConditionsChanged,
    ContactLogged,
    Corrected,
    CustodyEnded,
    CustodyStarted,
    Discharged,
    DispositionRecorded,
    Enrolled,
    Goal,
    IncentiveGranted,
    LevelChanged,
    Reassigned,
    ReferralUpdated,
    Referred,
    Returned,
    TermStarted,
    ViolationRecorded,
    ViolationResponded,
    VolunteerMatched,
    VolunteerMatchEnded,
)
from reentry_ledger.domain.revocation import attributed, revoked_outcome

CLOSED_REFERRAL = {ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.DROPPED}


@dataclass
class ReferralState:
    referral_id: str
    service: str
    provider: str | None
    made_on: date
    status: ReferralStatus = ReferralStatus.MADE
    status_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_REFERRAL

    @property
    def last_changed_on(self) -> date:
        return self.status_on or self.made_on


@dataclass
class ResponseState:
    response: str
    occurred_on: date
    custody_days: int | None
    decided_by: str
    number: int = 0
    recommendation: bool = False
    ends_term: bool = False


@dataclass
class ViolationState:
    violation_id: str
    occurred_on: date
    category: ViolationCategory
    technical: list[str]
    absconding: bool
    new_offence: str | None
    violent: bool
    basis: str | None = None
    offence_type: str | None = None  # the latest disposition's, else the recorded one
    responses: list[ResponseState] = field(default_factory=list)  # in order of effect
    dispositions: list[tuple[date, str]] = field(default_factory=list)  # in order of effect

    @property
    def decision(self) -> ResponseState | None:
        """The final decision (one per violation), if it has been made."""
        return next((r for r in self.responses if not r.recommendation), None)

    @property
    def recommendations(self) -> list[ResponseState]:
        return [r for r in self.responses if r.recommendation]

    @property
    def disposition(self) -> str | None:
        return self.dispositions[-1][1] if self.dispositions else None


@dataclass
class MatchState:
    volunteer: str
    matched_on: date
    ended_on: date | None = None
    ending: str | None = None


@dataclass
class StatusPeriod:
    """A stretch of a term in custody or absconded: from `since` through the day before
    `until` (None: still open). The client is at risk again on the day of release or return."""

    kind: str  # "custody" or "absconded"
    since: date
    reason: str | None = None  # custody's reason code
    until: date | None = None
    # Closed by the term's end rather than by a release or return: it then runs through the
    # term's last day, `until` (the discharge's date) included.
    closed_by_term: bool = False


@dataclass
class TermState:
    """One term of supervision, as it stands: the values it started with, and its end."""

    term: int
    start: date
    agency: str
    officer: str
    supervision: str
    expected_end: date | None
    start_reason: str | None = None
    ended_on: date | None = None
    outcome: str | None = None
    revoked_by: str | None = None  # the violation whose revocation decision ended the term


@dataclass
class CaseState:
    """The client as it stands. `agency`, `officer`, `supervision`, `start`, `expected_end`,
    `conditions`, `level` and the outcome are the current (latest) term's."""

    ref: str
    name: str | None
    agency: str
    officer: str
    supervision: str
    juvenile: bool
    start: date
    expected_end: date | None
    conditions: list[str]
    status: str = "active"  # active, in_custody, absconded or discharged
    term: int = 1
    terms: list[TermState] = field(default_factory=list)
    level: str | None = None
    periods: list[StatusPeriod] = field(default_factory=list)
    sex: str | None = None  # personal data: as stored (encrypted) until a read reveals them
    race: str | None = None
    ethnicity: str | None = None
    birth_year: str | None = None
    risk_level: RiskLevel | None = None
    assessed_on: date | None = None
    needs: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    referrals: dict[str, ReferralState] = field(default_factory=dict)
    contacts: int = 0
    matches: list[MatchState] = field(default_factory=list)
    violations: dict[str, ViolationState] = field(default_factory=dict)
    incentives: list[tuple[date, str]] = field(default_factory=list)
    sealed: bool = False
    outcome: DischargeOutcome | None = None
    discharged_on: date | None = None
    last_effective_on: date | None = None

    @property
    def is_discharged(self) -> bool:
        return self.outcome is not None

    @property
    def current_term(self) -> TermState:
        return self.terms[-1]

    def open_period(self, kind: str) -> StatusPeriod | None:
        """The term's custody or absconding period still running, if there is one."""
        for period in reversed(self.periods):
            if period.kind == kind:
                return period if period.until is None else None
        return None

    def last_period(self, kind: str) -> StatusPeriod | None:
        return next((p for p in reversed(self.periods) if p.kind == kind), None)

    def _status(self) -> None:
        if self.outcome is not None:
            self.status = "discharged"
        elif self.open_period("custody"):
            self.status = "in_custody"
        elif self.open_period("absconded"):
            self.status = "absconded"
        else:
            self.status = "active"

    @property
    def active_match(self) -> MatchState | None:
        current = self.matches[-1] if self.matches else None
        return current if current is not None and current.ended_on is None else None

    @singledispatchmethod
    def fold(self, event: ClientEvent) -> None:
        raise TypeError(f"no state change defined for {type(event).__name__}")

    @fold.register
    def _(self, event: Assessed) -> None:
        self.risk_level = event.risk_level.code
        self.assessed_on = event.occurred_on
        self.needs = [need.code.value for need in event.needs]

    @fold.register
    def _(self, event: CasePlanRevised) -> None:
        self.goals = sorted(event.goals, key=lambda goal: goal.priority)

    @fold.register
    def _(self, event: Referred) -> None:
        self.referrals[event.referral_id] = ReferralState(
            event.referral_id, event.service.code.value, event.provider, event.occurred_on
        )

    @fold.register
    def _(self, event: ReferralUpdated) -> None:
        referral = self.referrals.get(event.referral_id)
        if referral is not None:
            referral.status = event.status.code
            referral.status_on = event.occurred_on

    @fold.register
    def _(self, event: ContactLogged) -> None:
        self.contacts += 1

    @fold.register
    def _(self, event: VolunteerMatched) -> None:
        self.matches.append(MatchState(event.volunteer, event.occurred_on))

    @fold.register
    def _(self, event: VolunteerMatchEnded) -> None:
        match = self.active_match
        if match is not None:
            match.ended_on = event.occurred_on
            match.ending = event.ending.code.value

    @fold.register
    def _(self, event: ViolationRecorded) -> None:
        offence = event.new_offence
        self.violations[event.violation_id] = ViolationState(
            violation_id=event.violation_id,
            occurred_on=event.occurred_on,
            category=event.category,
            technical=[breach.code.value for breach in event.technical],
            absconding=event.absconding,
            new_offence=offence.severity.code.value if offence else None,
            violent=bool(offence and offence.violent),
            basis=offence.basis.code.value if offence and offence.basis else None,
            offence_type=(
                offence.offence_type.code.value if offence and offence.offence_type else None
            ),
        )

    @fold.register
    def _(self, event: ViolationResponded) -> None:
        violation = self.violations.get(event.violation_id)
        if violation is None:
            return
        violation.responses.append(
            ResponseState(
                event.response.code.value,
                event.occurred_on,
                event.custody_days,
                event.decided_by.code.value,
                event.number,
                event.recommendation,
                event.ends_term,
            )
        )
        if event.term_outcome is not None and self.outcome is None:
            self.end_term(event.occurred_on, event.term_outcome)
            self.current_term.revoked_by = violation.violation_id

    def revoked_outcome(self, decided_on: date, named: ViolationState) -> DischargeOutcome:
        """The outcome of the term revoked on `decided_on`, as the record stands: by the most
        serious violation of the term in the window before the decision, else the one named
        (domain/revocation.py)."""
        category = attributed(
            decided_on,
            self.start,
            ((v.occurred_on, v.category.value) for v in self.violations.values()),
        )
        return revoked_outcome(category or named.category.value)

    @fold.register
    def _(self, event: DispositionRecorded) -> None:
        violation = self.violations.get(event.violation_id)
        if violation is not None:
            violation.dispositions.append((event.occurred_on, event.disposition.code.value))
            if event.offence_type is not None:
                violation.offence_type = event.offence_type.code.value

    @fold.register
    def _(self, event: IncentiveGranted) -> None:
        self.incentives.append((event.occurred_on, event.kind.code.value))

    @fold.register
    def _(self, event: ClientSealed) -> None:
        self.sealed = True

    @fold.register
    def _(self, event: Discharged) -> None:
        self.end_term(event.occurred_on, event.outcome.code)

    def end_term(self, on: date, outcome: DischargeOutcome) -> None:
        """The current term ends on `on` (a discharge, or a revocation decision)."""
        self.outcome = outcome
        self.discharged_on = on
        term = self.current_term
        term.ended_on, term.outcome = on, outcome.value
        for period in self.periods:  # a period still open ends with the term
            if period.until is None:
                period.until, period.closed_by_term = on, True
        self._status()

    @property
    def revoked_by(self) -> str | None:
        """The violation whose revocation decision ended the current term, if one did."""
        return self.current_term.revoked_by if self.is_discharged else None

    @fold.register
    def _(self, event: TermStarted) -> None:
        self.start_term(event)

    @fold.register
    def _(self, event: Reassigned) -> None:
        self.agency, self.officer = event.agency, event.officer

    @fold.register
    def _(self, event: LevelChanged) -> None:
        self.level = event.level.code.value

    @fold.register
    def _(self, event: ConditionsChanged) -> None:
        removed = {condition.code.value for condition in event.removed}
        kept = [condition for condition in self.conditions if condition not in removed]
        added = [c.code.value for c in event.added if c.code.value not in kept]
        self.conditions = kept + added

    @fold.register
    def _(self, event: CustodyStarted) -> None:
        self.begin_period("custody", event.occurred_on, event.reason.code.value)

    @fold.register
    def _(self, event: CustodyEnded) -> None:
        self.end_period("custody", event.occurred_on)

    @fold.register
    def _(self, event: Absconded) -> None:
        self.begin_period("absconded", event.occurred_on)

    @fold.register
    def _(self, event: Returned) -> None:
        self.end_period("absconded", event.occurred_on)

    def start_term(self, event: Enrolled | TermStarted) -> None:
        """A term's values become the current ones; nothing of the last term's status runs on."""
        self.agency, self.officer = event.agency, event.officer
        self.supervision = event.supervision.code.value
        self.start, self.expected_end = event.occurred_on, event.expected_end
        self.conditions = [condition.code.value for condition in event.conditions]
        self.level, self.outcome, self.discharged_on = None, None, None
        reason = event.start_reason.code.value if event.start_reason else None
        term = self.term = len(self.terms) + 1
        self.terms.append(
            TermState(
                term,
                event.occurred_on,
                event.agency,
                event.officer,
                self.supervision,
                event.expected_end,
                reason,
            )
        )
        self._status()

    def begin_period(self, kind: str, on: date, reason: str | None = None) -> None:
        if self.open_period(kind) is None and self.outcome is None:
            self.periods.append(StatusPeriod(kind, on, reason))
        self._status()

    def end_period(self, kind: str, on: date) -> None:
        period = self.open_period(kind)
        if period is not None:
            period.until = on
        self._status()


def effective_order(events: Iterable[ClientEvent]) -> list[ClientEvent]:
    """Events in order of effect: by date, then by number for events of the same day."""
    return sorted(events, key=lambda event: (event.occurred_on, event.originator_version))


def case_state(enrolled: Enrolled, effective: Iterable[ClientEvent]) -> CaseState:
    """Fold the enrolment and the client's other effective (non-retracted) events."""
    person = enrolled.person
    state = CaseState(
        ref=enrolled.client_ref,
        name=enrolled.name,
        agency=enrolled.agency,
        officer=enrolled.officer,
        supervision=enrolled.supervision.code.value,
        juvenile=enrolled.juvenile,
        start=enrolled.occurred_on,
        expected_end=enrolled.expected_end,
        conditions=[],
        last_effective_on=enrolled.occurred_on,
        sex=person.sex.code if person.sex else None,
        race=person.race.code if person.race else None,
        ethnicity=person.ethnicity.code if person.ethnicity else None,
        birth_year=person.birth_year,
    )
    state.start_term(enrolled)
    for event in effective_order(effective):
        if not isinstance(event, (Enrolled, Corrected)):
            fold_last(state, event)
    return state


def takes_last_place(state: CaseState, event: ClientEvent) -> bool:
    """Whether a new event falls after every event the state holds, in order of effect:
    then folding it into the state gives what folding the whole history again would."""
    return not isinstance(event, Corrected) and (
        state.last_effective_on is None or event.occurred_on >= state.last_effective_on
    )


def fold_last(state: CaseState, event: ClientEvent) -> None:
    FOLD.dispatch(type(event))(state, event)
    state.last_effective_on = max(state.last_effective_on or event.occurred_on, event.occurred_on)


# The fold's dispatcher, called directly: a singledispatchmethod builds a new bound wrapper on
# every attribute access, which dominated the cost of folding a long history.
FOLD = CaseState.__dict__["fold"].dispatcher
