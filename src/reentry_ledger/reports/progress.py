"""The progress report for a court or parole-board hearing: one client's record as of a date,
as a document of sections and statements, each statement citing the events it rests on.

Built from the client's effective events (not retracted, whatever the correction's date) that
had taken effect by the report's date, with their personal texts revealed (the application
reads and logs; this module only arranges). The current term (the latest begun by then) is
reported in full; earlier terms in a line each; assessments of every term, as risk and needs
change across them. A statement that something is absent cites nothing: there is no event
to cite. The recommendation section restates recorded fields and judges nothing.

The renderers (Markdown, HTML, PDF) are in reports/progress_output.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reentry_ledger.case_summary import response_text, violation_said
from reentry_ledger.domain.codes import (
    CLIENT_CONTACTS,
    INTAKE_ASSESSMENT_DAYS,
    REASSESSMENT_MONTHS,
    GoalStatus,
    Incentive,
)
from reentry_ledger.domain.errors import InvalidInput
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
from reentry_ledger.domain.state import CaseState, case_state, effective_order

VIEW = "progress report"  # as the access log names the read
RECOMMENDATION_NOTE = "What the record holds, restated: the ledger draws no conclusion of its own."


@dataclass(frozen=True)
class Statement:
    """One sentence of the report and the events (their numbers) it rests on. A detail
    belongs to the statement before it (a response under its violation)."""

    text: str
    events: tuple[int, ...] = ()
    detail: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    statements: tuple[Statement, ...]
    note: str | None = None  # what the section is, said once under its title


@dataclass(frozen=True)
class ProgressReport:
    ref: str
    name: str | None  # the person's name, as revealed ([sealed] once erased)
    as_of: date
    prepared_on: date
    prepared_by: str
    confidential_notes: bool  # whether confidential case notes are included
    sections: tuple[Section, ...]


def said(text: str, *events: int | None, detail: bool = False) -> Statement:
    return Statement(text, tuple(sorted({e for e in events if e is not None})), detail)


def joined(items: Iterable[str], empty: str = "none") -> str:
    return ", ".join(items) or empty


def counted(count: int, thing: str, things: str | None = None) -> str:
    """E.g. "1 contact", "3 contacts"."""
    return f"{count} {thing if count == 1 else things or thing + 's'}"


# --- the walk -------------------------------------------------------------------------------


def effective_by(
    history: Sequence[ClientEvent], as_of: date
) -> tuple[list[ClientEvent], dict[int, int]]:
    """The events in effect by `as_of`, in order of effect, and every retraction (retracted
    event -> the correction), whatever the correction's own date."""
    retracted = {e.corrects: e.number for e in history if isinstance(e, Corrected)}
    effective = [
        event
        for event in history
        if event.number not in retracted
        and event.occurred_on <= as_of
        and not isinstance(event, Corrected)
    ]
    return effective_order(effective), retracted


def by_term(events: Iterable[ClientEvent]) -> list[tuple[int, ClientEvent]]:
    """Each event with the term it falls in (a term runs from its start to the next)."""
    term, tagged = 0, []
    for event in events:
        if isinstance(event, Enrolled | TermStarted):
            term += 1
        tagged.append((term, event))
    return tagged


def term_ends(events: Iterable[ClientEvent]) -> dict[int, int]:
    """Term -> the event that ended it: a discharge, or a revocation decision."""
    ends: dict[int, int] = {}
    for term, event in by_term(events):
        ended = isinstance(event, Discharged) or (
            isinstance(event, ViolationResponded) and event.ends_term
        )
        if ended and term not in ends:
            ends[term] = event.number
    return ends


def build(
    history: Sequence[ClientEvent],
    *,
    as_of: date,
    prepared_on: date,
    prepared_by: str,
    confidential_notes: bool,
) -> ProgressReport:
    """The report from the client's whole history (personal texts revealed)."""
    enrolled = history[0]
    assert isinstance(enrolled, Enrolled)
    if enrolled.occurred_on > as_of:
        raise InvalidInput(
            f"client {enrolled.client_ref!r} was enrolled on {enrolled.occurred_on}, after "
            f"{as_of}: it has no record by then (give --as-of on or after its enrolment)"
        )
    effective, retracted = effective_by(history, as_of)
    report = Builder(enrolled, effective, as_of, confidential_notes)
    sections = (
        report.term_section(),
        report.compliance_section(),
        report.contacts_section(),
        report.assessments_section(),
        report.plan_section(),
        report.services_section(),
        report.recommendations_section(),
        report.record_section(history, retracted),
    )
    return ProgressReport(
        ref=enrolled.client_ref,
        name=enrolled.name,
        as_of=as_of,
        prepared_on=prepared_on,
        prepared_by=prepared_by,
        confidential_notes=confidential_notes,
        sections=sections,
    )


class Builder:
    """The sections, from the effective events and the case they fold to."""

    def __init__(
        self, enrolled: Enrolled, effective: list[ClientEvent], as_of: date, notes: bool
    ) -> None:
        self.as_of, self.notes = as_of, notes
        self.effective = effective
        self.case: CaseState = case_state(enrolled, effective)
        tagged = by_term(effective)
        self.term = self.case.term
        self.events = [event for term, event in tagged if term == self.term]
        self.term_of = {event.number: term for term, event in tagged}
        self.ends = term_ends(effective)
        self.start = self.events[0]
        assert isinstance(self.start, Enrolled | TermStarted)

    def of(self, *kinds: type[ClientEvent]) -> list[ClientEvent]:
        """The current term's events of these kinds, in order of effect."""
        return [event for event in self.events if isinstance(event, kinds)]

    # --- term and conditions -------------------------------------------------------------

    def term_section(self) -> Section:
        case, start, term = self.case, self.start, self.case.current_term
        juvenile = " (juvenile)" if case.juvenile else ""
        reason = f", start reason {term.start_reason}" if term.start_reason else ""
        end = f", expected to end {term.expected_end}" if term.expected_end else ""
        lines = [
            said(
                f"Term {term.term} of {len(case.terms)}: {term.supervision}{juvenile} from "
                f"{term.start}{reason}{end}",
                start.number,
            ),
            said(f"Agency {term.agency}, officer {term.officer}, from {term.start}", start.number),
        ]
        for moved in self.of(Reassigned):
            assert isinstance(moved, Reassigned)
            lines.append(
                said(
                    f"From {moved.occurred_on}: agency {moved.agency}, officer {moved.officer}",
                    moved.number,
                )
            )
        for level in self.of(LevelChanged):
            assert isinstance(level, LevelChanged)
            text = f"Supervision level {level.level.code.value} from {level.occurred_on}"
            lines.append(said(text, level.number))
        lines += self.conditions() + self.periods() + [self.standing()]
        lines += self.earlier_terms()
        return Section("Term and conditions", tuple(lines))

    def conditions(self) -> list[Statement]:
        """Each condition in force on the report's date, with the order that set it; each
        removed during the term, with both."""
        assert isinstance(self.start, Enrolled | TermStarted)
        since = {
            c.code.value: (self.start.occurred_on, self.start.number) for c in self.start.conditions
        }
        removed: list[Statement] = []
        for change in self.of(ConditionsChanged):
            assert isinstance(change, ConditionsChanged)
            for condition in change.removed:
                code = condition.code.value
                added = since.pop(code, None)
                removed.append(
                    said(
                        f"Condition {code} removed on {change.occurred_on}",
                        added[1] if added else None,
                        change.number,
                    )
                )
            for condition in change.added:
                since.setdefault(condition.code.value, (change.occurred_on, change.number))
        lines = [
            said(f"Condition {code}, in force since {on}", number)
            for code, (on, number) in since.items()
        ]
        if not lines:
            lines.append(said(f"No condition in force on {self.as_of}"))
        return lines + removed

    def periods(self) -> list[Statement]:
        """Custody and absconding in the term, each from its start to its end."""
        lines: list[Statement] = []
        open_at: dict[str, tuple[ClientEvent, str]] = {}
        for event in self.of(CustodyStarted, CustodyEnded, Absconded, Returned):
            if isinstance(event, CustodyStarted):
                open_at["custody"] = (event, f"In custody ({event.reason.code.value})")
            elif isinstance(event, Absconded):
                open_at["absconded"] = (event, "Absconded")
            else:
                kind = "custody" if isinstance(event, CustodyEnded) else "absconded"
                begun = open_at.pop(kind, None)
                if begun is not None:
                    first, words = begun
                    lines.append(
                        said(
                            f"{words} from {first.occurred_on} until {event.occurred_on}",
                            first.number,
                            event.number,
                        )
                    )
        for first, words in open_at.values():
            end = self.ends.get(self.term)
            until = "until the term ended" if end else f"still on {self.as_of}"
            lines.append(said(f"{words} from {first.occurred_on}, {until}", first.number, end))
        return lines

    def standing(self) -> Statement:
        case = self.case
        end = self.ends.get(self.term)
        if case.outcome is not None:
            how = f" by the revocation decision on {case.revoked_by}" if case.revoked_by else ""
            return said(f"The term ended on {case.discharged_on}: {case.outcome.value}{how}", end)
        return said(f"On {self.as_of} the term is open: {case.status.replace('_', ' ')}")

    def earlier_terms(self) -> list[Statement]:
        starts = [e for e in self.effective if isinstance(e, Enrolled | TermStarted)]
        lines = []
        for term, start in zip(self.case.terms[:-1], starts, strict=False):
            ended = f" to {term.ended_on}, outcome {term.outcome}" if term.ended_on else ""
            lines.append(
                said(
                    f"Earlier term {term.term}: {term.supervision} from {term.start}{ended}",
                    start.number,
                    self.ends.get(term.term),
                )
            )
        return lines

    # --- compliance ----------------------------------------------------------------------

    def compliance_section(self) -> Section:
        lines: list[Statement] = []
        for recorded in self.of(ViolationRecorded):
            assert isinstance(recorded, ViolationRecorded)
            lines += self.violation(recorded)
        if not lines:
            lines.append(said(f"No violation recorded in this term by {self.as_of}"))
        incentives = self.of(IncentiveGranted)
        for granted in incentives:
            assert isinstance(granted, IncentiveGranted)
            note = f": {granted.note}" if granted.note else ""
            text = f"Incentive {granted.kind.code.value} on {granted.occurred_on}{note}"
            lines.append(said(text, granted.number))
        if not incentives:
            lines.append(said(f"No incentive recorded in this term by {self.as_of}"))
        return Section("Compliance", tuple(lines))

    def violation(self, recorded: ViolationRecorded) -> list[Statement]:
        """The violation with its current disposition, then each response, by whom."""
        violation = self.case.violations[recorded.violation_id]
        dispositions = [
            e.number
            for e in self.effective
            if isinstance(e, DispositionRecorded) and e.violation_id == recorded.violation_id
        ]
        description = f": {recorded.description}" if recorded.description else ""
        lines = [
            said(
                f"Violation {violation.violation_id} on {violation.occurred_on} "
                f"({violation.category.value}): {violation_said(violation)}{description}",
                recorded.number,
                *dispositions,
            ),
        ]
        for response in violation.responses:
            text = response_text(response, self.case, violation.violation_id)
            lines.append(said(text[0].upper() + text[1:], response.number, detail=True))
        if violation.decision is None:
            lines.append(said(f"No decision recorded by {self.as_of}", detail=True))
        return lines

    # --- contacts ------------------------------------------------------------------------

    def contacts_section(self) -> Section:
        contacts = [e for e in self.of(ContactLogged) if isinstance(e, ContactLogged)]
        if not contacts:
            return Section("Contacts", (said(f"No contact recorded in this term by {self.as_of}"),))
        client = [c for c in contacts if c.kind.code in CLIENT_CONTACTS]
        kinds = Counter(c.kind.code.value for c in client)
        lines = [
            said(
                f"{counted(len(client), 'contact')} with the client from "
                f"{contacts[0].occurred_on} to {contacts[-1].occurred_on}: "
                + joined(f"{k} {n}" for k, n in sorted(kinds.items())),
                *(c.number for c in client),
            ),
        ]
        collateral = [c.number for c in contacts if c.kind.code not in CLIENT_CONTACTS]
        if collateral:
            lines.append(
                said(
                    f"{counted(len(collateral), 'collateral contact')} (not with the client)",
                    *collateral,
                )
            )
        left_out = [c.number for c in contacts if c.confidential and not self.notes and c.note]
        for contact in contacts:
            if contact.note and contact.number not in left_out:
                group = f", group session {contact.group_session}" if contact.group_session else ""
                kind = contact.kind.code.value
                text = f"{contact.occurred_on} {kind}{group}: {contact.note}"
                lines.append(said(text, contact.number, detail=True))
        if left_out:
            lines.append(
                said(
                    f"{counted(len(left_out), 'confidential case note')} left out of this report",
                    *left_out,
                )
            )
        return Section("Contacts", tuple(lines))

    # --- assessments ---------------------------------------------------------------------

    def assessments_section(self) -> Section:
        assessed = [e for e in self.effective if isinstance(e, Assessed)]
        if not assessed:
            return Section("Assessments", (said(f"No assessment recorded by {self.as_of}"),))
        lines = [self.assessment(a) for a in assessed]
        if len(assessed) > 1:
            first, last = assessed[0], assessed[-1]
            steps = "; ".join(f"{a.risk_level.code.value} on {a.occurred_on}" for a in assessed)
            lines.append(said(f"Risk level over time: {steps}", *(a.number for a in assessed)))
            before, now = needs_of(first), needs_of(last)
            gone, new = [n for n in before if n not in now], [n for n in now if n not in before]
            if gone:
                lines.append(
                    said(
                        f"Needs found on {first.occurred_on} and not on "
                        f"{last.occurred_on}: {joined(gone)}",
                        first.number,
                        last.number,
                    )
                )
            if new:
                lines.append(
                    said(
                        f"Needs found on {last.occurred_on} and not on "
                        f"{first.occurred_on}: {joined(new)}",
                        first.number,
                        last.number,
                    )
                )
        lines.append(self.reassessment(assessed[-1]))
        return Section("Assessments", tuple(lines))

    def assessment(self, assessed: Assessed) -> Statement:
        name = assessed.instrument_name or assessed.instrument
        version = f" {assessed.instrument_version}" if assessed.instrument_version else ""
        score = f", score {assessed.score:g}" if assessed.score is not None else ""
        term = self.term_of[assessed.number]
        earlier = f" (term {term})" if term != self.term else ""
        text = (
            f"{assessed.occurred_on}{earlier}: {name}{version}{score}, risk "
            f"{assessed.risk_level.code.value}; needs {joined(needs_of(assessed))}"
        )
        if assessed.responsivity:
            text += f"; responsivity {joined(assessed.responsivity)}"
        if assessed.strengths:
            text += f"; strengths {joined(assessed.strengths)}"
        return said(text, assessed.number)

    def reassessment(self, latest: Assessed) -> Statement:
        due = self.case.reassessment_due  # the one rule the work list reads too
        if due is None:
            return said(f"No assessment due: the term ended by {self.as_of}", latest.number)
        overdue = f": overdue on {self.as_of}" if due < self.as_of else ""
        risk = latest.risk_level.code.value
        if not self.case.assessed_in_term:
            return said(
                f"Next assessment due by {due} (none in this term: due {INTAKE_ASSESSMENT_DAYS} "
                f"days after its start){overdue}",
                self.start.number,  # the term's start: the latest assessment is an earlier term's
            )
        months = REASSESSMENT_MONTHS[risk]
        return said(
            f"Next assessment due by {due} ({months} months after the latest, at risk "
            f"{risk}){overdue}",
            latest.number,
        )

    # --- the case plan -------------------------------------------------------------------

    def plan_section(self) -> Section:
        goals = self.case.plan_goals
        if not goals:
            return Section(
                "Case plan and goals", (said(f"No case plan goal in this term by {self.as_of}"),)
            )
        naming = self.goal_events()
        notes = {e.number: e.note for e in self.of(GoalProgressed) if isinstance(e, GoalProgressed)}
        lines: list[Statement] = []
        for priority, goal in enumerate(goals, 1):
            target = f"; target {goal.target}" if goal.target else ""
            since = f" since {goal.status_on}" if goal.status_on else ""
            overdue = "; past its target" if goal.overdue_on(self.as_of) else ""
            lines.append(
                said(
                    f"Goal {goal.goal_id}, priority {priority}, {goal.need}: "
                    f"{goal.description}{target}; "
                    f"{goal.status.value}{since}{overdue}",
                    goal.number,
                    *naming[goal.goal_id],
                )
            )
            for on, status, number in goal.progress:
                note = f": {notes[number]}" if notes.get(number) else ""
                lines.append(said(f"{on} {status}{note}", number, detail=True))
        lines.append(self.approval())
        return Section("Case plan and goals", tuple(lines))

    def goal_events(self) -> dict[str, list[int]]:
        """Goal id -> the events that added, moved or progressed it."""
        naming: dict[str, list[int]] = defaultdict(list)
        for event in self.of(GoalAdded, GoalProgressed, GoalReordered, CasePlanRevised):
            if isinstance(event, CasePlanRevised):
                for goal in event.goals:
                    naming[goal.goal_id].append(event.number)
            else:
                assert isinstance(event, GoalAdded | GoalProgressed | GoalReordered)
                naming[event.goal_id].append(event.number)
        return naming

    def approval(self) -> Statement:
        approved = self.case.plan_approved
        if approved is None:
            return said(f"The plan has not been approved by {self.as_of}")
        stands = (
            "the plan stands as approved"
            if self.case.plan_approved_as_it_stands
            else "the plan has changed since"
        )
        return said(f"Plan approved by {approved.by} on {approved.on}; {stands}", approved.number)

    # --- services ------------------------------------------------------------------------

    def services_section(self) -> Section:
        lines = self.referrals() + self.programmes() + self.matches()
        if not lines:
            lines = [
                said(f"No referral, programme or volunteer match in this term by {self.as_of}")
            ]
        return Section("Services", tuple(lines))

    def referrals(self) -> list[Statement]:
        naming: dict[str, list[int]] = defaultdict(list)
        for event in self.of(Referred, ReferralUpdated):
            assert isinstance(event, Referred | ReferralUpdated)
            naming[event.referral_id].append(event.number)
        lines = []
        for referral in self.case.referrals.values():
            if referral.term != self.term:
                continue
            to = f" to {referral.provider}" if referral.provider else ""
            serves = (
                f", serving goal {referral.goal_id}"
                if referral.goal_id
                else f", for need {referral.need}"
                if referral.need
                else ""
            )
            steps = "; ".join(f"{status} {on}" for on, status in referral.history)
            reason = f" (reason {referral.reason})" if referral.reason else ""
            lines.append(
                said(
                    f"Referral {referral.referral_id}: {referral.service}{to}"
                    f"{serves}: {steps}{reason}",
                    *naming[referral.referral_id],
                )
            )
        return lines

    def programmes(self) -> list[Statement]:
        naming: dict[str, list[int]] = defaultdict(list)
        kinds = (
            ProgrammeEnrolled,
            ProgrammeSessionAttended,
            ProgrammeSessionMissed,
            ProgrammeEnded,
        )
        for event in self.of(*kinds):
            assert isinstance(event, kinds)
            naming[event.programme].append(event.number)
        lines = []
        for place in self.case.programmes.values():
            if place.term != self.term:
                continue
            held = len(place.attended) + len(place.missed)
            attended = (
                f"attended {len(place.attended)} of {held} sessions "
                f"({round(100 * len(place.attended) / held)}%)"
                if held
                else "no session recorded"
            )
            ended = f"; ended {place.ended_on}: {place.outcome}" if place.ended_on else ""
            end = self.ends.get(self.term) if place.outcome == "term_ended" else None
            lines.append(
                said(
                    f"Programme {place.programme} ({place.service}): place from "
                    f"{place.enrolled_on}; {attended}{ended}",
                    *naming[place.programme],
                    end,
                )
            )
        return lines

    def matches(self) -> list[Statement]:
        found: list[tuple[VolunteerMatched, VolunteerMatchEnded | None]] = []
        for event in self.of(VolunteerMatched, VolunteerMatchEnded):
            if isinstance(event, VolunteerMatched):
                found.append((event, None))
            elif found and found[-1][1] is None:
                assert isinstance(event, VolunteerMatchEnded)
                found[-1] = (found[-1][0], event)
        lines = []
        for matched, ended in found:
            who = matched.volunteer or f"registered volunteer {matched.volunteer_id}"
            needs = f" for needs {joined(needs_of(matched))}" if matched.needs else ""
            end, how = None, f"; still matched on {self.as_of}"
            if ended is not None:
                end, how = ended.number, f"; ended {ended.occurred_on}: {ended.ending.code.value}"
            elif self.case.outcome is not None:
                end, how = (
                    self.ends.get(self.term),
                    f"; ended with the term on {self.case.discharged_on}",
                )
            lines.append(
                said(
                    f"Volunteer match with {who} from {matched.occurred_on}{needs}{how}",
                    matched.number,
                    end,
                )
            )
        return lines

    # --- recommendations on record -------------------------------------------------------

    def recommendations_section(self) -> Section:
        lines: list[Statement] = []
        for violation in self.case.violations.values():
            if violation.violation_id not in self.term_violations or not violation.recommendations:
                continue
            latest, decision = violation.recommendations[-1], violation.decision
            decided = (
                f"; decided: {decision.response} by {decision.decided_by} on {decision.occurred_on}"
                if decision
                else f"; no decision recorded by {self.as_of}"
            )
            lines.append(
                said(
                    f"The officer recommended {latest.response} for violation "
                    f"{violation.violation_id} on {latest.occurred_on}{decided}",
                    latest.number,
                    decision.number if decision else None,
                )
            )
        for granted in self.of(IncentiveGranted):
            assert isinstance(granted, IncentiveGranted)
            if granted.kind.code == Incentive.EARLY_DISCHARGE_RECOMMENDED:
                lines.append(
                    said(f"Early discharge recommended on {granted.occurred_on}", granted.number)
                )
        lines += self.goal_completion()
        if self.case.outcome is not None:
            lines.append(self.standing())
        if not lines:
            lines.append(said(f"No recommendation on record in this term by {self.as_of}"))
        return Section("Recommendations on record", tuple(lines), RECOMMENDATION_NOTE)

    @property
    def term_violations(self) -> set[str]:
        return {
            e.violation_id for e in self.of(ViolationRecorded) if isinstance(e, ViolationRecorded)
        }

    def goal_completion(self) -> list[Statement]:
        goals = self.case.plan_goals
        if not goals:
            return []
        counts = Counter(goal.status for goal in goals)
        closing = [goal.progress[-1][2] for goal in goals if goal.progress and not goal.is_open]
        added = [goal.number for goal in goals]
        achieved, abandoned = counts[GoalStatus.ACHIEVED], counts[GoalStatus.ABANDONED]
        still = len(goals) - achieved - abandoned
        return [
            said(
                f"Goals of the plan: {achieved} of {len(goals)} achieved, {abandoned} "
                f"abandoned, {still} open",
                *added,
                *closing,
            )
        ]

    # --- the record itself ---------------------------------------------------------------

    def record_section(self, history: Sequence[ClientEvent], retracted: dict[int, int]) -> Section:
        lines = []
        for number, by in sorted(retracted.items()):
            event = history[number - 1]
            if event.occurred_on <= self.as_of:
                lines.append(
                    said(
                        f"Event {number} ({type(event).__name__}) was retracted by "
                        f"a correction and is left out",
                        number,
                        by,
                    )
                )
        for sealed in (e for e in history if isinstance(e, ClientSealed)):
            lines.append(
                said(
                    f"The client's personal data was sealed on {sealed.occurred_on}: "
                    "its texts read [sealed]",
                    sealed.number,
                )
            )
        if not lines:
            lines.append(said("No event in effect by then was retracted"))
        return Section("About the record", tuple(lines))


def needs_of(event: Assessed | VolunteerMatched) -> list[str]:
    return [need.code.value for need in event.needs]
