"""The casework reports through the server (REENTRY_LEDGER_URL): `report needs`, `programmes`,
`contacts` and `volunteer-supervision` print the same tables, and refuse alike, as from the
database."""

from __future__ import annotations

from datetime import date

from tests.server.test_remote_cli import same, twins
from tests.serving import Live


def casework(live: Live) -> None:
    ledger = live.ledger
    twins(ledger)
    for ref in ("GA-3", "GA-4"):
        ledger.assess(ref, actor="cw-ga", on=date(2025, 5, 2), instrument="ORAS",
                      risk_level="high", needs=("school_work",))  # fmt: skip
        ledger.change_level(ref, actor="cw-ga", on=date(2025, 5, 2), level="high")
        ledger.refer(ref, actor="cw-ga", on=date(2025, 5, 10), service="employment",
                     need="school_work")  # fmt: skip
        ledger.log_contact(ref, actor="cw-ga", on=date(2025, 6, 3), kind="home")
    ledger.add_programme("Thinking", actor="cw-ga", service="mental_health", on=date(2025, 5, 1))
    ledger.enrol_in_programme("Thinking", ["GA-3", "GA-4"], actor="cw-ga", on=date(2025, 5, 5))
    ledger.record_programme_session("Thinking", actor="cw-ga", on=date(2025, 5, 12),
                                    attended=["GA-3"])  # fmt: skip
    ledger.register_volunteer(actor="cw-ga", name="Val", skills=("job_search",),
                              trained_on=date(2025, 4, 1), on=date(2025, 4, 1))  # fmt: skip


def test_casework_reports_print_the_same_through_the_server(live: Live) -> None:
    casework(live)
    span = ("--from", "2025-01-01", "--to", "2025-12-31")
    needs = same(live, "cw-ga", "report", "needs", *span, "--by", "risk,agency", "--format",
                 "csv", code=0)  # fmt: skip
    assert "school_work,high,GA,2,0,2,2,1.0,2,1.0" in needs.stdout
    programmes = same(live, "cw-ga", "report", "programmes", *span, "--format", "csv", code=0)
    assert "Thinking" in programmes.stdout
    same(live, "cw-ga", "report", "contacts", *span, "--by", "level", "--format", "json", code=0)
    same(live, "cw-ga", "report", "volunteer-supervision", *span, "--by-agency", code=0)


def test_casework_reports_refuse_alike_through_the_server(live: Live) -> None:
    casework(live)
    same(live, "cw-ga", "report", "needs", "--by", "shoe_size", code=2)
    same(live, "cw-ga", "report", "contacts", "--from", "2025-06-01", "--to", "2025-01-01",
         code=2)  # fmt: skip
