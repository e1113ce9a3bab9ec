"""A client's case as it stands: a pure fold over its effective events.

Effective events are those not retracted, taken in order of effect (`occurred_on`, then number),
so a backdated event takes its place in the story rather than at the end of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import singledispatchmethod

from reentry_ledger.domain.codes import (
    CLIENT_CONTACTS,
    CLOSED_GOAL,
    INTAKE_ASSESSMENT_DAYS,
    REASSESSMENT_MONTHS,
    DischargeOutcome,
    GoalStatus,
    MatchEnding,
    ProgrammeOutcome,
    ReferralStatus,
    RiskLevel,
    ViolationCategory,
)
from reentry_ledger.domain.events import (
    Absconded,
    Assessed,
    CasePlanApproved,
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
    GoalAdded,
    GoalProgressed,
    GoalReordered,
    IncentiveGranted,
    LevelChanged,
    ProgrammeEnded,
    ProgrammeEnrolled,
    ProgrammeSessionAttended,
    ProgrammeSessionMissed,
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
class GoalState:
    """One goal of a term's case plan. `description` is personal: as stored (encrypted)
    until a read reveals it."""

    goal_id: str
    term: int
    need: str
    description: str
    added_on: date
    number: int  # the event that added it
    target: date | None = None
    status: GoalStatus = GoalStatus.NOT_STARTED
    status_on: date | None = None
    progress: list[tuple[date, str, int]] = field(default_factory=list)  # (on, status, event)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_GOAL

    @property
    def last_changed_on(self) -> date:
        return self.status_on or self.added_on

    def overdue_on(self, day: date) -> bool:
        """Past its target on `day` and not achieved (an abandoned goal is not overdue)."""
        return self.target is not None and self.target < day and self.is_open


@dataclass
class ReferralState:
    referral_id: str
    service: str
    provider: str | None
    made_on: date
    status: ReferralStatus = ReferralStatus.MADE
    status_on: date | None = None
    term: int = 1
    goal_id: str | None = None
    need: str | None = None
    reason: str | None = None  # why it was declined or dropped
    history: list[tuple[date, str]] = field(default_factory=list)  # each status, from made

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
    volunteer: str | None  # the name (personal), for a volunteer not on the register
    matched_on: date
    ended_on: date | None = None
    ending: str | None = None
    volunteer_id: str | None = None  # a registered volunteer's id
    term: int = 1
    needs: list[str] = field(default_factory=list)


@dataclass
class ProgrammeState:
    """A client's place in a group programme."""

    programme: str
    service: str
    enrolled_on: date
    term: int
    attended: list[date] = field(default_factory=list)
    missed: list[date] = field(default_factory=list)
    ended_on: date | None = None
    outcome: str | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def open_on(self, day: date) -> bool:
        """Held on `day`: begun by then, and not ended before it (a session on the day a place
        ended still counts)."""
        return self.enrolled_on <= day and (self.ended_on is None or day <= self.ended_on)


@dataclass
class PlanApproval:
    on: date
    by: str
    number: int
    goals: tuple[str, ...]


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
    assessments: list[tuple[date, str]] = field(default_factory=list)  # (on, risk level)
    goals: dict[str, GoalState] = field(default_factory=dict)  # every term's, by id
    plan: list[str] = field(default_factory=list)  # the current term's goal ids, by priority
    plan_approved: PlanApproval | None = None  # the current term's latest approval
    plan_changed_on: date | None = None  # the current term's latest change of its open goals
    referrals: dict[str, ReferralState] = field(default_factory=dict)
    contacts: int = 0
    contact_log: list[tuple[date, str]] = field(default_factory=list)  # (on, kind), every term
    matches: list[MatchState] = field(default_factory=list)
    programmes: dict[str, ProgrammeState] = field(default_factory=dict)  # latest place each
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

    @property
    def first_day(self) -> date:
        """The current term's first day of its own: its start, or the day after it where the
        term before ended that day (a changeover day, and what is dated on it, is the ending
        term's: docs/metrics.md, "Terms and status periods"; reports/facts.py does the same)."""
        before = self.terms[-2].ended_on if len(self.terms) > 1 else None
        if before is not None and before >= self.start:
            return before + timedelta(days=1)
        return self.start

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
    def plan_goals(self) -> list[GoalState]:
        """The current term's goals, in order of priority (priority = place, from 1)."""
        return [self.goals[goal_id] for goal_id in self.plan]

    @property
    def open_plan(self) -> list[str]:
        """The ids of the current term's open goals, in order of priority."""
        return [goal_id for goal_id in self.plan if self.goals[goal_id].is_open]

    @property
    def plan_approved_as_it_stands(self) -> bool:
        approval = self.plan_approved
        return approval is not None and approval.goals == tuple(self.open_plan)

    @property
    def assessed_in_term(self) -> bool:
        return self.assessed_on is not None and self.assessed_on >= self.start

    @property
    def reassessment_due(self) -> date | None:
        """When the term's next assessment is due: by the risk level the term's latest
        assessment found (REASSESSMENT_MONTHS after it); with none in the term, an intake
        assessment INTAKE_ASSESSMENT_DAYS after its start. None once the term has ended."""
        if self.is_discharged:
            return None
        if not self.assessed_in_term or self.risk_level is None or self.assessed_on is None:
            return self.start + timedelta(days=INTAKE_ASSESSMENT_DAYS)
        return add_months(self.assessed_on, REASSESSMENT_MONTHS[self.risk_level])

    def client_contacts(self, start: date, end: date) -> int:
        """Contacts with the client (not collateral) from `start` through `end`."""
        return sum(1 for on, kind in self.contact_log
                   if start <= on <= end and kind in CLIENT_CONTACTS)  # fmt: skip

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
        self.assessments.append((event.occurred_on, event.risk_level.code.value))

    @fold.register
    def _(self, event: CasePlanRevised) -> None:
        listed = []
        for goal in sorted(event.goals, key=lambda goal: goal.priority):
            if goal.need is not None and goal.description is not None:
                self.goals[goal.goal_id] = GoalState(
                    goal.goal_id, self.term, goal.need.code.value, goal.description,
                    event.occurred_on, event.number,
                )  # fmt: skip
            if goal.goal_id in self.goals and goal.goal_id not in listed:
                listed.append(goal.goal_id)
        rest = [] if event.replaces else [g for g in self.plan if g not in listed]
        self.plan = listed + rest
        self.plan_changed_on = event.occurred_on

    @fold.register
    def _(self, event: GoalAdded) -> None:
        self.goals[event.goal_id] = GoalState(
            event.goal_id, self.term, event.need.code.value, event.description,
            event.occurred_on, event.number, event.target,
        )  # fmt: skip
        place = len(self.plan) if event.priority is None else event.priority - 1
        self.plan.insert(place, event.goal_id)
        self.plan_changed_on = event.occurred_on

    @fold.register
    def _(self, event: GoalProgressed) -> None:
        goal = self.goals.get(event.goal_id)
        if goal is not None:
            goal.status, goal.status_on = event.status.code, event.occurred_on
            goal.progress.append((event.occurred_on, event.status.code.value, event.number))
            if not goal.is_open and event.goal_id in self.plan:
                self.plan_changed_on = event.occurred_on

    @fold.register
    def _(self, event: GoalReordered) -> None:
        if event.goal_id in self.plan:
            self.plan.remove(event.goal_id)
            self.plan.insert(event.priority - 1, event.goal_id)
            self.plan_changed_on = event.occurred_on

    @fold.register
    def _(self, event: CasePlanApproved) -> None:
        self.plan_approved = PlanApproval(
            event.occurred_on, event.recorded_by, event.number, event.goals
        )

    @fold.register
    def _(self, event: Referred) -> None:
        self.referrals[event.referral_id] = ReferralState(
            event.referral_id,
            event.service.code.value,
            event.provider,
            event.occurred_on,
            term=self.term,
            goal_id=event.goal_id,
            need=event.need.code.value if event.need else None,
            history=[(event.occurred_on, ReferralStatus.MADE.value)],
        )

    @fold.register
    def _(self, event: ReferralUpdated) -> None:
        referral = self.referrals.get(event.referral_id)
        if referral is not None:
            referral.status = event.status.code
            referral.status_on = event.occurred_on
            referral.reason = event.reason.code.value if event.reason else None
            referral.history.append((event.occurred_on, event.status.code.value))

    @fold.register
    def _(self, event: ContactLogged) -> None:
        self.contacts += 1
        self.contact_log.append((event.occurred_on, event.kind.code.value))

    @fold.register
    def _(self, event: VolunteerMatched) -> None:
        self.matches.append(
            MatchState(
                event.volunteer,
                event.occurred_on,
                volunteer_id=event.volunteer_id,
                term=self.term,
                needs=[need.code.value for need in event.needs],
            )
        )

    @fold.register
    def _(self, event: ProgrammeEnrolled) -> None:
        self.programmes[event.programme] = ProgrammeState(
            event.programme, event.service.code.value, event.occurred_on, self.term
        )

    @fold.register
    def _(self, event: ProgrammeSessionAttended) -> None:
        place = self.programmes.get(event.programme)
        if place is not None:
            place.attended.append(event.occurred_on)

    @fold.register
    def _(self, event: ProgrammeSessionMissed) -> None:
        place = self.programmes.get(event.programme)
        if place is not None:
            place.missed.append(event.occurred_on)

    @fold.register
    def _(self, event: ProgrammeEnded) -> None:
        place = self.programmes.get(event.programme)
        if place is not None and place.is_open:
            place.ended_on, place.outcome = event.occurred_on, event.outcome.code.value

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
            self.first_day,
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
        match = self.active_match  # so do a volunteer match and programme places
        if match is not None:
            match.ended_on, match.ending = on, MatchEnding.TERM_ENDED.value
        for place in self.programmes.values():
            if place.is_open:
                place.ended_on, place.outcome = on, ProgrammeOutcome.TERM_ENDED.value
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
        self.plan, self.plan_approved = [], None  # each term has its own case plan
        self.plan_changed_on = None
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


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


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
