"""Every export: the full ledger as JSON lines (`full`) and the research extract
(`deidentified`). Both read the event log page by page, never the whole ledger at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.persistence import Notification

from reentry_ledger.application import Ledger

PAGE = 1000


def notification_pages(ledger: Ledger, upto: int | None = None) -> Iterator[Sequence[Notification]]:
    """The log page by page, up to position `upto` (the head when it was asked for)."""
    position = 0
    while page := ledger.recorder.select_notifications(
        start=position, limit=PAGE, stop=upto, inclusive_of_start=False
    ):
        yield page
        position = page[-1].id
