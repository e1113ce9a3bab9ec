"""The volunteer register (domain/volunteer.py): registering, training, supervising and
leaving, by the staff of the volunteer's agency; the register as its staff may see it; and
volunteers suggested for a client, by the needs their skills meet (codes.NEED_SKILLS).

Each volunteer's personal data lies under its own key, made with its registration and stored
with it in one transaction; a group supervision session writes one event for each volunteer
present, all in one transaction, or none. Ids (VOL1, VOL2, ...) follow the registrations:
two registrations at once both take the next, and the later one is refused as a conflict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from reentry_ledger.application.access import AccessLog, refusals_logged
from reentry_ledger.application.base import LedgerBase
from reentry_ledger.application.recording import Recording
from reentry_ledger.authorization import Actor, NotPermitted, Permission
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.codes import NEED_SKILLS, Need, SupervisionSessionKind, VolunteerSkill
from reentry_ledger.domain.directory import AGENCY_ROLES
from reentry_ledger.domain.errors import Conflict, InvalidInput
from reentry_ledger.domain.events import VolunteerMatched
from reentry_ledger.domain.personal import decrypt
from reentry_ledger.domain.recording import Stamp
from reentry_ledger.domain.volunteer import (
    Volunteer,
    VolunteerNotFound,
    check_volunteer_id,
    new_volunteer,
    volunteer_uuid,
)

if TYPE_CHECKING:
    from reentry_ledger.projections.store import ProjectionStore

# How many clients each registered volunteer is matched with now: a match not ended, by its
# client or by the end of the client's term (projections/volunteers.py).
OPEN_MATCHES = (
    "SELECT m.volunteer_id, COUNT(*) FROM {audit_matches} m WHERE m.event = 'matched' "
    "AND m.volunteer_id IS NOT NULL AND m.retracted_at IS NULL AND NOT EXISTS ("
    "SELECT 1 FROM {audit_matches} e WHERE e.client_id = m.client_id AND e.number > m.number "
    "AND e.event <> 'matched' AND e.retracted_at IS NULL) GROUP BY m.volunteer_id"
)


@dataclass(frozen=True)
class VolunteerSummary:
    """A volunteer on the register, as the staff of its agency (and auditors) see it."""

    volunteer_id: str
    agency: str
    name: str
    skills: tuple[str, ...]
    trained_on: date | None
    availability: str | None
    capacity: int
    registered_on: date
    left_on: date | None
    supervision_sessions: int
    last_supervised: date | None
    open_matches: int
    capacity_left: int
    matched_clients: tuple[str, ...]  # those the reader may see; the others are counted only


@dataclass(frozen=True)
class Suggestion:
    """A volunteer for a client: which of its needs the volunteer's skills meet."""

    volunteer_id: str
    name: str
    skills: tuple[str, ...]
    needs_met: tuple[str, ...]
    capacity_left: int


def needs_met(needs: Iterable[str], skills: Iterable[str]) -> tuple[str, ...]:
    """The needs (in their order) that at least one of the skills meets (NEED_SKILLS)."""
    have = set(skills)
    return tuple(need for need in needs if NEED_SKILLS.get(need, frozenset()) & have)


def check_codes(values: Iterable[str], kind: type[Any], what: str) -> tuple[str, ...]:
    known = {item.value for item in kind}
    listed = tuple(values)
    for value in listed:
        if value not in known:
            raise InvalidInput(f"unknown {what} {value!r} (known: {', '.join(sorted(known))})")
    return listed


def volunteer_number(volunteer_id: str) -> int:
    return int(volunteer_id[3:])


def matchable_volunteer(ledger: LedgerBase, volunteer_id: str, agency: str, on: date) -> None:
    """A registered volunteer a client of `agency` may be matched with on `on`: on the
    register of that agency by then, and not left; otherwise not found (exit 4)."""
    check_volunteer_id(volunteer_id)
    volunteer = stored_volunteer(ledger, volunteer_id)
    if volunteer is None or volunteer.state.agency != agency:
        raise VolunteerNotFound(volunteer_id, f" on the register of agency {agency}")
    state = volunteer.state
    if state.left_on is not None:
        raise VolunteerNotFound(volunteer_id, f" to match: it left the register on {state.left_on}")
    if state.registered_on is not None and on < state.registered_on:
        raise VolunteerNotFound(
            volunteer_id, f" to match on {on}: it was registered on {state.registered_on}"
        )


def stored_volunteer(ledger: LedgerBase, volunteer_id: str) -> Volunteer | None:
    try:
        return cast(Volunteer, ledger.repository.get(volunteer_uuid(volunteer_id)))
    except AggregateNotFoundError:
        return None


class Volunteers(AccessLog):
    # --- writes ------------------------------------------------------------------------------

    def register_volunteer(
        self,
        *,
        actor: str | None,
        name: str,
        skills: tuple[str, ...],
        agency: str | None = None,
        on: date | None = None,
        trained_on: date | None = None,
        availability: str | None = None,
        capacity: int = 1,
    ) -> str:
        """Register a volunteer of the agency (its staff's own; others must name it); returns
        its id, VOL1, VOL2, ... in order of registration."""
        who = self.writer(actor)
        agency = self._agency_of_writer(who, agency)
        check_codes(skills, VolunteerSkill, "skill")
        volunteer_id = f"VOL{self._registered_count() + 1}"
        recording = Recording(self, who)
        volunteer = new_volunteer(volunteer_id, self._now())
        volunteer.register(
            self._stamp(recording, volunteer_id, on),
            volunteer_id,
            agency,
            name=name,
            skills=skills,
            trained_on=trained_on,
            availability=availability,
            capacity=capacity,
        )
        self._save_volunteers([volunteer], recording)
        return volunteer_id

    def train_volunteer(
        self, volunteer_id: str, *, actor: str | None, on: date | None = None
    ) -> None:
        """The volunteer completed (further) training on `on` (default today)."""
        recording = Recording(self, self.writer(actor))
        volunteer = self._volunteer_for(recording.who, volunteer_id)
        volunteer.train(self._stamp(recording, volunteer_id, on))
        self._save_volunteers([volunteer], recording)

    def supervise_volunteers(
        self,
        volunteer_ids: tuple[str, ...],
        *,
        actor: str | None,
        kind: str,
        on: date | None = None,
        note: str = "",
        professional: str | None = None,
    ) -> int:
        """A supervision session: individual (one volunteer) or group (one event for each
        volunteer present, all recorded or none). The professional is the actor unless named.
        Returns how many volunteers were recorded as supervised."""
        recording = Recording(self, self.writer(actor))
        check_codes((kind,), SupervisionSessionKind, "supervision kind")
        ids = tuple(volunteer_ids)
        if not ids:
            raise InvalidInput("a supervision session needs at least one volunteer")
        if len(set(ids)) != len(ids):
            raise InvalidInput("a volunteer is named twice in the session")
        if kind == SupervisionSessionKind.INDIVIDUAL and len(ids) > 1:
            raise InvalidInput(
                f"an individual session is with one volunteer, not {len(ids)}: use --kind group"
            )
        volunteers = [self._volunteer_for(recording.who, volunteer_id) for volunteer_id in ids]
        for volunteer in volunteers:
            volunteer.supervise(
                self._stamp(recording, volunteer.volunteer_id, on),
                kind,
                professional or recording.who.name,
                note,
            )
        self._save_volunteers(volunteers, recording)
        return len(volunteers)

    def volunteer_leaves(
        self,
        volunteer_id: str,
        *,
        actor: str | None,
        on: date | None = None,
        reason: str | None = None,
    ) -> None:
        """The volunteer left the register on `on`: no match may name it from then on."""
        recording = Recording(self, self.writer(actor))
        volunteer = self._volunteer_for(recording.who, volunteer_id)
        volunteer.leave(self._stamp(recording, volunteer_id, on), reason)
        self._save_volunteers([volunteer], recording)

    # --- reads -------------------------------------------------------------------------------

    def list_volunteers(
        self, *, actor: str | None, agency: str | None = None, include_left: bool = False
    ) -> list[VolunteerSummary]:
        """The register as the actor may see it (an agency's staff: its own; auditors: all),
        in order of id, with each volunteer's open matches; the clients matched are named only
        where the actor may see them (and each naming is access-logged)."""
        who = self.require(actor, Permission.READ_CLIENT)
        store = self._caught_up()
        counts = dict(store.rows(OPEN_MATCHES, (), ["audit_matches"]))
        listed = []
        own = None if who.sees_every_agency else who.agency  # others' would be left out
        for volunteer_id in self._register(store, agency or own):
            volunteer = stored_volunteer(self, volunteer_id)
            if volunteer is None or not who.sees(volunteer.state.agency):
                continue
            if volunteer.state.left_on is not None and not include_left:
                continue
            listed.append(volunteer)
        matched = self._matched_clients(
            who, {v.volunteer_id for v in listed if counts.get(v.volunteer_id)}
        )
        return [
            self._summary(volunteer, counts.get(volunteer.volunteer_id, 0), matched)
            for volunteer in listed
        ]

    @refusals_logged("volunteer suggestions")
    def suggest_volunteers(
        self, ref: str, *, actor: str | None, needs: tuple[str, ...] = ()
    ) -> list[Suggestion]:
        """The active volunteers of the client's agency with capacity left, ranked by how
        many of the client's needs their skills meet (the needs given, else those of its
        latest assessment), then by capacity left, then by id. Reads the client: logged."""
        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        if not who.sees(client.state.agency):
            # the agency it moved away from reads it as it stood at the move, whose agency
            # is the new one: that agency's register is not the old one's to read
            raise NotPermitted(
                f"client {ref!r} has moved to another agency: volunteers are suggested by "
                "the agency that holds it"
            )
        self.log_read(who, client, "volunteer suggestions", None, None)
        wanted = check_codes(needs, Need, "need") or tuple(client.state.needs)
        store = self._caught_up()
        counts = dict(store.rows(OPEN_MATCHES, (), ["audit_matches"]))
        found = []
        for volunteer_id in self._register(store, client.state.agency):
            volunteer = stored_volunteer(self, volunteer_id)
            if volunteer is None or volunteer.state.left_on is not None:
                continue
            left = volunteer.state.capacity - counts.get(volunteer_id, 0)
            if left > 0:
                state = volunteer.state
                met = needs_met(wanted, state.skills)
                found.append(
                    Suggestion(
                        volunteer_id, self._revealed(volunteer, state.name), state.skills, met, left
                    )
                )
        found.sort(
            key=lambda s: (-len(s.needs_met), -s.capacity_left, volunteer_number(s.volunteer_id))
        )
        return found

    # --- plumbing ----------------------------------------------------------------------------

    def _agency_of_writer(self, who: Actor, agency: str | None) -> str:
        if who.role in AGENCY_ROLES:
            if agency is not None and agency != who.agency:
                raise NotPermitted(
                    f"{who.name} may register volunteers of agency {who.agency} only"
                )
            return str(who.agency)
        if not agency:
            raise InvalidInput("give the volunteer's agency (--agency)")
        return agency

    def _registered_count(self) -> int:
        """How many volunteers were ever registered: ids are dense (VOL1..VOLn), so the
        highest that exists, found by doubling then halving (a few look-ups, not a scan)."""

        def exists(number: int) -> bool:
            return bool(self.recorder.select_events(volunteer_uuid(f"VOL{number}"), limit=1))

        high = 1
        while exists(high):
            high *= 2
        low = high // 2  # exists (or 0), high does not
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if exists(middle) else (low, middle)
        return low

    def _volunteer_for(self, who: Actor, volunteer_id: str) -> Volunteer:
        """The volunteer, if the actor's agency's; otherwise exactly as if it did not exist."""
        check_volunteer_id(volunteer_id)
        volunteer = stored_volunteer(self, volunteer_id)
        if volunteer is None or not who.sees(volunteer.state.agency):
            raise VolunteerNotFound(volunteer_id)
        return volunteer

    def _stamp(self, recording: Recording, volunteer_id: str, on: date | None) -> Stamp:
        aggregate_id = str(volunteer_uuid(volunteer_id))
        protect = recording.protect_with_stored_or_new_key(aggregate_id)
        today = recording.today
        return Stamp(on=on or today, by=recording.who.name, today=today, protect=protect)

    def _save_volunteers(self, volunteers: Sequence[Volunteer], recording: Recording) -> None:
        """Every volunteer's new events, and any key made for them, in one transaction."""
        events = [
            self.mapper.to_stored_event(event)
            for volunteer in volunteers
            for event in volunteer.collect_events()
        ]
        try:
            self.keys.store_with(events, new=recording.new_keys)
        except Conflict:
            named = ", ".join(volunteer.volunteer_id for volunteer in volunteers)
            raise Conflict(
                f"another write to volunteer {named} was recorded first; "
                "nothing was written: look again and retry"
            ) from None

    def _revealed(self, volunteer: Volunteer, value: str | None) -> str:
        if value is None:
            return ""
        aggregate_id = str(volunteer.id)
        return decrypt(self.keys.get(aggregate_id), aggregate_id, value)

    def _caught_up(self) -> ProjectionStore:
        from reentry_ledger.projections.catalogue import projection_named
        from reentry_ledger.projections.runner import ProjectionRunner

        runner = ProjectionRunner(self, [projection_named("volunteers")])  # type: ignore[arg-type]
        runner.catch_up()
        return runner.store

    def _register(self, store: ProjectionStore, agency: str | None) -> list[str]:
        """The registered volunteers' ids (of one agency, or all), in order of id."""
        where, params = ("WHERE agency = ?", (agency,)) if agency else ("", ())
        rows = store.rows(
            f"SELECT volunteer_id FROM {{audit_volunteers}} {where}", params, ["audit_volunteers"]
        )
        return sorted((row[0] for row in rows), key=volunteer_number)

    def _matched_clients(self, who: Actor, volunteer_ids: set[str]) -> dict[str, list[str]]:
        """The clients now matched with each of these volunteers that the actor may see, read
        from the matches on the log (the projection keeps no references); each is logged."""
        found: dict[str, list[str]] = {}
        if not volunteer_ids:
            return found
        seen: set[str] = set()
        listed: list[str] = []  # logged at once, in the order read, before any is shown
        position = 0
        while page := self.recorder.select_notifications(
            start=position,
            limit=1000,
            topics=[VolunteerMatched.TOPIC],
            inclusive_of_start=False,
        ):
            for notification in page:
                event = cast(VolunteerMatched, self.mapper.ledger_event(notification))
                owner = str(notification.originator_id)
                if event.volunteer_id not in volunteer_ids or owner in seen:
                    continue
                seen.add(owner)
                client: Client = self.repository.get(UUID(owner))
                match = client.state.active_match
                if match is None or match.volunteer_id is None:
                    continue
                if match.volunteer_id in volunteer_ids and who.sees(client.state.agency):
                    listed.append(client.ref)
                    found.setdefault(match.volunteer_id, []).append(client.ref)
            position = page[-1].id
        self.log_reads(who, listed, "volunteers", None, None)
        return found

    def _summary(
        self, volunteer: Volunteer, open_matches: int, matched: dict[str, list[str]]
    ) -> VolunteerSummary:
        state = volunteer.state
        sessions = state.supervisions
        return VolunteerSummary(
            volunteer_id=state.volunteer_id,
            agency=state.agency,
            name=self._revealed(volunteer, state.name),
            skills=state.skills,
            trained_on=state.trained_on,
            availability=self._revealed(volunteer, state.availability) or None,
            capacity=state.capacity,
            registered_on=cast(date, state.registered_on),
            left_on=state.left_on,
            supervision_sessions=len(sessions),
            last_supervised=max((on for on, _ in sessions), default=None),
            open_matches=open_matches,
            capacity_left=max(state.capacity - open_matches, 0),
            matched_clients=tuple(sorted(matched.get(state.volunteer_id, []))),
        )
