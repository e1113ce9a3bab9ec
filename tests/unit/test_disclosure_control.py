"""The suppression rules themselves (docs/metrics.md, "Small counts"): transitive hiding,
statistics over too few people, totals that cannot give a hidden part away, whole months."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reentry_ledger.reports import casework
from reentry_ledger.reports.facts import ClientFacts, MatchFact, ReferralFact
from reentry_ledger.reports.justice_counts import (
    BY_KIND,
    CASELOADS_PEOPLE,
    CASELOADS_STAFF,
    POPULATION,
    REVOCATIONS,
    STARTS,
    SYSTEMS,
    TERMINATIONS,
    UNSUCCESSFUL,
    suppressed,
)
from reentry_ledger.reports.snapping import Snapped, moment_start, month_end
from reentry_ledger.reports.suppression import LEGEND, legend, suppress, withheld
from reentry_ledger.reports.tallies import BY_BASIS, BY_DISPOSITION
from reentry_ledger.reports.violations import ReportRequest, rows

START = date(2024, 1, 1)


def test_hiding_is_transitive() -> None:
    values = {"a": 3, "b": 500, "c": 7.5, "d": 1.25, "e": 40}
    derived = {"b": ("a",), "c": ("b",), "d": ("c", "e")}
    assert withheld(values, 10, ["a", "e"], derived) == {"a", "b", "c", "d"}
    assert withheld({**values, "a": 0}, 10, ["a", "e"], derived) == set()


def test_a_rate_of_zero_over_hidden_person_days_is_hidden_with_its_limits() -> None:
    row = {"clients": 2, "person_days": 50, "days_at_risk": 40, "technical_violations": 0,
           "technical_per_100_person_years": 0.0, "technical_per_100_person_years_low": 0.0,
           "technical_per_100_person_years_high": 2694.7264}  # fmt: skip
    shown = suppress(row, 10, ["clients", "person_days", "days_at_risk", "technical_violations"])
    assert shown["technical_violations"] == 0
    assert {key: shown[key] for key in row if key != "technical_violations"} == dict.fromkeys(
        set(row) - {"technical_violations"}, "withheld"
    )


def referred(client_id: str, waits: list[int]) -> ClientFacts:
    client = ClientFacts(client_id, "GA", "o", "parole", False, START)
    for n, wait in enumerate(waits):
        made = START + timedelta(days=n)
        statuses = [(made + timedelta(days=wait), "started")]
        client.referrals.append(ReferralFact(f"R{n}", "housing", made, statuses))
    return client


def referral_row(clients: list[ClientFacts], below: int) -> dict[str, object]:
    [row] = casework.referrals(clients, START, date(2024, 12, 31))
    return suppress(row, below, casework.REFERRAL_COUNTS, casework.REFERRAL_DERIVED)


def test_a_median_of_many_referrals_of_one_person_is_hidden() -> None:
    one_person = referral_row([referred("c1", [12] * 12)], 10)
    assert one_person["started"] == 12 and one_person["median_days_to_start"] == "withheld"
    assert "_started_clients" not in one_person
    many = referral_row([referred(f"c{n}", [n]) for n in range(10)], 10)
    assert many["median_days_to_start"] == 4.5


def test_a_median_match_length_of_fewer_than_k_people_is_hidden() -> None:
    clients = []
    for n in range(3):
        client = ClientFacts(f"c{n}", "GA", "o", "parole", False, START)
        client.matches = [MatchFact(START, START + timedelta(days=40 + n), "completed")] * 4
        clients.append(client)
    [row] = casework.volunteers(clients, START, date(2024, 12, 31), ())
    shown = suppress(row, 10, casework.VOLUNTEER_COUNTS, casework.VOLUNTEER_DERIVED)
    assert shown["ended"] == 12 and shown["median_days_matched"] == "withheld"


counts = st.one_of(st.just(0), st.integers(1, 30))
# One month of a system: revocations by type; discharges other than unsuccessful (which are
# the revoked terms: the same number); the daily population by status; new cases; staff.
system_month = st.tuples(
    st.lists(counts, min_size=4, max_size=4),
    st.lists(counts, min_size=4, max_size=4),
    st.lists(counts, min_size=6, max_size=6),
    counts,
    counts,
)


def month_rows(systems: list[tuple[list[int], list[int], list[int], int, int]]) -> list[dict]:
    """A month's Justice Counts rows as the report gives them: each aggregate the sum of its
    breakdowns, SUPERVISION the sum of the systems (staff apart), open cases the population,
    unsuccessful discharges the revocations."""
    cells: dict[tuple[str, str, str | None], int] = {}
    for system, (revoked, ended, population, starts, staff) in zip(
        SYSTEMS[1:], systems, strict=True
    ):
        ended = [ended[0], ended[1], sum(revoked), ended[2], ended[3]]
        for metric, parts in ((REVOCATIONS, revoked), (TERMINATIONS, ended),
                              (POPULATION, population)):  # fmt: skip
            cells |= {
                (system, metric.kind, label): n
                for label, n in zip(metric.labels, parts, strict=True)
            }
            cells[system, metric.kind, None] = sum(parts)
        cells[system, CASELOADS_PEOPLE.kind, None] = sum(population)
        cells[system, STARTS.kind, None] = starts
        cells[system, CASELOADS_STAFF.kind, None] = staff
    for system, kind, label in list(cells):
        if kind != CASELOADS_STAFF.kind:
            key = ("SUPERVISION", kind, label)
            cells[key] = cells.get(key, 0) + cells[system, kind, label]
    cells["SUPERVISION", CASELOADS_STAFF.kind, None] = max(s[4] for s in systems)
    return [
        {"year": 2024, "month": 3, "system": system, "metric": f"{system}_{kind}",
         "breakdown_category": None, "breakdown": label, "value": value}
        for (system, kind, label), value in cells.items()
    ]  # fmt: skip


def relations(cells: Iterable[tuple[str, str, str | None]]) -> list[dict[Any, int]]:
    """Every equation a reader knows the published cells satisfy, as {cell: coefficient}
    summing to zero."""
    found = []
    for system, kind, label in cells:
        metric = BY_KIND[kind]
        if label is None and metric.labels:
            found.append(
                {(system, kind, None): 1, **{(system, kind, part): -1 for part in metric.labels}}
            )
        if system == "SUPERVISION" and kind != CASELOADS_STAFF.kind:
            found.append(
                {(system, kind, label): 1, **{(part, kind, label): -1 for part in SYSTEMS[1:]}}
            )
        if kind == POPULATION.kind and label is None:
            found.append({(system, kind, None): 1, (system, CASELOADS_PEOPLE.kind, None): -1})
        if kind == REVOCATIONS.kind and label is None:
            found.append({(system, kind, None): 1, (system, TERMINATIONS.kind, UNSUCCESSFUL): -1})
    return found


def determined(hidden: set[Any], equations: list[dict[Any, int]]) -> set[Any]:
    """The hidden cells a reader can solve for exactly: with the shown values moved to the
    other side, those whose unit vector is a row of the equations' reduced echelon form."""
    unknowns = sorted(hidden, key=repr)
    matrix = [[Fraction(eq.get(cell, 0)) for cell in unknowns] for eq in equations]
    matrix = [row for row in matrix if any(row)]
    pivot_row = 0
    for column in range(len(unknowns)):
        pivot = next((r for r in range(pivot_row, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[pivot_row], matrix[pivot] = matrix[pivot], matrix[pivot_row]
        lead = matrix[pivot_row][column]
        matrix[pivot_row] = [value / lead for value in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][column]:
                factor = matrix[r][column]
                matrix[r] = [
                    a - factor * b for a, b in zip(matrix[r], matrix[pivot_row], strict=True)
                ]
        pivot_row += 1
    return {
        unknowns[row.index(1)]
        for row in matrix[:pivot_row]
        if sum(1 for value in row if value) == 1
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(system_month, min_size=3, max_size=3), st.integers(2, 12))
def test_no_hidden_justice_counts_cell_can_be_solved_for(systems: list, below: int) -> None:
    """The attack: every published value of a month, and every equation they satisfy
    (aggregates, SUPERVISION sums, open cases = population, revocations = unsuccessful
    discharges), solved exactly. No hidden value may come out."""
    rows = month_rows(systems)
    shown = {(r["system"], r["metric"].removeprefix(r["system"] + "_"), r["breakdown"]): r["value"]
             for r in suppressed(rows, below)}  # fmt: skip
    hidden = {cell for cell, value in shown.items() if isinstance(value, str)}
    assert determined(hidden, relations(shown)) == set(), shown
    # and every count shown is 0 or at least K
    assert all(value == 0 or value >= below for value in shown.values() if isinstance(value, int))


def test_the_attack_solves_a_hidden_breakdown_when_a_relation_is_left_out() -> None:
    """The check above finds what it should: without the link between revocations and
    unsuccessful discharges, 10 technical revocations and 1 for other reasons give the one
    away (the unsuccessful discharges, 11, are the revocations' aggregate)."""
    quiet = ([0, 0, 0, 0], [0, 0, 0, 0], [20, 0, 0, 0, 0, 0], 0, 12)
    rows = month_rows([([10, 0, 1, 0], [15, 0, 0, 0], [20, 0, 0, 0, 0, 0], 12, 12), quiet, quiet])
    shown = {(r["system"], r["metric"].removeprefix(r["system"] + "_"), r["breakdown"]): r["value"]
             for r in suppressed(rows, 10)}  # fmt: skip
    assert shown["PAROLE", REVOCATIONS.kind, "Revocations for Other Reasons"] == "withheld"
    assert shown["PAROLE", TERMINATIONS.kind, UNSUCCESSFUL] == "withheld"  # hidden with them
    hidden = {cell for cell, value in shown.items() if isinstance(value, str)}
    assert determined(hidden, relations(shown)) == set()
    unlinked = dict(shown)
    unlinked["PAROLE", TERMINATIONS.kind, UNSUCCESSFUL] = 11
    unlinked["PAROLE", TERMINATIONS.kind, None] = 26
    unlinked["SUPERVISION", TERMINATIONS.kind, UNSUCCESSFUL] = 11
    unlinked["SUPERVISION", TERMINATIONS.kind, None] = 26
    hidden = {cell for cell, value in unlinked.items() if isinstance(value, str)}
    assert ("PAROLE", REVOCATIONS.kind, "Revocations for Other Reasons") in determined(
        hidden, relations(unlinked)
    )


REVOKED = ("revocations_technical", "revocations_absconding", "revocations_new_offence")


@given(
    st.lists(counts, min_size=4, max_size=4),
    st.lists(counts, min_size=5, max_size=5),
    st.lists(counts, min_size=3, max_size=3),
    st.integers(0, 3),
    st.integers(2, 12),
)
def test_no_new_offence_or_revoked_term_breakdown_can_be_solved_for(
    bases: list[int], dispositions: list[int], kinds: list[int], moved: int, below: int
) -> None:
    """The parts by basis and by disposition each sum to `new_offences`; the revoked terms by
    kind sum to the revoked terms, which the decisions equal when each term has one, and those
    named technical are those attributed technical give or take the terms another violation
    outranked (`moved`). No hidden part is alone in any of these sums."""
    new_offences = sum(bases)
    dispositions[-1] += new_offences - sum(dispositions)  # no disposition: the rest
    if dispositions[-1] < 0:
        dispositions = [0, 0, 0, 0, new_offences]
    named = kinds[0] + min(moved, kinds[1] + kinds[2])
    counts = {"clients": 40, "person_days": 9000, "days_at_risk": 8000, "new_offences": new_offences,
              **dict(zip(BY_BASIS, bases, strict=True)),
              **dict(zip(BY_DISPOSITION, dispositions, strict=True)),
              **dict(zip(REVOKED, kinds, strict=True)),
              "revocations_named_technical": named, "revocation_decisions": sum(kinds)}  # fmt: skip
    request = ReportRequest(today=START, suppress_below=below)
    [shown] = rows({(): counts}, request)
    relations = [("new_offences", BY_BASIS), ("new_offences", BY_DISPOSITION),
                 ("revocation_decisions", REVOKED)]  # fmt: skip
    for total, parts in relations:
        hidden = [isinstance(shown[cell], str) for cell in (total, *parts)]
        assert hidden.count(True) != 1, (total, shown)
    if kinds[1] == kinds[2] == 0:  # then named technical = technical: hidden together
        assert isinstance(shown["revocations_named_technical"], str) == isinstance(
            shown["revocations_technical"], str
        )
    for name in (*BY_BASIS, *BY_DISPOSITION, *REVOKED, "revocations_named_technical"):
        value = shown[name]
        assert isinstance(value, str) or value == 0 or value >= below, (name, shown)


def test_months_snap_down() -> None:
    assert month_end(date(2025, 5, 28)) == month_end(date(2025, 5, 30)) == date(2025, 4, 30)
    assert month_end(date(2025, 5, 31)) == date(2025, 5, 31)
    assert month_end(date(2024, 2, 29)) == date(2024, 2, 29)
    moment = datetime(2025, 6, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 31 May, UTC
    assert moment_start(moment) == datetime(2025, 5, 1, tzinfo=UTC)


def test_referral_counts_that_bound_each_other_are_hidden_together() -> None:
    """made - accepted = 1 would pin a hidden declined to exactly 1."""
    row = {"service": "housing", "made": 13, "accepted": 12, "declined": 1, "started": 12,
           "completed": 11, "dropped": 1, "median_days_to_start": 4, "_started_clients": 12}  # fmt: skip
    shown = suppress(row, 10, casework.REFERRAL_COUNTS, casework.REFERRAL_DERIVED,
                     casework.REFERRAL_LINKED)  # fmt: skip
    assert all(
        shown[status] == "withheld" for status in ("made", "accepted", "declined", "started")
    )


def test_volunteer_counts_that_balance_are_hidden_together() -> None:
    """From the first enrolment on, matched - active at the end = ended."""
    row = {"agency": "AG1", "matched": 16, "ended": 5, "active_at_end": 11,
           "median_days_matched": 30, "_ended_clients": 5}  # fmt: skip
    shown = suppress(row, 10, casework.VOLUNTEER_COUNTS, casework.VOLUNTEER_DERIVED,
                     casework.VOLUNTEER_LINKED)  # fmt: skip
    assert (shown["matched"], shown["ended"], shown["active_at_end"]) == ("withheld",) * 3


def test_a_range_that_holds_no_whole_month_says_so_rather_than_a_reversed_range() -> None:
    empty = Snapped(date(2024, 3, 1), date(2024, 2, 29), None).describe()
    assert "holds none" in empty and "2024-03-01..2024-02-29" not in empty


def test_a_table_says_what_withheld_means_only_when_it_shows_it() -> None:
    rows = [{"risk": "low", "clients": 40, "new_offences_arrest": "withheld"},
            {"risk": "high", "clients": 12, "new_offences_arrest": 0}]  # fmt: skip
    assert legend(rows, ["risk", "clients"]) is None  # withheld only where CSV shows it
    assert legend(rows, ["risk", "clients", "new_offences_arrest"]) == LEGEND
    assert legend([{"risk": "low", "clients": 40}], ["risk", "clients"]) is None
