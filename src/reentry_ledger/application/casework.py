"""Casework commands: each loads one client, records one event through the one write path
(a Recording), and saves it. Values arrive as plain strings and dates; a coded value may also
be a dict {"code": ..., "raw_text": ...} to keep the agency's original wording."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reentry_ledger.application.access import refusals_logged
from reentry_ledger.application.base import (
    CodeValue,
    Recorded,
    as_coded,
    as_coded_list,
)
from reentry_ledger.application.policy import Policies
from reentry_ledger.application.recording import Command, Recording
from reentry_ledger.application.volunteers import matchable_volunteer
from reentry_ledger.authorization import Permission
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS, SealGround, values
from reentry_ledger.domain.errors import Conflict, InvalidInput
from reentry_ledger.domain.recording import Stamp


class Casework(Policies):
    @refusals_logged("enroll")
    def enroll(
        self,
        ref: str,
        *,
        actor: str | None,
        start: date | None = None,
        agency: str,
        officer: str,
        supervision: CodeValue,
        conditions: tuple[CodeValue, ...] = (),
        expected_end: date | None = None,
        juvenile: bool = False,
        details: dict[str, str] | None = None,
        name: str | None = None,
        start_reason: CodeValue | None = None,
        sex: CodeValue | None = None,
        race: CodeValue | None = None,
        ethnicity: CodeValue | None = None,
        birth_year: int | None = None,
        age_band: CodeValue | None = None,
    ) -> Recorded:
        """A client's first term, or a later one for a client (of the actor's agency) whose
        terms have all ended. Who the person is (sex, race, ethnicity, birth year) is given
        at the first term; a later term that repeats it is refused, as nothing may rewrite it."""
        recording = Recording(self, self.writer(actor))
        on = start or self.clock()
        term: dict[str, Any] = {
            "agency": agency,
            "officer": officer,
            "supervision": as_coded(supervision),
            "conditions": as_coded_list(conditions),
            "expected_end": expected_end,
            "start_reason": as_coded(start_reason) if start_reason else None,
            "age_band": as_coded(age_band) if age_band else None,
        }
        person = {"sex": sex, "race": race, "ethnicity": ethnicity, "birth_year": birth_year}
        client = recording.enroll_or_start_term(ref, on, term, person, juvenile, name, details)
        recording.save(ref)
        return Recorded.latest(client)

    @refusals_logged("assess")
    def assess(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        instrument: str,
        risk_level: CodeValue,
        needs: tuple[CodeValue, ...] = (),
        score: float | None = None,
        instrument_version: str | None = None,
        responsivity: tuple[str, ...] = (),
        strengths: tuple[str, ...] = (),
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.assess(
                stamp,
                instrument=instrument,
                instrument_version=instrument_version,
                score=score,
                risk_level=as_coded(risk_level),
                needs=as_coded_list(needs),
                responsivity=responsivity,
                strengths=strengths,
            ),
        )

    @refusals_logged("plan")
    def revise_plan(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        goals: Sequence[tuple[CodeValue, str] | str],
        model: CodeValue | None = None,
    ) -> Recorded:
        """Goals in order of priority: (need, description) pairs add goals, goal ids move
        goals already on the plan; the rest follow in their order. Its `new_id` lists the
        ids of the goals given, in order."""
        plan = [item if isinstance(item, str) else (as_coded(item[0]), item[1]) for item in goals]
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: ", ".join(
                client.revise_plan(stamp, goals=plan, model=as_coded(model) if model else None)
            ),
        )

    @refusals_logged("goal")
    def add_goal(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        need: CodeValue,
        description: str,
        priority: int | None = None,
        target: date | None = None,
    ) -> Recorded:
        """A goal added to the plan (its id is the result's `new_id`)."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.add_goal(
                stamp,
                need=as_coded(need),
                description=description,
                priority=priority,
                target=target,
            ),
        )

    @refusals_logged("goal")
    def progress_goal(
        self,
        ref: str,
        goal_id: str,
        *,
        actor: str | None,
        on: date | None = None,
        status: CodeValue,
        note: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.progress_goal(
                stamp, goal_id, status=as_coded(status), note=note
            ),
        )

    @refusals_logged("goal")
    def reorder_goal(
        self, ref: str, goal_id: str, *, actor: str | None, on: date | None = None, priority: int
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.reorder_goal(stamp, goal_id, priority=priority),
        )

    @refusals_logged("plan approve")
    def approve_plan(self, ref: str, *, actor: str | None, on: date | None = None) -> Recorded:
        """A supervisor approves the client's plan as it stands."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.approve_plan(stamp),
            Permission.APPROVE_PLAN,
        )

    @refusals_logged("refer")
    def refer(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        service: CodeValue,
        provider: str | None = None,
        goal: str | None = None,
        need: CodeValue | None = None,
    ) -> Recorded:
        """A referral to a service, serving one of the plan's goals or a need."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.refer(
                stamp,
                service=as_coded(service),
                provider=provider,
                goal_id=goal,
                need=None if need is None else as_coded(need),
            ),
        )

    @refusals_logged("referral")
    def update_referral(
        self,
        ref: str,
        referral_id: str,
        status: CodeValue,
        *,
        actor: str | None,
        on: date | None = None,
        reason: CodeValue | None = None,
    ) -> Recorded:
        """A referral's next status; declined and dropped say why (a ReferralReason)."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.update_referral(
                stamp, referral_id, as_coded(status), None if reason is None else as_coded(reason)
            ),
        )

    @refusals_logged("contact")
    def log_contact(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        kind: CodeValue = "casework",
        note: str = "",
        confidential: bool = True,
        group_session: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.log_contact(
                stamp,
                kind=as_coded(kind),
                note=note,
                confidential=confidential,
                group_session=group_session,
            ),
        )

    @refusals_logged("match")
    def match_volunteer(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        volunteer: str | None = None,
        volunteer_id: str | None = None,
        needs: tuple[CodeValue, ...] = (),
    ) -> Recorded:
        """A match with a registered volunteer (`volunteer_id`: on the register of the
        client's agency, not left; otherwise not found) or one named here (`volunteer`)."""

        def match(client: Client, stamp: Stamp) -> None:
            if volunteer_id is not None and volunteer is None:
                matchable_volunteer(self, volunteer_id, client.state.agency, stamp.on)
            client.match_volunteer(
                stamp, volunteer=volunteer, volunteer_id=volunteer_id, needs=as_coded_list(needs)
            )

        return self._apply(ref, actor, on, match)

    @refusals_logged("unmatch")
    def end_volunteer_match(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        ending: CodeValue,
        reason: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.end_volunteer_match(
                stamp, ending=as_coded(ending), reason=reason
            ),
        )

    @refusals_logged("violation")
    def record_violation(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        technical: tuple[CodeValue, ...] = (),
        absconding: bool = False,
        new_offence: CodeValue | None = None,
        violent: bool = False,
        basis: CodeValue | None = None,
        offence_type: CodeValue | None = None,
        description: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.record_violation(
                stamp,
                technical=as_coded_list(technical),
                absconding=absconding,
                new_offence=None if new_offence is None else as_coded(new_offence),
                violent=violent,
                basis=None if basis is None else as_coded(basis),
                offence_type=None if offence_type is None else as_coded(offence_type),
                description=description,
            ),
        )

    @refusals_logged("respond")
    def respond_to_violation(
        self,
        ref: str,
        violation_id: str,
        response: CodeValue,
        *,
        actor: str | None,
        on: date | None = None,
        custody_days: int | None = None,
        decided_by: CodeValue = "officer",
        recommendation: bool = False,
    ) -> Recorded:
        """The officer's recommendation, or the decision (a revocation by a court or a parole
        board ends the term); an officer's custody sanction stays within the agency's caps."""

        def respond(client: Client, stamp: Stamp) -> None:
            client.respond_to_violation(
                stamp,
                violation_id,
                response=as_coded(response),
                custody_days=custody_days,
                decided_by=as_coded(decided_by),
                recommendation=recommendation,
                custody_caps=self.custody_caps(client.state.agency, stamp.on),
            )
            term = client.state.current_term
            if client.state.revoked_by == violation_id:
                self.notices.append(
                    f"term {term.term} of client {ref!r} ended on {term.ended_on}: "
                    f"{term.outcome} (the revocation decision on {violation_id}, attributed to "
                    f"the term's most serious violation in the {REVOCATION_WINDOW_DAYS} days "
                    f"before it); a reinstatement is the correction of event "
                    f"{client.history[-1].number}"
                )

        return self._apply(ref, actor, on, respond)

    @refusals_logged("disposition")
    def record_disposition(
        self,
        ref: str,
        violation_id: str,
        disposition: CodeValue,
        *,
        actor: str | None,
        on: date | None = None,
        offence_type: CodeValue | None = None,
    ) -> Recorded:
        """Where a violation's new offence stands in court; may follow the term's end."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.record_disposition(
                stamp,
                violation_id,
                disposition=as_coded(disposition),
                offence_type=None if offence_type is None else as_coded(offence_type),
            ),
        )

    @refusals_logged("incentive")
    def grant_incentive(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        kind: CodeValue,
        note: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.grant_incentive(stamp, kind=as_coded(kind), note=note),
        )

    @refusals_logged("discharge")
    def discharge(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        outcome: CodeValue,
        note: str | None = None,
        decision: str | None = None,
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.discharge(
                stamp, outcome=as_coded(outcome), note=note, decision=decision
            ),
        )

    @refusals_logged("reassign")
    def reassign(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        officer: str,
        agency: str | None = None,
    ) -> Recorded:
        """The caseload moves to `officer`, of `agency` if the case moves to another agency
        (a supervisor's act, ADR 55): the old agency then sees the record only as it stood up
        to this move."""
        moved_from: list[str] = []

        def move(client: Client, stamp: Stamp) -> None:
            before = client.state.agency
            if client.reassign(stamp, officer=officer, agency=agency):
                moved_from.append(before)

        recorded = self._apply(ref, actor, on, move)
        for before in moved_from:  # said once the move is saved, never of a refused one
            self.notices.append(
                f"client {ref!r} moved from agency {before} to {agency}: from now on "
                f"{before}'s staff see its record only as it stood up to this move"
            )
        return recorded

    @refusals_logged("level")
    def change_level(
        self, ref: str, *, actor: str | None, on: date | None = None, level: CodeValue
    ) -> Recorded:
        """The supervision level in force from `on`."""
        return self._apply(
            ref, actor, on, lambda client, stamp: client.change_level(stamp, level=as_coded(level))
        )

    @refusals_logged("conditions")
    def change_conditions(
        self,
        ref: str,
        *,
        actor: str | None,
        on: date | None = None,
        add: tuple[CodeValue, ...] = (),
        remove: tuple[CodeValue, ...] = (),
    ) -> Recorded:
        """A court or board order adding and removing conditions."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.change_conditions(
                stamp, add=as_coded_list(add), remove=as_coded_list(remove)
            ),
        )

    @refusals_logged("custody")
    def start_custody(
        self, ref: str, *, actor: str | None, on: date | None = None, reason: CodeValue
    ) -> Recorded:
        """In custody from `on` (a sanction, a jail hold, a treatment facility)."""
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.start_custody(stamp, reason=as_coded(reason)),
        )

    @refusals_logged("custody-end")
    def end_custody(self, ref: str, *, actor: str | None, on: date | None = None) -> Recorded:
        """Out of custody, at risk again, from `on`."""
        return self._apply(ref, actor, on, lambda client, stamp: client.end_custody(stamp))

    @refusals_logged("abscond")
    def abscond(self, ref: str, *, actor: str | None, on: date | None = None) -> Recorded:
        """Whereabouts unknown from `on`."""
        return self._apply(ref, actor, on, lambda client, stamp: client.abscond(stamp))

    @refusals_logged("return")
    def record_return(self, ref: str, *, actor: str | None, on: date | None = None) -> Recorded:
        """The absconded client is found, or came back, on `on`."""
        return self._apply(ref, actor, on, lambda client, stamp: client.return_(stamp))

    @refusals_logged("correct")
    def correct(
        self, ref: str, number: int, *, actor: str | None, reason: str, on: date | None = None
    ) -> Recorded:
        return self._apply(
            ref,
            actor,
            on,
            lambda client, stamp: client.correct(stamp, number, reason),
            Permission.CORRECT,
        )

    @refusals_logged("seal")
    def seal(
        self,
        ref: str,
        *,
        actor: str | None,
        ground: CodeValue | None = None,
        reference: str | None = None,
        reason: str | None = None,
    ) -> Recorded | None:
        """Erase the client's personal data: the seal event and the key's destruction are
        one transaction, so no client is ever marked sealed with its data still readable.
        Sealing a client already sealed makes sure its key is gone, and records nothing.

        The seal names its legal ground (a SealGround code) and a reference, both readable
        for good; a `reason` alone is taken as the ground `other` with the reason as reference."""
        ground, reference = seal_ground(ground, reference, reason)
        recording = Recording(self, self.writer(actor, Permission.SEAL))
        client = recording.client(ref, Permission.SEAL)
        if client.state.sealed:
            self.keys.destroy(str(client.id))
            return None
        client.seal(Stamp(on=recording.today, by=recording.who.name, today=recording.today),
                    ground=as_coded(ground), reference=reference)  # fmt: skip
        events = [self.mapper.to_stored_event(event) for event in client.collect_events()]
        try:
            self.keys.store_with(events, destroy=str(client.id))
        except Conflict:
            raise Conflict(
                f"another write to client {ref!r} was recorded first; "
                "nothing was written: look again and retry"
            ) from None
        return Recorded.latest(client)

    def _apply(
        self,
        ref: str,
        actor: str | None,
        on: date | None,
        command: Command,
        permission: Permission = Permission.WRITE,
    ) -> Recorded:
        """Record one event on one client, as `actor`, and save it."""
        recording = Recording(self, self.writer(actor, permission))
        new_id = recording.record(ref, on, command, permission)
        recording.save(ref)
        return Recorded.latest(recording.clients[ref], new_id)


def seal_ground(
    ground: CodeValue | None, reference: str | None, reason: str | None
) -> tuple[CodeValue, str]:
    """A seal's ground and reference, from both, or from a reason alone (the ground `other`)."""
    if reason is not None:
        if ground is not None or reference is not None:
            raise InvalidInput(
                "a seal takes either a reason (the ground other) or a ground and a reference, "
                "not both"
            )
        return SealGround.OTHER.value, reason
    if ground is None or reference is None:
        raise InvalidInput(
            f"a seal needs its legal ground ({', '.join(values(SealGround))}) and a reference "
            "(e.g. the court order's number)"
        )
    return ground, reference
