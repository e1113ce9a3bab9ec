"""The client aggregate: one per person under supervision, identified by the agency's reference.

Each command checks the rules against the case as it stands, then records exactly one event.
A refused command raises a domain error before anything is recorded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from copy import copy
from datetime import date
from typing import Any, cast

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from reentry_ledger.domain.codes import (
    CUSTODY_RESPONSES,
    DEFAULT_CUSTODY_CAPS,
    AgeBand,
    DecidingBody,
    DischargeOutcome,
    Ethnicity,
    GoalStatus,
    Instrument,
    MatchEnding,
    Need,
    ProgrammeOutcome,
    Race,
    ReferralReason,
    ReferralStatus,
    Response,
    Sex,
    ViolationCategory,
    age_band,
    values,
)
from reentry_ledger.domain.errors import InvalidInput, NotOnRecord, RuleViolated
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
    check_expected_end,
)
from reentry_ledger.domain.integrity import chained
from reentry_ledger.domain.recording import (
    Stamp,
    checked_event,
    finished,
    keep,
    protected,
    validated,
)
from reentry_ledger.domain.references import client_id
from reentry_ledger.domain.state import CaseState, case_state, fold_last, takes_last_place

NEXT_REFERRAL_STATUSES: dict[ReferralStatus, set[ReferralStatus]] = {
    ReferralStatus.MADE: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED},
    ReferralStatus.ACCEPTED: {ReferralStatus.STARTED, ReferralStatus.DROPPED},
    ReferralStatus.STARTED: {ReferralStatus.COMPLETED, ReferralStatus.DROPPED},
}


CodedInput = dict[str, Any]  # {"code": one of our codes, "raw_text": the agency's wording}
# A plan revision's item: a new goal (need, description), or the id of a goal to move.
GoalInput = tuple[CodedInput, str] | str
GOAL_ID = re.compile(r"G[0-9]+(\.[0-9]+)?")
ENDINGS_NEEDING_REASON = (ReferralStatus.DECLINED, ReferralStatus.DROPPED)


def parse_goal(text: str) -> GoalInput:
    """A goal as the CLI and imports take it: NEED:description, a new goal; or a goal's id
    (G3), a goal already on the plan to move to this place."""
    if GOAL_ID.fullmatch(text.strip()):
        return text.strip()
    need, _, description = text.partition(":")
    if need not in values(Need) or not description.strip():
        raise InvalidInput(
            f"goal {text!r} must be NEED:description (NEED one of {', '.join(values(Need))}), "
            "or the id of a goal on the plan (G1, G2, ...) to move it to this place"
        )
    return coded(need), description.strip()


def coded(code: str, raw_text: str | None = None) -> dict[str, Any]:
    """A coded value as the events take it: our code, and the agency's wording beside it."""
    return {"code": code, "raw_text": raw_text}


def recorded_order(violation: Any) -> tuple[date, int, str]:
    """Violations in the order they took effect, those of one day in the order recorded: by
    the number in their ids (V9 before V10, which their text sorts after)."""
    number = violation.violation_id.removeprefix("V")
    return violation.occurred_on, int(number) if number.isdigit() else 0, violation.violation_id


class Client(Aggregate):
    def __init__(self) -> None:
        self.history: list[ClientEvent] = []
        self.retracted: dict[int, int] = {}
        self._state: CaseState | None = None

    # --- creation --------------------------------------------------------------------------

    @classmethod
    def enroll(
        cls,
        ref: str,
        stamp: Stamp,
        *,
        agency: str,
        officer: str,
        supervision: CodedInput,
        conditions: Sequence[CodedInput] = (),
        expected_end: date | None = None,
        juvenile: bool = False,
        details: dict[str, str] | None = None,
        name: str | None = None,
        start_reason: CodedInput | None = None,
        person: PersonInput | None = None,
        age_band: CodedInput | None = None,
    ) -> Client:
        """The client's first term. `person`: sex, race and ethnicity (coded values) and
        birth_year; `age_band` only where the birth year is not known (an import's band)."""
        check_not_future(stamp)
        check_end_after_start(expected_end, stamp.on)
        who = checked_person(person or {})
        if who.get("birth_year") and int(who["birth_year"]) > stamp.on.year:
            raise InvalidInput.of(
                "birth_year",
                f"birth year {who['birth_year']} is after the start of supervision ({stamp.on})",
            )
        event: Enrolled = validated(
            lambda: Enrolled(
                originator_id=client_id(ref),
                originator_version=cls.INITIAL_VERSION,
                originator_topic=get_topic(cls),
                timestamp=stamp.at or Enrolled.create_timestamp(),
                client_ref=ref,
                occurred_on=stamp.on,
                recorded_by=stamp.by,
                agency=agency,
                officer=officer,
                supervision=supervision,
                conditions=tuple(conditions),
                expected_end=expected_end,
                juvenile=juvenile,
                details=details or {},
                name=name,
                start_reason=start_reason,
                age_band=checked_band(age_band, who.get("birth_year"), stamp.on),
                person=who,
            )
        )
        client = cast(Client, chained(protected(event, stamp), previous_hash="").mutate(None))
        client.pending_events.append(client.history[0])
        return client

    # --- history and state -----------------------------------------------------------------

    def append_to_history(self, event: ClientEvent) -> None:
        self.history.append(event)
        if isinstance(event, Corrected):
            self.retracted[event.corrects] = event.number
        if self._state is not None and takes_last_place(self._state, event):
            fold_last(self._state, event)  # the common case: no need to fold it all again
        else:
            self._state = None

    @property
    def ref(self) -> str:
        return self.enrolment.client_ref

    @property
    def enrolment(self) -> Enrolled:
        return cast(Enrolled, self.history[0])

    @property
    def state(self) -> CaseState:
        if self._state is None:
            self._state = case_state(self.enrolment, self.effective_events())
        return self._state

    def held_through(self, agency: str) -> int | None:
        """The last event an agency may see: every one while it holds the client; for an
        agency that held it before, the event that moved it away (the record as it stood
        then); None for an agency that never held it."""
        holder, left = self.enrolment.agency, {}
        for event in self.effective_events():
            if isinstance(event, TermStarted | Reassigned) and event.agency != holder:
                left[holder], holder = event.number, event.agency
        return len(self.history) if agency == holder else left.get(agency)

    def as_held_by(self, agency: str) -> Client | None:
        """The client as `agency` may see it (see `held_through`), or None."""
        last = self.held_through(agency)
        if last is None or last == len(self.history):
            return None if last is None else self
        view = copy(self)
        view.history = self.history[:last]
        view.retracted = {n: by for n, by in self.retracted.items() if by <= last}
        view._state = None
        return view

    def effective_events(self) -> Iterator[ClientEvent]:
        return (event for event in self.history if event.number not in self.retracted)

    def event(self, number: int) -> ClientEvent:
        if not 1 <= number <= len(self.history):
            raise NotOnRecord(
                f"client {self.ref!r} has no event {number} "
                f"(its events are 1 to {len(self.history)})"
            )
        return self.history[number - 1]

    # --- commands --------------------------------------------------------------------------

    def assess(
        self,
        stamp: Stamp,
        *,
        instrument: str,
        risk_level: CodedInput,
        needs: Sequence[CodedInput] = (),
        score: float | None = None,
        instrument_version: str | None = None,
        responsivity: Sequence[str] = (),
        strengths: Sequence[str] = (),
    ) -> None:
        if not instrument.strip():
            raise InvalidInput.of("instrument", "instrument is blank: name the assessment tool")
        if score is not None and not math.isfinite(score):
            raise InvalidInput.of("score", f"score {score} is not a number")
        known = instrument in values(Instrument)
        self._record(
            Assessed,
            stamp,
            instrument=instrument if known else Instrument.OTHER,
            instrument_name=None if known else instrument,
            instrument_version=instrument_version,
            score=score,
            risk_level=risk_level,
            needs=tuple(needs),
            responsivity=tuple(responsivity),
            strengths=tuple(strengths),
        )

    def revise_plan(
        self, stamp: Stamp, *, goals: Sequence[GoalInput], model: CodedInput | None = None
    ) -> list[str]:
        """The goals given take the plan's first places in their order: (need, description)
        a new goal, a goal id one already on the plan, moved; the rest keep their order after
        them. Returns the ids of the goals as given."""
        plan, ids, seen = [], [], set()
        next_number = self._goal_count() + 1
        for rank, item in enumerate(goals, start=1):
            if isinstance(item, str):
                self._plan_goal(item)
                if item in seen:
                    raise InvalidInput(f"goal {item} is given twice")
                seen.add(item)
                plan.append({"goal_id": item, "priority": rank})
                ids.append(item)
                continue
            need, description = item
            goal_id = f"G{next_number}"
            next_number += 1
            plan.append({"goal_id": goal_id, "priority": rank, "need": need,
                         "description": description.strip()})  # fmt: skip
            ids.append(goal_id)
        self._record(CasePlanRevised, stamp, goals=plan, model=model)
        return ids

    def add_goal(
        self,
        stamp: Stamp,
        *,
        need: CodedInput,
        description: str,
        priority: int | None = None,
        target: date | None = None,
    ) -> str:
        """A new goal at `priority` (its place in the plan, from 1; None: last)."""
        places = len(self.state.plan) + 1
        if priority is not None and not 1 <= priority <= places:
            raise InvalidInput(
                f"priority {priority} is outside the plan: 1 to {places} "
                f"(it has {places - 1} goal(s))"
            )
        goal_id = f"G{self._goal_count() + 1}"
        self._record(GoalAdded, stamp, goal_id=goal_id, need=need,
                     description=description.strip(), priority=priority, target=target)  # fmt: skip
        return goal_id

    def progress_goal(
        self, stamp: Stamp, goal_id: str, *, status: CodedInput, note: str | None = None
    ) -> None:
        """Where a goal stands from `stamp.on`. An achieved or abandoned goal is closed: to
        reopen it, correct the event that closed it."""
        goal = self._plan_goal(goal_id)
        code = status.get("code")
        if code not in values(GoalStatus):
            raise InvalidInput(
                f"status {code!r} is not a goal status: {', '.join(values(GoalStatus))}"
            )
        if not goal.is_open:
            raise RuleViolated(
                f"goal {goal_id} of client {self.ref!r} is {goal.status} since {goal.status_on}: "
                "to reopen it, correct that event"
            )
        check_not_before(stamp, goal.last_changed_on, f"goal {goal_id}'s last change")
        self._record(GoalProgressed, stamp, goal_id=goal_id, status=status,
                     note=note.strip() if note else None)  # fmt: skip

    def reorder_goal(self, stamp: Stamp, goal_id: str, *, priority: int) -> None:
        """Move a goal to place `priority` in the plan (the others shift)."""
        self._plan_goal(goal_id)
        plan = self.state.plan
        if not 1 <= priority <= len(plan):
            raise InvalidInput(f"priority {priority} is outside the plan: 1 to {len(plan)}")
        if plan.index(goal_id) + 1 == priority:
            raise RuleViolated(f"goal {goal_id} is already priority {priority}")
        self._record(GoalReordered, stamp, goal_id=goal_id, priority=priority)

    def approve_plan(self, stamp: Stamp) -> None:
        """A supervisor's approval of the plan as it stands (its open goals, in order)."""
        state = self.state
        if not state.open_plan:
            raise RuleViolated(f"client {self.ref!r} has no open goals in its plan to approve")
        if state.plan_approved_as_it_stands:
            approval = state.plan_approved
            assert approval is not None
            raise RuleViolated(
                f"the plan of client {self.ref!r} was approved as it stands on {approval.on} "
                f"(event {approval.number})"
            )
        if state.plan_changed_on is not None:  # an approval covers the plan of its own date
            check_not_before(stamp, state.plan_changed_on, "the plan's latest change")
        self._record(CasePlanApproved, stamp, goals=tuple(state.open_plan))

    def refer(
        self,
        stamp: Stamp,
        *,
        service: CodedInput,
        provider: str | None = None,
        goal_id: str | None = None,
        need: CodedInput | None = None,
    ) -> str:
        """A referral to a service, serving one of the plan's open goals or a need."""
        if goal_id is not None and need is not None:
            raise InvalidInput("a referral serves a goal (--goal) or a need (--need), not both")
        if goal_id is not None:
            goal = self._plan_goal(goal_id)
            if not goal.is_open:
                raise RuleViolated(f"goal {goal_id} of client {self.ref!r} is {goal.status}")
        referral_id = f"R{self._count(Referred) + 1}"
        self._record(Referred, stamp, referral_id=referral_id, service=service,
                     provider=provider, goal_id=goal_id, need=need)  # fmt: skip
        return referral_id

    def update_referral(
        self,
        stamp: Stamp,
        referral_id: str,
        status: CodedInput,
        reason: CodedInput | None = None,
    ) -> None:
        """A referral's next status; a declined or dropped one says why (`reason`)."""
        code = status.get("code") if isinstance(status, dict) else status
        if code not in values(ReferralStatus):
            raise InvalidInput.of(
                "status",
                f"status {code!r} is not a referral status: {', '.join(values(ReferralStatus))}",
            )
        new_status = ReferralStatus(code)
        ending = new_status in ENDINGS_NEEDING_REASON
        if ending and reason is None:
            raise InvalidInput.of(
                "reason",
                f"a {new_status} referral says why (--reason {'|'.join(values(ReferralReason))})",
            )
        if reason is not None and not ending:
            raise InvalidInput.of(
                "reason", f"a reason goes with a declined or dropped referral, not {new_status}"
            )
        self.check_referral_transition(stamp, referral_id, new_status)
        self._record(ReferralUpdated, stamp, referral_id=referral_id, status=status, reason=reason)

    def log_contact(
        self,
        stamp: Stamp,
        *,
        kind: CodedInput,
        note: str = "",
        confidential: bool = True,
        group_session: str | None = None,
    ) -> None:
        self._record(
            ContactLogged,
            stamp,
            kind=kind,
            note=note,
            confidential=confidential,
            group_session=group_session,
        )

    def match_volunteer(
        self,
        stamp: Stamp,
        *,
        volunteer: str | None = None,
        volunteer_id: str | None = None,
        needs: Sequence[CodedInput] = (),
    ) -> None:
        """A match with a registered volunteer (`volunteer_id`, checked by the application
        against the register) or one named here (`volunteer`)."""
        if (volunteer is None) == (volunteer_id is None):
            raise InvalidInput("a match takes a registered volunteer's id or a name, not both")
        current = self.state.active_match
        if current is not None:
            raise RuleViolated(
                f"client {self.ref!r} is already matched with a volunteer "
                f"since {current.matched_on}; end that match first"
            )
        self._record(VolunteerMatched, stamp, volunteer=volunteer, volunteer_id=volunteer_id,
                     needs=tuple(needs))  # fmt: skip

    def end_volunteer_match(
        self, stamp: Stamp, *, ending: CodedInput, reason: str | None = None
    ) -> None:
        if ending.get("code") == MatchEnding.TERM_ENDED:
            raise InvalidInput("term_ended is the ledger's: a match still open ends with its term")
        current = self.state.active_match
        if current is None:
            raise RuleViolated(f"client {self.ref!r} has no active volunteer match to end")
        check_not_before(stamp, current.matched_on, "the volunteer match")
        self._record(VolunteerMatchEnded, stamp, ending=ending, reason=reason)

    def enrol_in_programme(self, stamp: Stamp, *, programme: str, service: CodedInput) -> None:
        """A place in one of the agency's group programmes (the application checks it exists)."""
        place = self.state.programmes.get(programme)
        if place is not None and place.is_open:
            raise RuleViolated(
                f"client {self.ref!r} already holds a place in programme {programme!r} "
                f"(since {place.enrolled_on})"
            )
        # the programme's service, as a code alone: nothing typed about the client lies in it
        service = {"code": service.get("code"), "raw_text": None}
        self._record(ProgrammeEnrolled, stamp, programme=programme, service=service)

    def record_session(self, stamp: Stamp, *, programme: str, attended: bool) -> None:
        """A session of a programme the client held a place in on the session's date (a late
        entry for a place since ended too): attended, or missed."""
        place = self.state.programmes.get(programme)
        if place is None or not place.open_on(stamp.on):
            until = f" to {place.ended_on}" if place and place.ended_on else ""
            held = f" (its place ran from {place.enrolled_on}{until})" if place else ""
            raise RuleViolated(
                f"client {self.ref!r} held no place in programme {programme!r} on {stamp.on}{held}"
            )
        if stamp.on in place.attended or stamp.on in place.missed:
            raise RuleViolated(
                f"client {self.ref!r}'s session of programme {programme!r} on {stamp.on} is "
                "already recorded (a mistake is corrected on its record)"
            )
        event = ProgrammeSessionAttended if attended else ProgrammeSessionMissed
        self._record(event, stamp, programme=programme)

    def end_programme(self, stamp: Stamp, *, programme: str, outcome: CodedInput) -> None:
        if outcome.get("code") == ProgrammeOutcome.TERM_ENDED:
            raise InvalidInput("term_ended is the ledger's: a place still open ends with its term")
        place = self._open_place(programme)
        check_not_before(stamp, place.enrolled_on, f"the place in programme {programme!r}")
        self._record(ProgrammeEnded, stamp, programme=programme, outcome=outcome)

    def record_violation(
        self,
        stamp: Stamp,
        *,
        technical: Sequence[CodedInput] = (),
        absconding: bool = False,
        new_offence: CodedInput | None = None,
        violent: bool = False,
        basis: CodedInput | None = None,
        offence_type: CodedInput | None = None,
        description: str | None = None,
    ) -> str:
        """One incident; `new_offence` is its severity, and `violent`, `basis` (arrest, charge,
        conviction) and `offence_type` say more of that offence."""
        if new_offence is None and (violent or basis or offence_type):
            field = "violent" if violent else "basis" if basis else "offence_type"
            said = field.replace("_", " ")
            raise InvalidInput.of(
                field, f"{said} describes a new offence: give the new offence too"
            )
        offence = None
        if new_offence is not None:
            offence = {"severity": new_offence, "violent": violent, "basis": basis,
                       "offence_type": offence_type}  # fmt: skip
        violation_id = f"V{self._count(ViolationRecorded) + 1}"
        self._record(
            ViolationRecorded,
            stamp,
            violation_id=violation_id,
            technical=tuple(technical),
            absconding=absconding,
            new_offence=offence,
            description=description,
        )
        return violation_id

    def respond_to_violation(
        self,
        stamp: Stamp,
        violation_id: str,
        *,
        response: CodedInput,
        custody_days: int | None = None,
        decided_by: CodedInput | None = None,
        recommendation: bool = False,
        custody_caps: tuple[int, int] = DEFAULT_CUSTODY_CAPS,
    ) -> None:
        """The officer's recommendation, or the decision on a violation: one decision per
        violation (a reversal or an appeal is a correction of it). A revocation is decided by a
        court or a parole board, and ends the term. `custody_caps`: the agency's caps on the
        custody an officer alone may decide for a first and a later technical violation."""
        violation = self._violation(violation_id)
        if violation.occurred_on < self.state.start:
            raise RuleViolated(
                f"violation {violation_id} of client {self.ref!r} belongs to an earlier term, "
                f"which has ended: responses are to the current term's violations"
            )
        response = self._graduated(response, custody_days)
        code = response.get("code")
        decided_by = decided_by or coded(DecidingBody.OFFICER)
        by_officer = decided_by.get("code") == DecidingBody.OFFICER
        if recommendation and not by_officer:
            raise InvalidInput.of(
                "recommendation",
                f"a recommendation is the officer's, not the {decided_by.get('code')}'s: a "
                "court's or a board's response is its decision (leave out --recommendation)",
            )
        if custody_days is not None and code not in CUSTODY_RESPONSES:
            raise InvalidInput.of(
                "custody_days",
                f"custody days go with a custody_sanction or a revocation, not a {code}",
            )
        decided = violation.decision
        if decided is not None:
            raise RuleViolated(
                f"violation {violation_id} of client {self.ref!r} was already decided "
                f"({decided.response} on {decided.occurred_on}): one decision per violation; "
                "to reverse or amend it, correct that decision's event and record the new one"
            )
        check_not_before(stamp, violation.occurred_on, f"violation {violation_id}")
        if not recommendation and violation.recommendations:  # a decision follows them
            latest = max(r.occurred_on for r in violation.recommendations)
            check_not_before(stamp, latest, f"the recommendation on violation {violation_id}")
        revocation = code == Response.REVOCATION and not recommendation
        if revocation and by_officer:
            raise RuleViolated(
                "a revocation is decided by a court or a parole board (--by court or "
                "--by parole_board): record the officer's as a recommendation (--recommendation)"
            )
        if code == Response.CUSTODY_SANCTION and by_officer and not recommendation:
            self._check_custody_cap(violation, custody_days, custody_caps)
        if revocation:
            self.check_open()
            self._check_last_of_term(stamp)
        self._record(
            ViolationResponded,
            stamp,
            violation_id=violation_id,
            response=response,
            custody_days=custody_days,
            decided_by=decided_by,
            recommendation=recommendation,
            term_outcome=(self.state.revoked_outcome(stamp.on, violation) if revocation else None),
        )

    def record_disposition(
        self,
        stamp: Stamp,
        violation_id: str,
        *,
        disposition: CodedInput,
        offence_type: CodedInput | None = None,
    ) -> None:
        """Where a violation's new offence stands in court: may come after the term ended."""
        violation = self._violation(violation_id)
        if violation.new_offence is None:
            raise RuleViolated(
                f"violation {violation_id} of client {self.ref!r} records no new offence: "
                "only a new offence has a disposition"
            )
        check_not_future(stamp)
        check_not_before(stamp, violation.occurred_on, f"violation {violation_id}")
        self._record(
            DispositionRecorded,
            stamp,
            allowed_after_discharge=True,
            within_term=False,
            violation_id=violation_id,
            disposition=disposition,
            offence_type=offence_type,
        )

    def grant_incentive(self, stamp: Stamp, *, kind: CodedInput, note: str | None = None) -> None:
        """A reward for compliance, counted beside the sanctions."""
        self._record(IncentiveGranted, stamp, kind=kind, note=note)

    def discharge(
        self,
        stamp: Stamp,
        *,
        outcome: CodedInput,
        note: str | None = None,
        decision: str | None = None,
    ) -> None:
        """The term ends. A revoked outcome comes from a revocation decision: one decided
        now ends the term itself, so a discharge only carries out (cites, `decision`) one
        recorded before decisions ended terms."""
        self.check_open()
        code = outcome.get("code")
        revoked = code in (DischargeOutcome.REVOKED_TECHNICAL, DischargeOutcome.REVOKED_NEW_OFFENCE)
        if decision is not None and not revoked:
            raise InvalidInput.of(
                "decision", f"a {code} discharge cites no decision: only a revoked outcome does"
            )
        if revoked:
            self._check_cited_decision(decision)
        self._check_last_of_term(stamp)
        self._record(Discharged, stamp, outcome=outcome, note=note, decision=decision)

    def start_term(
        self,
        stamp: Stamp,
        *,
        agency: str,
        officer: str,
        supervision: CodedInput,
        conditions: Sequence[CodedInput] = (),
        expected_end: date | None = None,
        start_reason: CodedInput | None = None,
        age_band: CodedInput | None = None,
    ) -> None:
        """A later term, once every earlier one has ended (by a discharge)."""
        state = self.state
        if not state.is_discharged:
            raise RuleViolated(
                f"client {self.ref!r} is already enrolled and still under supervision (term "
                f"{state.term}, since {state.start}): a new term starts only after this one ends"
            )
        self.check_not_sealed()
        assert state.discharged_on is not None
        check_not_before(stamp, state.discharged_on, f"the end of term {state.term}")
        check_end_after_start(expected_end, stamp.on)
        self._record(
            TermStarted,
            stamp,
            allowed_after_discharge=True,
            term=state.term + 1,
            agency=agency,
            officer=officer,
            supervision=supervision,
            conditions=tuple(conditions),
            expected_end=expected_end,
            start_reason=start_reason,
            age_band=checked_band(age_band),
        )

    def reassign(self, stamp: Stamp, *, officer: str, agency: str | None = None) -> bool:
        """The caseload moves to `officer` (of `agency`, if the case moves to another
        agency). Returns whether the agency changed."""
        state = self.state
        self.check_open()
        agency = agency or state.agency
        if (officer, agency) == (state.officer, state.agency):
            raise RuleViolated(
                f"client {self.ref!r} is already with officer {officer!r} of agency {agency!r}"
            )
        moved = agency != state.agency
        self._check_status_date(stamp)
        self._record(Reassigned, stamp, officer=officer, agency=agency)
        return moved

    def change_level(self, stamp: Stamp, *, level: CodedInput) -> None:
        self.check_open()
        if level.get("code") == self.state.level:
            raise RuleViolated(f"client {self.ref!r} is already at level {self.state.level}")
        self._check_status_date(stamp)
        self._record(LevelChanged, stamp, level=level)

    def change_conditions(
        self,
        stamp: Stamp,
        *,
        add: Sequence[CodedInput] = (),
        remove: Sequence[CodedInput] = (),
    ) -> None:
        """A court or board order: conditions added to and removed from the term's."""
        self.check_open()
        for side, conditions in (("add", add), ("remove", remove)):
            if any(not condition.get("code") for condition in conditions):
                raise InvalidInput(f"each condition to {side} names its code (and may give "
                                   "the agency's wording as raw_text)")  # fmt: skip
        both = sorted({str(c.get("code")) for c in add} & {str(c.get("code")) for c in remove})
        if both or not (add or remove):
            raise InvalidInput(
                f"a change of conditions adds or removes each condition once, not both: "
                f"{', '.join(both)}"
                if both
                else "a change of conditions adds or removes at least one condition"
            )
        current = set(self.state.conditions)
        present = sorted(c["code"] for c in add if c.get("code") in current)
        if present:
            raise RuleViolated(f"client {self.ref!r} already has condition(s) {', '.join(present)}")
        absent = sorted(c["code"] for c in remove if c.get("code") not in current)
        if absent:
            held = ", ".join(self.state.conditions) or "none"
            raise RuleViolated(
                f"client {self.ref!r} has no condition {', '.join(absent)} to remove "
                f"(its conditions: {held})"
            )
        self._check_status_date(stamp)
        self._record(ConditionsChanged, stamp, added=tuple(add), removed=tuple(remove))

    def start_custody(self, stamp: Stamp, *, reason: CodedInput) -> None:
        self._check_can_begin("custody", stamp)
        self._record(CustodyStarted, stamp, reason=reason)

    def end_custody(self, stamp: Stamp) -> None:
        self._check_can_end("custody", stamp)
        self._record(CustodyEnded, stamp)

    def abscond(self, stamp: Stamp) -> None:
        self._check_can_begin("absconded", stamp)
        self._record(Absconded, stamp)

    def return_(self, stamp: Stamp) -> None:
        self._check_can_end("absconded", stamp)
        self._record(Returned, stamp)

    def seal(self, stamp: Stamp, *, ground: CodedInput, reference: str) -> None:
        """Record that the client's personal data is erased; its key is destroyed with it.
        The ground (a code) and the reference stay readable: they are the seal's audit trail."""
        self._record(
            ClientSealed,
            stamp,
            allowed_after_discharge=True,
            ground=ground,
            reference=reference.strip(),
        )

    def correct(self, stamp: Stamp, number: int, reason: str) -> None:
        self.check_correctable(number)
        self._record(
            Corrected,
            stamp,
            corrects=number,
            reason=reason.strip(),
            allowed_after_discharge=True,
        )

    # --- rules -----------------------------------------------------------------------------

    def check_open(self) -> None:
        state = self.state
        if state.revoked_by is not None:
            raise RuleViolated(
                f"client {self.ref!r}: term {state.term} was revoked on {state.discharged_on} "
                f"(the decision on violation {state.revoked_by}); only corrections may be "
                "recorded, and correcting that decision (a reinstatement) reopens the term"
            )
        if state.is_discharged:
            raise RuleViolated(
                f"client {self.ref!r} was discharged on {state.discharged_on} "
                f"({state.outcome}); only corrections may be recorded"
            )

    def check_not_sealed(self) -> None:
        if self.state.sealed:
            raise RuleViolated(f"client {self.ref!r} is sealed: nothing more may be recorded")

    def check_within_supervision(self, stamp: Stamp) -> None:
        check_not_future(stamp)
        state = self.state
        if state.term == 1:
            check_not_before(stamp, self.enrolment.occurred_on, "enrolment")
        else:
            check_not_before(stamp, state.start, f"the start of term {state.term}")

    def check_referral_transition(
        self, stamp: Stamp, referral_id: str, new_status: ReferralStatus
    ) -> None:
        referral = self.state.referrals.get(referral_id)
        if referral is None:
            raise NotOnRecord(
                f"client {self.ref!r} has no referral {referral_id!r}"
                f"{self._known('referrals', self.state.referrals)}"
            )
        allowed = NEXT_REFERRAL_STATUSES.get(referral.status, set())
        if new_status not in allowed:
            after = ", ".join(sorted(allowed)) if allowed else "nothing (it is closed)"
            raise RuleViolated(
                f"referral {referral_id} is {referral.status}: it can become {after}, "
                f"not {new_status}"
            )
        check_not_before(stamp, referral.last_changed_on, f"referral {referral_id}'s last change")

    def check_correctable(self, number: int) -> None:
        target = self.event(number)
        if isinstance(target, Enrolled):
            raise RuleViolated("the enrolment (event 1) cannot be retracted")
        if isinstance(target, Corrected):
            raise RuleViolated(f"event {number} is itself a correction and cannot be retracted")
        if number in self.retracted:
            raise RuleViolated(
                f"event {number} was already retracted by event {self.retracted[number]}"
            )
        if isinstance(target, ViolationRecorded):
            self._check_no_standing_revocation(target)
        ends_term = isinstance(target, ViolationResponded) and target.ends_term
        if isinstance(target, TermStarted | Discharged) or ends_term:
            later = [
                event.number
                for event in self.effective_events()
                if event.number > number and not isinstance(event, AFTER_A_TERM)
            ]
            if later:
                what = (
                    "a term's start"
                    if isinstance(target, TermStarted)
                    else "a revocation decision"
                    if ends_term
                    else "a discharge"
                )
                raise RuleViolated(
                    f"event {number} is {what}, and events {', '.join(map(str, later))} were "
                    "recorded after it: retract those first, latest first"
                )

    def _check_no_standing_revocation(self, violation: ViolationRecorded) -> None:
        """A violation whose revocation decision ended its term is retracted only after that
        decision: retracting it first would reopen the term in the case but not undo the end
        the decision recorded."""
        for event in self.effective_events():
            if (
                isinstance(event, ViolationResponded)
                and event.ends_term
                and event.violation_id == violation.violation_id
            ):
                raise RuleViolated(
                    f"violation {violation.violation_id} (event {violation.number}) was revoked "
                    f"by the decision of event {event.number}, which ended its term: correct "
                    f"that decision first (a reinstatement), then the violation"
                )

    def _plan_goal(self, goal_id: str) -> Any:
        """A goal of the current term's plan."""
        goal = self.state.goals.get(goal_id)
        if goal is None or goal_id not in self.state.plan:
            if goal is not None and goal.term != self.state.term:
                raise RuleViolated(
                    f"goal {goal_id} of client {self.ref!r} belongs to term {goal.term}, which "
                    "has ended: each term has its own plan"
                )
            if goal is not None:
                raise RuleViolated(
                    f"goal {goal_id} of client {self.ref!r} left the plan when a later plan "
                    "replaced it"
                )
            raise NotOnRecord(
                f"client {self.ref!r} has no goal {goal_id!r}"
                f"{self._known('goals', self.state.plan)}"
            )
        return goal

    def _open_place(self, programme: str) -> Any:
        place = self.state.programmes.get(programme)
        if place is None or not place.is_open:
            raise RuleViolated(
                f"client {self.ref!r} holds no open place in programme {programme!r}"
                + (f" (it ended on {place.ended_on}: {place.outcome})" if place else "")
            )
        return place

    def _goal_count(self) -> int:
        """Goals ever added with ids G1, G2, ... (retracted ones too: ids are never reused)."""
        count = 0
        for event in self.history:
            if isinstance(event, GoalAdded):
                count += 1
            elif isinstance(event, CasePlanRevised) and not event.replaces:
                count += sum(1 for goal in event.goals if goal.need is not None)
        return count

    def _violation(self, violation_id: str) -> Any:
        violation = self.state.violations.get(violation_id)
        if violation is None:
            raise NotOnRecord(
                f"client {self.ref!r} has no violation {violation_id!r}"
                f"{self._known('violations', self.state.violations)}"
            )
        return violation

    def _graduated(self, response: CodedInput, custody_days: int | None) -> CodedInput:
        """The first round's `sanction` as today's code (custody or not, by its days)."""
        if response.get("code") != Response.SANCTION:
            return response
        code = Response.CUSTODY_SANCTION if custody_days else Response.OTHER_SANCTION
        return {**response, "code": code.value}

    def _check_custody_cap(
        self, violation: Any, custody_days: int | None, caps: tuple[int, int]
    ) -> None:
        """An officer's custody sanction for a technical violation stays within the agency's
        cap: the first cap for the term's first technical violation, the second after."""
        if violation.category != ViolationCategory.TECHNICAL or not custody_days:
            return
        earlier = [
            v
            for v in self.state.violations.values()
            if v.category == ViolationCategory.TECHNICAL
            and v.occurred_on >= self.state.start
            and recorded_order(v) < recorded_order(violation)
        ]
        first = not earlier
        cap = caps[0] if first else caps[1]
        if custody_days > cap:
            which = "a first" if first else "a later"
            raise RuleViolated(
                f"a custody sanction of {custody_days} days for {which} technical violation "
                f"is over the agency's cap of {cap} days: more needs a court or a parole board "
                "(--by court or --by parole_board)"
            )

    def _check_cited_decision(self, decision: str | None) -> None:
        if decision is None:
            raise RuleViolated(
                "a revoked outcome comes from a revocation decision: record the court's or the "
                "board's with `respond REF VIOLATION_ID revocation --by court`, which ends the "
                "term (a discharge cites, with --decision, only a revocation decided before "
                "decisions ended terms)"
            )
        violation = self._violation(decision)
        decided = violation.decision
        if (
            decided is None
            or decided.response != Response.REVOCATION
            or decided.occurred_on < self.state.start
        ):
            raise RuleViolated(
                f"violation {decision} of client {self.ref!r} has no revocation decision in "
                f"term {self.state.term} to carry out"
            )

    def _check_last_of_term(self, stamp: Stamp) -> None:
        """What ends a term comes after everything recorded in it."""
        last = self.state.last_effective_on
        if last is not None:
            check_not_before(stamp, last, "the client's latest recorded event")

    def _check_status_date(self, stamp: Stamp) -> None:
        """A change of status takes its place after the term's latest one: status is read in
        order of effect, and a change dated before another would rewrite what followed."""
        state = self.state
        changes = [
            event.occurred_on
            for event in self.effective_events()
            if isinstance(event, STATUS_EVENTS) and event.occurred_on >= state.start
        ]
        if changes:
            check_not_before(stamp, max(changes), "the client's latest change of status")

    def _check_can_begin(self, kind: str, stamp: Stamp) -> None:
        state = self.state
        self.check_open()
        for running in ("custody", "absconded"):
            period = state.open_period(running)
            if period is not None:
                raise RuleViolated(
                    f"client {self.ref!r} is {PERIOD_WORDS[running]} since {period.since}: "
                    f"record {PERIOD_ENDS[running]} first"
                )
        self._check_status_date(stamp)
        del kind

    def _check_can_end(self, kind: str, stamp: Stamp) -> None:
        period = self.state.open_period(kind)
        if period is None:
            self.check_open()
            raise RuleViolated(f"client {self.ref!r} is not {PERIOD_WORDS[kind]}")
        self._check_status_date(stamp)

    # --- helpers ---------------------------------------------------------------------------

    def _record(
        self,
        event_class: type[ClientEvent],
        stamp: Stamp,
        allowed_after_discharge: bool = False,
        within_term: bool = True,
        **details: Any,
    ) -> None:
        """Check the event's values, then the rules; only then encrypt, apply and keep it.

        Nothing is encrypted before the rules pass: encrypting is what makes a client's key,
        and a refused command (on a sealed client above all) must make none."""
        event = checked_event(self, event_class, stamp, **details)
        self.check_not_sealed()
        if not allowed_after_discharge:
            self.check_open()
        if within_term:
            self.check_within_supervision(stamp)
        keep(self, finished(self, event, stamp))

    def _count(self, event_class: type[ClientEvent]) -> int:
        return sum(1 for event in self.history if isinstance(event, event_class))

    def _known(self, what: str, items: Sequence[str] | dict[str, Any]) -> str:
        return f" (its {what}: {', '.join(items)})" if items else f" (it has no {what})"


STATUS_EVENTS = (Reassigned, LevelChanged, ConditionsChanged, CustodyStarted, CustodyEnded,
                 Absconded, Returned)  # fmt: skip
# What may stand after an ended term without blocking the retraction of what ended it.
AFTER_A_TERM = (Corrected, ClientSealed, DispositionRecorded)
PERIOD_WORDS = {"custody": "in custody", "absconded": "absconded"}
PERIOD_ENDS = {"custody": "the end of custody (custody-end)", "absconded": "the return (return)"}
PersonInput = dict[str, Any]  # sex, race, ethnicity: coded values; birth_year: int
PERSON_CODES = {"sex": Sex, "race": Race, "ethnicity": Ethnicity}


def checked_person(person: PersonInput) -> dict[str, Any]:
    """Who the client is, each code checked against its list (they are stored as personal
    text, so the event's own types cannot check them); omitted or `unknown` is left out."""
    checked: dict[str, Any] = {}
    for name, value in person.items():
        if value is None:
            continue
        if name == "birth_year":
            checked[name] = str(checked_year(value))
            continue
        if name not in PERSON_CODES:
            raise InvalidInput(f"{name!r} is not one of sex, race, ethnicity, birth_year")
        value = value if isinstance(value, dict) else coded(str(value))
        if value.get("code") not in values(PERSON_CODES[name]):
            raise InvalidInput(
                f"{name} {value.get('code')!r} is not one of "
                + ", ".join(values(PERSON_CODES[name]))
            )
        if value["code"] != "unknown" or value.get("raw_text"):
            checked[name] = value
    return checked


def checked_year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput.of("birth_year", f"birth year {value!r} is not a year") from None
    if not 1900 <= year <= 2100:
        raise InvalidInput.of("birth_year", f"birth year {year} is not between 1900 and 2100")
    return year


def checked_band(
    band: CodedInput | None, birth_year: str | None = None, start: date | None = None
) -> CodedInput | None:
    """A band of our codes; given with the birth year (at a first term), the band that year
    makes at the start: reports count a term's band before its birth year, so a band that
    disagrees would be counted silently over the year."""
    if band is None:
        return None
    band = band if isinstance(band, dict) else coded(str(band))
    code = band.get("code")
    if code not in values(AgeBand):
        raise InvalidInput.of(
            "age_band", f"age band {code!r} is not one of {', '.join(values(AgeBand))}"
        )
    if birth_year and start is not None and code != AgeBand.UNKNOWN:
        made = age_band(int(birth_year), start.year)
        if code != made:
            raise InvalidInput.of(
                "age_band",
                f"age band {code} disagrees with birth year {birth_year} (band {made} at the "
                f"start, {start}): give the birth year alone, or the band where it is not known",
            )
    return band


def check_end_after_start(expected_end: date | None, start: date) -> None:
    """As the term's event checks it, naming the field at fault (a CSV import's column)."""
    if not isinstance(expected_end, date):  # text: the event parses it, then checks it
        return
    try:
        check_expected_end(expected_end, start)
    except ValueError as error:
        raise InvalidInput.of("expected_end", str(error)) from None


def check_not_future(stamp: Stamp) -> None:
    if stamp.on > stamp.today:
        raise RuleViolated(f"date {stamp.on} is in the future (today is {stamp.today}, UTC)")


def check_not_before(stamp: Stamp, earliest: date, what: str) -> None:
    if stamp.on < earliest:
        raise RuleViolated(f"date {stamp.on} is before {what} ({earliest})")
