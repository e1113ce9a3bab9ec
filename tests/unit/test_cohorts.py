"""Cohorts of terms, hand-counted on a few clients built from their facts."""

from __future__ import annotations

from datetime import date

from reentry_ledger.reports.cohorts import (
    add_months,
    cohorts,
    follow_up_end,
    hidden_months,
    hidden_summary,
    month_of,
    month_rows,
    start_period,
    summary_rows,
)
from reentry_ledger.reports.facts import ClientFacts, Discharge, ResponseFact, TermFact, Violation

AS_OF = date(2025, 6, 30)


def client(
    name: str, *terms: TermFact, violations: tuple[Violation, ...] = (), responses=()
) -> ClientFacts:
    facts = ClientFacts(name, "GA", "jdoe", "parole", False, terms[0].start_on)
    facts.terms = list(terms)
    facts.violations = list(violations)
    facts.responses = list(responses)
    facts.discharges = [Discharge(t.end_on, 0, t.outcome or "") for t in terms if t.end_on]
    return facts


def term(start: date, end: date | None = None, outcome: str | None = None, n: int = 1) -> TermFact:
    return TermFact(n, n, start, "GA", "jdoe", "parole", None, end_on=end, outcome=outcome)


def violation(on: date, category: str, vid: str = "V1") -> Violation:
    return Violation(on, 5, vid, category)


def test_a_fiscal_year_runs_july_to_june_named_by_the_year_it_ends() -> None:
    assert start_period(date(2011, 7, 1), "fiscal_year") == "FY2012"
    assert start_period(date(2012, 6, 30), "fiscal_year") == "FY2012"
    assert start_period(date(2012, 6, 30), "quarter") == "2012-Q2"
    assert start_period(date(2012, 6, 30), "month") == "2012-06"
    assert start_period(date(2012, 6, 30), "year") == "2012"


def test_a_follow_up_ends_the_day_before_the_same_date_months_later() -> None:
    assert follow_up_end(date(2010, 1, 1), 36) == date(2012, 12, 31)
    assert follow_up_end(date(2010, 1, 31), 1) == date(2010, 2, 27)  # 28 Feb is month 2
    assert add_months(date(2012, 2, 29), 12) == date(2013, 2, 28)
    assert month_of(date(2010, 1, 1), date(2010, 1, 1)) == 1
    assert month_of(date(2010, 1, 15), date(2010, 2, 14)) == 1
    assert month_of(date(2010, 1, 15), date(2010, 2, 15)) == 2
    assert month_of(date(2010, 1, 1), date(2012, 12, 31)) == 36


def test_shares_count_each_terms_first_event_within_the_follow_up() -> None:
    start = date(2020, 1, 1)
    clients = [
        # technical in month 2, recommended for revocation by the officer in month 2 (no
        # decision: not a revocation), then a new offence in month 5 revoked by a decision
        # (stored before decisions ended terms: the term stays open)
        client("a", term(start), violations=(violation(date(2020, 2, 10), "technical"),
                                              violation(date(2020, 5, 1), "new_offence", "V2")),
               responses=(ResponseFact(date(2020, 2, 12), 6, "V1", "revocation", None,
                                       recommendation=True),
                          ResponseFact(date(2020, 5, 3), 8, "V2", "revocation", None))),
        # two technical violations: counted once; revoked by the court's decision in month 12,
        # which ended the term
        client("b", term(start, date(2020, 12, 20), "revoked_technical"),
               violations=(violation(date(2020, 3, 1), "technical"),
                           violation(date(2020, 4, 1), "technical", "V2")),
               responses=(ResponseFact(date(2020, 12, 20), 7, "V2", "revocation", None, "court",
                                       False, "revoked_technical"),)),
        # a new offence one day after the 12-month follow-up: not within it
        client("c", term(start), violations=(violation(date(2021, 1, 1), "new_offence"),)),
        # nothing; and a second term starting in 2024, whose follow-up is not over by AS_OF
        client("d", term(start, date(2020, 6, 30), "successful"), term(date(2024, 9, 1), n=2)),
    ]  # fmt: skip
    found = cohorts(clients, "year", 12, AS_OF)
    rows = {row["start_period"]: row for row in summary_rows(found, 12)}
    assert rows["2020"]["terms"] == 4
    assert (rows["2020"]["technical"], rows["2020"]["new_offence"], rows["2020"]["revoked"]) == (
        2, 1, 2
    )  # fmt: skip
    assert rows["2020"]["technical_per_100"] == 50.0
    assert rows["2020"]["technical_per_100_low"] < 50 < rows["2020"]["technical_per_100_high"]
    assert (rows["2024"]["terms"], rows["2024"]["incomplete"]) == (0, 1)
    assert rows["2024"]["technical_per_100"] is None

    months = {(r["start_period"], r["month"]): r for r in month_rows(found, 12)}
    assert [months["2020", m]["technical"] for m in (1, 2, 3, 12)] == [0, 1, 2, 2]
    assert [months["2020", m]["revoked"] for m in (4, 5, 11, 12)] == [0, 1, 1, 2]


def test_events_of_a_later_term_are_not_the_earlier_terms() -> None:
    first = term(date(2020, 1, 1), date(2020, 3, 31), "successful")
    later = term(date(2020, 6, 1), n=2)
    facts = client("e", first, later, violations=(violation(date(2020, 7, 1), "technical"),))
    rows = {r["start_period"]: r for r in summary_rows(cohorts([facts], "quarter", 12, AS_OF), 12)}
    assert (rows["2020-Q1"]["terms"], rows["2020-Q1"]["technical"]) == (1, 0)
    assert (rows["2020-Q2"]["terms"], rows["2020-Q2"]["technical"]) == (1, 1)


def test_small_counts_and_the_shares_from_them_are_hidden() -> None:
    row = {"start_period": "2020", "terms": 40, "incomplete": 3, "technical": 4,
           "technical_per_100": 10.0, "technical_per_100_low": 4.0, "technical_per_100_high": 23.0,
           "new_offence": 0, "new_offence_per_100": 0.0, "new_offence_per_100_low": 0.0,
           "new_offence_per_100_high": 8.8, "revoked": 12, "revoked_per_100": 30.0,
           "revoked_per_100_low": 18.0, "revoked_per_100_high": 45.0}  # fmt: skip
    shown = hidden_summary(row, 10)
    assert shown["incomplete"] == shown["technical"] == "withheld"
    assert shown["technical_per_100"] == shown["technical_per_100_high"] == "withheld"
    assert (shown["new_offence"], shown["revoked"], shown["revoked_per_100"]) == (0, 12, 30.0)


def test_a_months_count_is_hidden_when_it_rises_by_a_small_number_to_a_shown_one() -> None:
    rows = [{"start_period": "2020", "month": m, "terms": 100, "technical": t, "new_offence": 0,
             "revoked": 0} for m, t in ((1, 10), (2, 20), (3, 25), (4, 25))]  # fmt: skip
    shown = hidden_months(rows, 10)
    assert [r["technical"] for r in shown] == [10, "withheld", 25, 25]
