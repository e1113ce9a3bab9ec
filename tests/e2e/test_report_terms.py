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


def justice_counts(run: Run) -> dict[tuple[str, str, str], int]:
    return {
        (row["system"], row["metric"].removeprefix(f"{row['system']}_"), row["breakdown"]):
        row["value"]
        for row in groups(run, "justice-counts", "--year", "2025")
    }  # fmt: skip


ACTIVE, ADMINISTRATIVE = "People on Active Supervision", "People on Administrative Supervision"
ABSCONDED = "People who have Absconded from Supervision"
HOLD = "People Incarcerated on a Hold or Sanction while on Supervision"


def test_justice_counts_daily_population_by_status_on_the_last_day(run: Run, terms: Ledger) -> None:
    values = justice_counts(run)
    population = {b: values["SUPERVISION", "POPULATION", b] for b in
                  ("Total", ACTIVE, ADMINISTRATIVE, ABSCONDED, HOLD)}  # fmt: skip
    # C4 active, C1 administrative, C3 absconded, C2 in a jail hold; C5 is not supervision.
    assert population == {"Total": 4, ACTIVE: 1, ADMINISTRATIVE: 1, ABSCONDED: 1, HOLD: 1}
    assert (
        values["PAROLE", "POPULATION", ACTIVE]
        == values["PAROLE", "POPULATION", ADMINISTRATIVE]
        == 1
    )
    assert (
        values["PROBATION", "POPULATION", ABSCONDED] == values["PROBATION", "POPULATION", HOLD] == 1
    )
    assert values["SUPERVISION", "CASELOADS_PEOPLE", "Total"] == 4
    assert values["SUPERVISION", "CASELOADS_STAFF", "Total"] == 3  # o-1, o-2 (C1), o-3 (C4)


def test_justice_counts_starts_and_terminations_count_terms(run: Run, terms: Ledger) -> None:
    values = justice_counts(run)
    # C1, C2, C3, C4 twice, C6 twice; C5's reentry term is not supervision.
    assert values["SUPERVISION", "SUPERVISION_STARTS", "Total"] == 7
    assert values["PAROLE", "SUPERVISION_STARTS", "Total"] == 3
    assert values["PROBATION", "SUPERVISION_STARTS", "Total"] == 4
    assert values["OTHER_SUPERVISION", "SUPERVISION_STARTS", "Total"] == 0
    # C4's first term, both of C6's.
    assert values["SUPERVISION", "SUPERVISION_TERMINATIONS", "Successful Completions"] == 3
    assert values["PROBATION", "SUPERVISION_TERMINATIONS", "Total"] == 2


def test_justice_counts_leaves_out_a_reentry_term_entirely(run: Run, terms: Ledger) -> None:
    values = justice_counts(run)
    assert values["SUPERVISION", "SUPERVISION_VIOLATIONS", "Total"] == 0  # C5's curfew breach
    assert values["OTHER_SUPERVISION", "POPULATION", "Total"] == 0


def test_justice_counts_hides_the_population_total_with_its_parts(run: Run, terms: Ledger) -> None:
    rows = groups(run, "justice-counts", "--year", "2025", "--suppress-below", "2")
    shown = {(r["system"], r["metric"], r["breakdown"]): r["value"] for r in rows}
    assert shown["SUPERVISION", "SUPERVISION_POPULATION", HOLD] == "<2"
    assert shown["SUPERVISION", "SUPERVISION_POPULATION", "Total"] == "<2"
    assert shown["SUPERVISION", "SUPERVISION_CASELOADS_PEOPLE", "Total"] == "<2"
