"""`--known-at T` without `--to` ends the range on T's date: the report says what the ledger
said then, and days after T (or clients recorded after it) never count, however long after
it is run. The ledger's clock is moved forward by hand; T is a real moment between two
recordings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.reports.violations import ReportRequest

START = date(2026, 1, 2)


@pytest.fixture
def moved(db_url: str) -> Iterator[tuple[Ledger, list[date], datetime]]:
    """A ledger whose clock can be moved; GA-1 enrolled before T, GA-2 after it."""
    today = [datetime.now(UTC).date()]
    ledger = Ledger(db_url, clock=lambda: today[0])
    for ref in ("GA-1",):
        ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer="o-1",
                      supervision="parole")  # fmt: skip
    time.sleep(0.01)
    known_at = datetime.now(UTC)
    time.sleep(0.01)
    ledger.enroll("GA-2", actor="jdoe", start=START, agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    yield ledger, today, known_at
    ledger.close()


def test_person_days_end_on_the_known_at_date_however_late_the_report_runs(
    moved: tuple[Ledger, list[date], datetime],
) -> None:
    ledger, today, known_at = moved
    days_until_t = (known_at.date() - START).days + 1
    for later in (0, 40, 400):
        today[0] = known_at.date() + timedelta(days=later)
        reports = ledger.reports(actor="jdoe")
        [group] = reports.violations(ReportRequest(today=today[0], first=START), known_at)["groups"]
        assert (group["clients"], group["person_days"]) == (1, days_until_t)


def test_caseload_and_discharges_default_to_the_known_at_date(
    moved: tuple[Ledger, list[date], datetime],
) -> None:
    ledger, today, known_at = moved
    ledger.discharge("GA-1", actor="jdoe", on=known_at.date(), outcome="successful")
    today[0] = known_at.date() + timedelta(days=30)
    reports = ledger.reports(actor="jdoe")
    # As known at T: GA-1 open (its discharge came later), GA-2 not yet enrolled.
    assert reports.caseload(None, ("agency",), known_at).rows == [
        {"agency": "GA", "active_clients": 1}
    ]
    assert reports.discharges(None, None, ("agency",), known_at).rows == []
    # Now: both enrolled, GA-1 discharged on T's date (so still supervised that day).
    [now] = reports.discharges(None, None, ("agency",)).rows
    assert now["successful"] == 1
