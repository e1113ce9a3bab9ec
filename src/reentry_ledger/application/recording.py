"""The one write path: every event of casework, typed or imported, goes through a Recording.

A Recording is one actor's unit of writes. Each command first asks the actor's role and agency
(the policy in authorization.py), then the client aggregate's own rules, and only then builds
the event. The interactive commands save the one client they touched; a CSV import keeps every
client it touched and hands their events to the bulk writer, all in one transaction. So a
command refused at the prompt is refused in a file, with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Any

from reentry_ledger.authorization import Actor, NotPermitted, Permission
from reentry_ledger.domain.client import Client, checked_person
from reentry_ledger.domain.errors import (
    ClientAlreadyEnrolled,
    ClientNotFound,
    Conflict,
    InvalidInput,
)
from reentry_ledger.domain.personal import Protect, encrypt, new_client_key
from reentry_ledger.domain.recording import Stamp
from reentry_ledger.domain.references import check_reference, client_id

if TYPE_CHECKING:
    from reentry_ledger.application.base import LedgerBase

Command = Callable[[Client, Stamp], str | None]

# The number of the client's last event as the writer saw it (a server's If-Match): a write
# to a client that has moved on since is refused as a conflict, as a lost race is.
_expected: ContextVar[int | None] = ContextVar("expected_event_number", default=None)


@contextmanager
def expecting(number: int | None) -> Iterator[None]:
    """Writes made inside expect the client's last event to be number `number`."""
    token = _expected.set(number)
    try:
        yield
    finally:
        _expected.reset(token)


class Recording:
    def __init__(
        self,
        ledger: LedgerBase,
        who: Actor,
        protector: Callable[[str], Protect] | None = None,
        stored: Callable[[str], bool] | None = None,
    ) -> None:
        """`stored`: whether a reference is a client on the ledger, where the caller knows
        (an import asks of all its clients at once); else the ledger is asked of each."""
        self.ledger = ledger
        self.stored = stored or ledger.exists
        self.who = who
        self.today = ledger.clock()
        self.protector = protector or self.protect_with_stored_or_new_key
        self.clients: dict[str, Client] = {}  # every client touched, by reference
        self.new_keys: dict[str, bytes] = {}  # keys made here: stored with the events, or not

    def protect_with_stored_or_new_key(self, client: str) -> Protect:
        """Encrypts under the client's key; a client with none gets a new one, made only when
        something is encrypted (after the rules passed) and stored only with the events."""

        def protect(text: str) -> str:
            key = self.new_keys.get(client) or self.ledger.keys.get(client)
            if key is None:
                key = self.new_keys[client] = new_client_key()
            return encrypt(key, client, text)

        return protect

    def save(self, ref: str) -> None:
        """Store the client's new events, and any key made for them, in one transaction."""
        client = self.clients[ref]
        self.ledger.save_with_keys(client, self.new_keys)

    def stamp(self, ref: str, on: date | None) -> Stamp:
        protect = self.protector(str(client_id(ref)))
        return Stamp(on=on or self.today, by=self.who.name, today=self.today, protect=protect)

    def enroll(self, ref: str, on: date, agency: str, enrol: Callable[[Stamp], Client]) -> Client:
        """A new client of `agency`, made by `enrol` (Client.enroll with its values)."""
        check_reference(ref)
        self.who.require(Permission.WRITE).check_enrols_in(agency)
        if ref in self.clients or self.stored(ref):
            raise ClientAlreadyEnrolled(ref)
        client = self.clients[ref] = enrol(self.stamp(ref, on))
        return client

    def enroll_or_start_term(
        self,
        ref: str,
        on: date,
        term: dict[str, Any],
        person: dict[str, Any],
        juvenile: bool = False,
        name: str | None = None,
        details: dict[str, str] | None = None,
    ) -> Client:
        """A client's first term (a new client), or a later one for a client the actor sees
        whose terms have all ended. Who the person is (name, details, sex, race, ethnicity,
        birth year, juvenile) is given at the first term only: nothing may rewrite it."""
        agency = term["agency"]
        if not self.returning(ref):
            for field, value in person.items():
                if value is not None:
                    try:
                        checked_person({field: value})
                    except InvalidInput as error:
                        error.field = field
                        raise
            return self.enroll(
                ref,
                on,
                agency,
                lambda stamp: Client.enroll(
                    ref,
                    stamp,
                    juvenile=juvenile,
                    details=details,
                    name=name,
                    person=person,
                    **term,
                ),
            )
        given = [field for field, value in person.items() if value is not None]
        given += [field for field, value in (("name", name), ("details", details)) if value]
        if juvenile and not self.clients[ref].enrolment.juvenile:
            given.append("juvenile")
        if given:
            refused = InvalidInput(
                f"client {ref!r} is already enrolled: a later term takes the term's values only "
                f"(not {', '.join(given)}: who the person is is given at the first term)"
            )
            refused.field = given[0]
            raise refused
        self.record(ref, on, lambda client, stamp: client.start_term(stamp, **term), agency=agency)
        return self.clients[ref]

    def returning(self, ref: str) -> bool:
        """Whether `ref` is a client already enrolled that the actor may see, so an `enroll`
        is a later term; one the actor may not see is refused as already enrolled."""
        check_reference(ref)
        if ref not in self.clients and not self.stored(ref):
            return False
        try:
            self.client(ref)
        except ClientNotFound:
            raise ClientAlreadyEnrolled(ref) from None
        return True

    def client(self, ref: str, permission: Permission = Permission.WRITE) -> Client:
        """The client to record on, if the actor may; one of another agency is refused
        exactly as one that does not exist."""
        self.who.require(permission)
        held = self.clients.get(ref)
        if held is not None and not self.who.sees(held.state.agency):
            raise ClientNotFound(ref)  # moved to another agency earlier in this recording
        if ref not in self.clients:
            client = self.ledger.client_for(self.who, ref, writing=True)
            expected = _expected.get()
            if expected is not None and client.version != expected:
                raise Conflict(
                    f"client {ref!r} has moved on: its last event is number {client.version}, "
                    f"not {expected} as expected; nothing was written: look again and retry"
                )
            self.clients[ref] = client
        return self.clients[ref]

    def check_staffed(self, agency: str) -> None:
        """A client moves only to an agency with staff on this ledger (once it has users):
        moved to one with none (a slip, or a look-alike such as `ga` for `GA`), its record
        would be read by no one who may write to it, and by its old agency only as it stood."""
        directory = self.ledger.known_directory()
        if directory is None:
            return
        if not any(user.agency == agency for user in directory.users.values()):
            raise InvalidInput(
                f"agency {agency!r} has no staff on this ledger: a client moves only to an "
                "agency whose caseworkers or supervisors are its users (check the spelling, or "
                "add them first: users add)"
            )

    def record(
        self,
        ref: str,
        on: date | None,
        command: Command,
        permission: Permission = Permission.WRITE,
        agency: str | None = None,
    ) -> str | None:
        """Run one of the client's commands; returns the id it assigned, if any. `agency`:
        the agency a new term places the client in, which the actor must be able to enrol in."""
        if agency is not None:
            self.who.check_enrols_in(agency)
        client = self.client(ref, permission)
        before = client.state.agency
        assigned = command(client, self.stamp(ref, on))
        if client.state.agency != before:  # a transfer, whichever command or door it came by
            try:
                self.who.check_transfers()
                self.check_staffed(client.state.agency)
            except (NotPermitted, InvalidInput):
                del self.clients[ref]  # its refused event is never saved
                raise
        return assigned
