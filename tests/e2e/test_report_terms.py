"""Caseload, discharges and Justice Counts follow terms, reassignments and status periods;
every number worked out by hand.

The ledger (recorded through the application; all in 2025, agency GA unless said):
- C1, parole, officer o-1, from 1 Jan; reassigned to o-2 on 1 Jun; level administrative 1 Jul.
- C2, probation, o-1, from 1 Feb; in a jail hold from 20 Dec (still held on 31 Dec).
- C3, probation, o-1, from 1 Mar; absconded 1 Nov (still missing on 31 Dec).
- C4, parole, o-1, from 10 Jan; discharged successful 30 Apr; a second term (parole, o-3) from
  1 Jun; a custody sanction 1-9 Aug (released 10 Aug); active on 31 Dec.
- C5, reentry (not supervision), o-1, from 5 Jan; a technical violation 1 Feb.
- C6, agency GB, probation, o-9, from 1 Jan; discharged early 31 Mar; a second term from
  1 May, discharged successful 30 Sep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from reentry_ledger.application import Ledger

Run = Callable[..., object]


def enroll(ledger: Ledger, ref: str, start: date, supervision: str, officer: str = "o-1",
           agency: str = "GA") -> None:  # fmt: skip
    ledger.enroll(ref, actor="jdoe", start=start, agency=agency, officer=officer,
                  supervision=supervision)  # fmt: skip


@pytest.fixture
def terms(ledger: Ledger) -> Ledger:
    enroll(ledger, "C1", date(2025, 1, 1), "parole")
    ledger.reassign("C1", actor="jdoe", on=date(2025, 6, 1), officer="o-2")
    ledger.change_level("C1", actor="jdoe", on=date(2025, 7, 1), level="administrative")
    enroll(ledger, "C2", date(2025, 2, 1), "probation")
    ledger.start_custody("C2", actor="jdoe", on=date(2025, 12, 20), reason="jail_hold")
    enroll(ledger, "C3", date(2025, 3, 1), "probation")
    ledger.abscond("C3", actor="jdoe", on=date(2025, 11, 1))
    enroll(ledger, "C4", date(2025, 1, 10), "parole")
    ledger.discharge("C4", actor="jdoe", on=date(2025, 4, 30), outcome="successful")
    enroll(ledger, "C4", date(2025, 6, 1), "parole", officer="o-3")
    ledger.start_custody("C4", actor="jdoe", on=date(2025, 8, 1), reason="sanction")
    ledger.end_custody("C4", actor="jdoe", on=date(2025, 8, 10))
    enroll(ledger, "C5", date(2025, 1, 5), "reentry")
    ledger.record_violation("C5", actor="jdoe", on=date(2025, 2, 1), technical=("curfew",))
    enroll(ledger, "C6", date(2025, 1, 1), "probation", officer="o-9", agency="GB")
    ledger.discharge("C6", actor="jdoe", on=date(2025, 3, 31), outcome="early")
    enroll(ledger, "C6", date(2025, 5, 1), "probation", officer="o-9", agency="GB")
    ledger.discharge("C6", actor="jdoe", on=date(2025, 9, 30), outcome="successful")
    return ledger


def groups(run: Run, *args: str) -> list[dict]:
    result = run("report", *args, "--format", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)["groups"]  # type: ignore[attr-defined]


def test_caseload_counts_each_client_under_the_officer_of_that_day(run: Run, terms: Ledger) -> None:
    # 31 Dec: C2, C3, C5 with o-1; C1 moved to o-2; C4's second term with o-3.
    assert groups(run, "caseload", "--on", "2025-12-31", "--by", "agency,officer") == [
        {"agency": "GA", "officer": "o-1", "active_clients": 3},
        {"agency": "GA", "officer": "o-2", "active_clients": 1},
        {"agency": "GA", "officer": "o-3", "active_clients": 1},
    ]


def test_caseload_takes_the_supervision_of_the_term_that_covers_the_day(
    run: Run, terms: Ledger
) -> None:
    # 15 May: C1 still o-1 (parole); C2, C3 (probation); C5 (reentry); C4 between terms;
    # C6 in its second term (o-9).
    assert groups(run, "caseload", "--on", "2025-05-15", "--by", "officer,supervision") == [
        {"officer": "o-1", "supervision": "parole", "active_clients": 1},
        {"officer": "o-1", "supervision": "probation", "active_clients": 2},
        {"officer": "o-1", "supervision": "reentry", "active_clients": 1},
        {"officer": "o-9", "supervision": "probation", "active_clients": 1},
    ]


def test_discharges_count_every_term_not_only_the_latest(run: Run, terms: Ledger) -> None:
    rows = groups(run, "discharges", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "agency")
    ga, gb = rows
    assert (ga["agency"], ga["successful"], ga["successful_total"]) == ("GA", 1, 1)
    assert (gb["agency"], gb["early"], gb["successful"], gb["successful_total"]) == ("GB", 1, 1, 2)


def justice_counts(run: Run) -> dict[tuple[int | None, str, str, str | None], int]:
    return {
        (row["month"], row["system"], row["metric"].removeprefix(f"{row['system']}_"),
         row["breakdown"]): row["value"]
        for row in groups(run, "justice-counts", "--year", "2025")
    }  # fmt: skip


ACTIVE, ADMINISTRATIVE = "People on Active Supervision", "People on Administrative Supervision"
ABSCONDED = "People who have Absconded from Supervision"
HOLD = "People Incarcerated on a Hold or Sanction while on Supervision"
SUCCESSFUL = "Successful Completions of Supervision"


def test_justice_counts_daily_population_by_status_on_the_last_day(run: Run, terms: Ledger) -> None:
    values = justice_counts(run)
    population = {b: values[12, "SUPERVISION", "POPULATION", b] for b in
                  (None, ACTIVE, ADMINISTRATIVE, ABSCONDED, HOLD)}  # fmt: skip
    # 31 Dec: C4 active, C1 administrative, C3 absconded, C2 in a jail hold; C5 is not
    # supervision.
    assert population == {None: 4, ACTIVE: 1, ADMINISTRATIVE: 1, ABSCONDED: 1, HOLD: 1}
    assert (
        values[12, "PAROLE", "POPULATION", ACTIVE]
        == values[12, "PAROLE", "POPULATION", ADMINISTRATIVE]
        == 1
    )
    assert (
        values[12, "PROBATION", "POPULATION", ABSCONDED]
        == values[12, "PROBATION", "POPULATION", HOLD]
        == 1
    )
    assert values[12, "SUPERVISION", "CASELOADS_PEOPLE", None] == 4
    assert values[12, "SUPERVISION", "CASELOADS_STAFF", None] == 3  # o-1, o-2 (C1), o-3 (C4)
    # 31 Aug: C4's custody sanction ended on 10 Aug (C4 active); C1 administrative since 1 Jul;
    # C2, C3 active; C6 in its second term (GB, o-9): 5 people, with o-1, o-2, o-3, o-9.
    august = {b: values[8, "SUPERVISION", "POPULATION", b] for b in (None, ACTIVE, ADMINISTRATIVE)}
    assert august == {None: 5, ACTIVE: 4, ADMINISTRATIVE: 1}
    assert values[8, "SUPERVISION", "CASELOADS_STAFF", None] == 4


def test_justice_counts_starts_and_terminations_count_people_and_terms(
    run: Run, terms: Ledger
) -> None:
    values = justice_counts(run)
    starts = {
        month: values[month, "SUPERVISION", "SUPERVISION_STARTS", None] for month in range(1, 13)
    }
    # January: C1, C4, C6 (C5's reentry term is not supervision); February: C2; March: C3;
    # May: C6 again (off supervision since 31 Mar); June: C4 again (since 30 Apr).
    assert starts == {1: 3, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0}
    assert values[1, "PAROLE", "SUPERVISION_STARTS", None] == 2  # C1, C4
    assert values[1, "PROBATION", "SUPERVISION_STARTS", None] == 1  # C6
    assert values[1, "OTHER_SUPERVISION", "SUPERVISION_STARTS", None] == 0
    # C6's early discharge (31 Mar), C4's (30 Apr), C6's second (30 Sep): each a successful
    # completion, in its month.
    for month, system in ((3, "PROBATION"), (4, "PAROLE"), (9, "PROBATION")):
        assert values[month, system, "SUPERVISION_TERMINATIONS", SUCCESSFUL] == 1
        assert values[month, "SUPERVISION", "SUPERVISION_TERMINATIONS", None] == 1


def test_justice_counts_leaves_out_a_reentry_term_entirely(run: Run, terms: Ledger) -> None:
    values = justice_counts(run)
    assert values[2, "SUPERVISION", "SUPERVISION_VIOLATIONS", None] == 0  # C5's curfew breach
    assert all(
        values[month, "OTHER_SUPERVISION", "POPULATION", None] == 0 for month in range(1, 13)
    )


def test_justice_counts_hides_the_population_total_with_its_parts(run: Run, terms: Ledger) -> None:
    rows = groups(run, "justice-counts", "--year", "2025", "--month", "12", "--suppress-below", "2")
    shown = {(r["system"], r["metric"], r["breakdown"]): r["value"] for r in rows}
    assert shown["SUPERVISION", "SUPERVISION_POPULATION", HOLD] == "withheld"
    assert shown["SUPERVISION", "SUPERVISION_POPULATION", None] == "withheld"
    assert shown["SUPERVISION", "SUPERVISION_CASELOADS_PEOPLE", None] == "withheld"


def test_a_term_revoked_after_a_changeover_day_is_attributed_without_that_days_violations(
    run: Run, ledger: Ledger
) -> None:
    # X1's first term ends on 31 Mar, the day its second begins: that day, and a new offence
    # recorded on it, are the first term's (docs/metrics.md, "Terms and status periods"). The
    # second term, revoked for its own technical violation, was stored (and counted by
    # `report discharges`) as revoked for a new offence, where the violation report and
    # Justice Counts called it technical.
    enroll(ledger, "X1", date(2024, 1, 1), "probation")
    ledger.discharge("X1", actor="jdoe", on=date(2024, 3, 31), outcome="successful")
    enroll(ledger, "X1", date(2024, 3, 31), "parole", officer="o-2")
    ledger.record_violation("X1", actor="jdoe", on=date(2024, 3, 31), new_offence="felony")
    ledger.record_violation("X1", actor="jdoe", on=date(2024, 4, 10), technical=("curfew",))
    ledger.respond_to_violation("X1", "V2", "revocation", actor="jdoe", on=date(2024, 5, 1),
                                decided_by="court")  # fmt: skip
    assert ledger.client_state("X1", actor="jdoe").terms[-1].outcome == "revoked_technical"
    year = ("--from", "2024-01-01", "--to", "2024-12-31")
    [discharged] = groups(run, "discharges", *year)
    assert (discharged["revoked_technical"], discharged["revoked_new_offence"]) == (1, 0)
    by_term = {row["term"]: row for row in groups(run, "violations", *year, "--by", "term")}
    assert (by_term["first"]["new_offences"], by_term["later"]["revocations_technical"]) == (1, 1)
    assert by_term["later"]["revocations_new_offence"] == 0
    revoked = {
        row["breakdown"]: row["value"]
        for row in groups(run, "justice-counts", "--year", "2024", "--month", "5")
        if row["metric"] == "PAROLE_REVOCATIONS"
    }
    assert revoked["Revocations for Technical Violations"] == 1
    assert revoked["Revocations for New Offense Violations"] == 0
