"""De-identified export for researchers: codes, flags and numbers only.

Each client becomes a pseudonym (a keyed hash of its id: the same key gives the same pseudonyms,
so exports can be linked; without a key a random one is used). Dates are coarsened to the
month; free text (names, notes, descriptions, reasons, the agency's raw wording), officers,
who recorded what, and when it was recorded are all left out. Only client events are exported.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, cast

import orjson

from reentry_ledger.application import Ledger
from reentry_ledger.domain.events import EVENT_CLASSES, ClientEvent, ViolationRecorded
from reentry_ledger.export import notification_pages

# What each event may carry out, field by field; everything else stays in the ledger.
ALLOWED: dict[str, tuple[str, ...]] = {
    "Enrolled": ("agency", "supervision", "conditions", "juvenile", "expected_end"),
    "Assessed": ("instrument", "score", "risk_level", "needs"),
    "CasePlanRevised": ("goals",),
    "Referred": ("referral_id", "service"),
    "ReferralUpdated": ("referral_id", "status"),
    "ContactLogged": ("kind", "confidential"),
    "VolunteerMatched": ("needs",),
    "VolunteerMatchEnded": ("ending",),
    "ViolationRecorded": ("violation_id", "technical", "absconding", "new_offence"),
    "ViolationResponded": ("violation_id", "response", "custody_days", "decided_by"),
    "Discharged": ("outcome",),
    "Corrected": ("corrects",),
    "ClientSealed": (),
}
TOPICS = [event_class.TOPIC for event_class in EVENT_CLASSES]


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def plain(value: Any) -> Any:
    """Codes without the agency's wording, dates as months, goals as the needs they serve."""
    if isinstance(value, date):
        return month(value)
    if hasattr(value, "code"):
        return plain(value.code)
    if hasattr(value, "severity"):  # a new offence
        return {"severity": plain(value.severity), "violent": value.violent}
    if hasattr(value, "need") and hasattr(value, "priority"):  # a case-plan goal
        return {"priority": value.priority, "need": plain(value.need)}
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value.value if hasattr(value, "value") else value


class Pseudonyms:
    def __init__(self, key: str | None) -> None:
        self.key = (key or secrets.token_hex(32)).encode()

    def __call__(self, client_id: str) -> str:
        return "P-" + hmac.new(self.key, client_id.encode(), hashlib.sha256).hexdigest()[:20]


def deidentified(event: ClientEvent, pseudonym: Callable[[str], str]) -> dict[str, Any]:
    kind = type(event).__name__
    record: dict[str, Any] = {
        "client": pseudonym(str(event.originator_id)),
        "number": event.number,
        "type": kind,
        "month": month(event.occurred_on),
        "data": {name: plain(getattr(event, name)) for name in ALLOWED[kind]},
    }
    if isinstance(event, ViolationRecorded):
        record["data"]["category"] = event.category.value
    return record


def deidentified_lines(
    ledger: Ledger, key: str | None, progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    pseudonym = Pseudonyms(key)
    for page in notification_pages(ledger):
        for notification in page:
            if notification.topic in TOPICS:
                event = cast(ClientEvent, ledger.mapper.ledger_event(notification))
                yield orjson.dumps(deidentified(event, pseudonym)) + b"\n"
        if progress:
            progress(len(page))
