"""Reading one client's record: its timeline and its case as it stands, as the actor may see
them (another agency's client is not found; confidential notes only for its own agency), with
personal fields decrypted under the client's key, and every reading logged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from reentry_ledger.application.access import AccessLog
from reentry_ledger.authorization import Permission
from reentry_ledger.domain.events import ContactLogged
from reentry_ledger.domain.personal import decrypt, reveal_value
from reentry_ledger.domain.state import CaseState
from reentry_ledger.timeline import TimelineEntry, timeline


def redacted(entry: TimelineEntry) -> TimelineEntry:
    """A confidential case note, as someone outside the client's agency sees it."""
    if entry.type != ContactLogged.__name__ or not entry.data.get("confidential"):
        return entry
    return replace(entry, data={**entry.data, "note": "[confidential]"})


class Reads(AccessLog):
    def timeline(
        self,
        ref: str,
        *,
        actor: str | None = None,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> list[TimelineEntry]:
        """The client's timeline, as the actor may see it; the reading is logged."""
        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "timeline", as_of, known_at)
        reveal = self.revealer(str(client.id))
        entries = [
            replace(entry, data={k: reveal_value(v, reveal) for k, v in entry.data.items()})
            for entry in timeline(client.history, as_of=as_of, known_at=known_at)
        ]
        if who.reads_confidential(client.enrolment.agency):
            return entries
        return [redacted(entry) for entry in entries]

    def client_state(self, ref: str, *, actor: str | None = None) -> CaseState:
        """The case as it stands, every personal field decrypted; the reading is logged."""
        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        self.log_read(who, client, "show", None, None)
        state: CaseState = reveal_value(client.state, self.revealer(str(client.id)))
        return state

    def revealer(self, client: str) -> Callable[[str], str]:
        """Decrypts with the client's key: [sealed] once it is destroyed."""
        key = self.keys.get(client)
        return lambda value: decrypt(key, client, value)
