"""A term that ends on the day the next one starts (a revocation or a discharge, then a new
term dated the same day: a re-sentence, a release to parole the same day): the day is the
ending term's. Its end (a discharge, the revocation decision that ended it) and whatever else
is dated that day count there, as for any term, which runs through its discharge day; the new
term's days begin the day after. Found by a domain expert's probe: the day went to the new
term, so a new-offence revocation of a probation term was counted as a technical revocation of
the parole term that followed, and a discharge on 1 February as one of 31 January."""

from __future__ import annotations

from datetime import date
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY

JAN, FEB_1, FEB_END = date(2024, 1, 1), date(2024, 2, 1), date(2024, 2, 29)
REVOCATIONS = ("revocations_technical", "revocations_absconding", "revocations_new_offence")


def enroll(ledger: Ledger, start: date, supervision: str, officer: str) -> None:
    ledger.enroll("DR", actor="jdoe", start=start, agency="GA", officer=officer,
                  supervision=supervision)  # fmt: skip


def revoked_then_paroled_the_same_day(ledger: Ledger) -> None:
    """Probation from 1 Jan 2024: a new offence on 10 Jan, a curfew breach on 20 Jan, which
    the court revokes on 1 Feb; parole starts on 1 Feb."""
    enroll(ledger, JAN, "probation", "o1")
    ledger.record_violation("DR", actor="jdoe", on=date(2024, 1, 10), new_offence="felony")
    ledger.record_violation("DR", actor="jdoe", on=date(2024, 1, 20), technical=("curfew",))
    ledger.respond_to_violation("DR", "V2", "revocation", actor="jdoe", on=FEB_1,
                                decided_by="court")  # fmt: skip
    enroll(ledger, FEB_1, "parole", "o2")


def ended_and_restarted_on(ledger: Ledger, day: date) -> None:
    """Term 1 (probation, o1) discharged on `day`, term 2 (parole, o2) starting that day."""
    ledger.discharge("DR", actor="jdoe", on=day, outcome="successful")
    enroll(ledger, day, "parole", "o2")


def justice_counts(reports: Reports, month: int) -> dict[tuple[str, str, str | None], Any]:
    """The Justice Counts cells of a month of 2024: (system, metric type, breakdown)."""
    return {
        (row["system"], row["metric"].removeprefix(f"{row['system']}_"), row["breakdown"]):
            row["value"]
        for row in reports.justice_counts(2024, month).rows
    }  # fmt: skip


def groups(ledger: Ledger, *by: str, **asked: Any) -> list[dict[str, Any]]:
    request = ReportRequest(today=TODAY, by=by, first=JAN, last=FEB_END, **asked)
    return list(Reports(ledger, "jdoe").violations(request)["groups"])


def test_the_revocation_that_ended_a_term_is_that_terms_for_the_offence_in_its_window(
    ledger: Ledger,
) -> None:
    revoked_then_paroled_the_same_day(ledger)
    by_term = {g["term"]: g for g in groups(ledger, "term", "supervision", "officer")}
    first, later = by_term["first"], by_term["later"]
    assert (first["supervision"], first["officer"]) == ("probation", "o1")
    # the new offence of 10 Jan is in the window of the decision on the term it ended
    assert tuple(first[c] for c in REVOCATIONS) == (0, 0, 1)
    assert first["revocation_decisions"] == 1
    assert tuple(later[c] for c in REVOCATIONS) == (0, 0, 0)
    assert later["revocation_decisions"] == 0
    # 1 Jan..1 Feb on probation (32 days), 2..29 Feb on parole (28): no day counted twice
    assert (first["person_days"], later["person_days"]) == (32, 28)
    # dated 1 Feb, in February
    monthly = groups(ledger, "term", period="month")
    revoked = [(g["term"], g["period"]) for g in monthly if g["revocations_new_offence"]]
    assert revoked == [("first", "2024-02")]


def test_the_facts_reports_count_the_revocation_on_the_term_it_ended(ledger: Ledger) -> None:
    revoked_then_paroled_the_same_day(ledger)
    reports = Reports(ledger, "jdoe")
    [february] = reports.discharges(FEB_1, FEB_END, ("supervision",)).rows
    assert february["supervision"] == "probation"
    assert (february["revoked_new_offence"], february["revoked_technical"]) == (1, 0)
    assert reports.discharges(JAN, date(2024, 1, 31), ("supervision",)).rows == []
    cohorts = {row["start_period"]: row for row in reports.cohorts("month", follow=2).rows}
    assert (cohorts["2024-01"]["revoked"], cohorts["2024-02"]["revoked"]) == (1, 0)
    february_counts = justice_counts(reports, 2)
    revocations = "Revocations for New Offense Violations"
    assert february_counts["PROBATION", "REVOCATIONS", revocations] == 1
    assert february_counts.get(("PAROLE", "REVOCATIONS", None), 0) == 0
    unsuccessful = "Unsuccessful Discharges from Supervision"
    assert february_counts["PROBATION", "SUPERVISION_TERMINATIONS", unsuccessful] == 1


def test_a_discharge_on_the_day_the_next_term_starts_is_counted_on_its_own_date(
    ledger: Ledger,
) -> None:
    enroll(ledger, JAN, "probation", "o1")
    ended_and_restarted_on(ledger, FEB_1)
    ledger.record_violation("DR", actor="jdoe", on=date(2024, 2, 2), technical=("curfew",))
    reports = Reports(ledger, "jdoe")
    [february] = reports.discharges(FEB_1, FEB_END).rows
    assert february["successful"] == 1
    assert reports.discharges(JAN, date(2024, 1, 31)).rows == []
    january = justice_counts(reports, 1)
    assert january.get(("PROBATION", "SUPERVISION_TERMINATIONS", None), 0) == 0
    by_term = {g["term"]: g for g in groups(ledger, "term")}
    assert (by_term["first"]["person_days"], by_term["later"]["person_days"]) == (32, 28)
    assert by_term["later"]["technical_violations"] == 1


def test_a_violation_recorded_on_the_day_between_two_terms_is_the_ending_terms(
    ledger: Ledger,
) -> None:
    enroll(ledger, JAN, "probation", "o1")
    ended_and_restarted_on(ledger, FEB_1)
    ledger.start_custody("DR", actor="jdoe", on=FEB_1, reason="jail_hold")
    ledger.record_violation("DR", actor="jdoe", on=FEB_1, technical=("curfew",))
    by_term = {g["term"]: g for g in groups(ledger, "term", "officer")}
    first, later = by_term["first"], by_term["later"]
    assert (first["officer"], first["technical_violations"]) == ("o1", 1)
    # the new term's custody from its first day takes effect on its first day, 2 Feb; the
    # ending term's last day is not taken by it
    assert (first["person_days"], first["days_at_risk"]) == (32, 32)
    assert (later["person_days"], later["days_at_risk"]) == (28, 0)


def test_an_assessment_on_the_day_between_two_terms_is_the_ending_terms(ledger: Ledger) -> None:
    """The needs report took the latest term begun by the assessment's day (found by a
    review): the other reports count the day in the ending term."""
    enroll(ledger, JAN, "probation", "o1")
    ledger.assess("DR", actor="jdoe", on=FEB_1, instrument="ORAS", risk_level="high",
                  needs=("substance_use",))  # fmt: skip
    ended_and_restarted_on(ledger, FEB_1)
    rows = Reports(ledger, "jdoe").needs(JAN, FEB_END, by=("supervision", "officer")).rows
    found = {(r["need"], r["supervision"], r["officer"]) for r in rows if r["clients"]}
    assert found == {("substance_use", "probation", "o1"), ("all_needs", "probation", "o1")}


def test_a_month_is_measured_for_contacts_only_where_the_term_held_its_whole_window(
    ledger: Ledger,
) -> None:
    """April's window (its one month at medium) begins on 1 April, the ending term's day: the
    new term, whose days begin on 2 April, did not hold it (a review found April measured for
    it, met by a contact the report files under the ending term)."""
    enroll(ledger, JAN, "probation", "o1")
    ledger.change_level("DR", actor="jdoe", on=JAN, level="medium")
    ledger.log_contact("DR", actor="jdoe", on=date(2024, 4, 1), note="office visit")
    ended_and_restarted_on(ledger, date(2024, 4, 1))
    ledger.change_level("DR", actor="jdoe", on=date(2024, 4, 1), level="medium")
    rows = Reports(ledger, "jdoe").contacts(date(2024, 4, 1), date(2024, 4, 30), by=("officer",))
    assert [r for r in rows.rows if r["officer"] == "o2" and r["client_months"]] == []
