"""`report justice-counts`: every row of a year worked out by hand, month by month, on both
backends; the framework's keys and labels as its implementation spells them; the oversight
role's view (docs/metrics.md, "Justice Counts").

The ledger (recorded through the application; all in 2025, agency GA):
- P1, parole, officer o-1, from 10 Jan. A curfew breach 3 Feb (V1), answered by the officer
  with a 3-day custody sanction on 5 Feb, in custody 5-8 Feb (a "dip", not a revocation).
  A failure to report 1 Apr (V2): the officer recommends revocation 2 Apr. A felony arrest
  10 Apr (V3). The court revokes on V2 on 15 Apr, which ends the term: the decision names a
  technical violation, but the most serious in the 365 days before it is V3's new offence.
  V3 is convicted on 20 Jun, after the term ended.
- P2, probation, o-1, from 1 Feb. Absconds 1 May; an absconding violation 3 May (V1); the
  court revokes on it 10 Jun (ends the term).
- P3, probation, o-2, from 15 Feb. Level administrative from 1 Mar; a jail hold 25 Jun to
  5 Jul; discharged successful 31 Jul; a second probation term from 1 Aug (the day after:
  already on supervision, so not a new case).
- P4, community_order (other supervision), o-3, from 1 Mar. A misdemeanor recorded on its
  conviction 15 Aug (V1); absconds 1 Sep; discharged absconded 30 Sep.
- P5, reentry, o-1, from 1 Jan: a curfew breach 1 Feb, a felony conviction 1 Mar. Reentry
  is not supervision: nothing of it counts.
- P6, parole, o-1, from 1 Mar. One incident 15 Mar: a curfew breach and a misdemeanor charge
  (V1), dismissed 1 May. Discharged transferred 30 Apr.
- P7, parole, o-4, from 2 Oct; discharged early 10 Oct; a second parole term from 20 Oct.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import InvalidInput
from tests.unit.test_disclosure_control import determined, relations

Run = Callable[..., Any]
Cell = tuple[int | None, str, str, str | None]  # month, system, metric type, breakdown

# The framework's strings, copied from Recidiviz/pulse-data at 4ee035b3e546
# (recidiviz/justice_counts/dimensions/supervision.py and metricfiles/supervision.py).
TECHNICAL, ABSCONDING, NEW_OFFENSE = (
    "Technical Violations", "Absconding Violations", "New Offense Violations")  # fmt: skip
VIOLATION_TYPES = (TECHNICAL, ABSCONDING, NEW_OFFENSE, "Other Violations", "Unknown Violations")
ACTIVE, ADMINISTRATIVE = "People on Active Supervision", "People on Administrative Supervision"
ABSCONDED = "People who have Absconded from Supervision"
HOLD = "People Incarcerated on a Hold or Sanction while on Supervision"
POPULATION_TYPES = (ACTIVE, ADMINISTRATIVE, ABSCONDED, HOLD, "Other Supervision Status",
                    "Unknown Supervision Status")  # fmt: skip
SUCCESSFUL = "Successful Completions of Supervision"
NEUTRAL = "Neutral Discharges from Supervision"
UNSUCCESSFUL = "Unsuccessful Discharges from Supervision"
DISCHARGE_TYPES = (SUCCESSFUL, NEUTRAL, UNSUCCESSFUL, "Other Discharges from Supervision",
                   "Unknown Discharges from Supervision")  # fmt: skip
REVOKED_TECHNICAL = "Revocations for Technical Violations"
REVOKED_NEW_OFFENSE = "Revocations for New Offense Violations"
REVOKED_OTHER = "Revocations for Other Reasons"
REVOCATION_TYPES = (REVOKED_TECHNICAL, REVOKED_NEW_OFFENSE, REVOKED_OTHER,
                    "Revocations for Unknown Reasons")  # fmt: skip
SYSTEMS = ("SUPERVISION", "PAROLE", "PROBATION", "OTHER_SUPERVISION")
# metric type -> (breakdown column of its `_by_type` file, its labels), in the order the
# report gives them
METRIC_TYPES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "SUPERVISION_VIOLATIONS": ("violation_type", VIOLATION_TYPES),
    "SUPERVISION_STARTS": (None, ()),
    "POPULATION": ("supervision_type", POPULATION_TYPES),
    "SUPERVISION_TERMINATIONS": ("discharges_type", DISCHARGE_TYPES),
    "CASELOADS_PEOPLE": (None, ()),
    "CASELOADS_STAFF": (None, ()),
    "REVOCATIONS": ("revocations_type", REVOCATION_TYPES),
}

STARTS, VIOLATIONS, POPULATION = "SUPERVISION_STARTS", "SUPERVISION_VIOLATIONS", "POPULATION"
TERMINATIONS, REVOCATIONS = "SUPERVISION_TERMINATIONS", "REVOCATIONS"
PEOPLE, STAFF, RECONVICTIONS = "CASELOADS_PEOPLE", "CASELOADS_STAFF", "RECONVICTIONS"


def enroll(ledger: Ledger, ref: str, start: date, supervision: str, officer: str) -> None:
    ledger.enroll(ref, actor="jdoe", start=start, agency="GA", officer=officer,
                  supervision=supervision)  # fmt: skip


def violation(ledger: Ledger, ref: str, on: date, **kinds: Any) -> str:
    recorded = ledger.record_violation(ref, actor="jdoe", on=on, **kinds)
    assert recorded.new_id is not None
    return recorded.new_id


@pytest.fixture
def year(ledger: Ledger) -> Ledger:
    enroll(ledger, "P1", date(2025, 1, 10), "parole", "o-1")
    v1 = violation(ledger, "P1", date(2025, 2, 3), technical=("curfew",))
    ledger.respond_to_violation("P1", v1, "custody_sanction", actor="jdoe",
                                on=date(2025, 2, 5), custody_days=3)  # fmt: skip
    ledger.start_custody("P1", actor="jdoe", on=date(2025, 2, 5), reason="sanction")
    ledger.end_custody("P1", actor="jdoe", on=date(2025, 2, 8))
    v2 = violation(ledger, "P1", date(2025, 4, 1), technical=("failure_to_report",))
    ledger.respond_to_violation("P1", v2, "revocation", actor="jdoe", on=date(2025, 4, 2),
                                recommendation=True)  # fmt: skip
    v3 = violation(ledger, "P1", date(2025, 4, 10), new_offence="felony", basis="arrest")
    ledger.respond_to_violation("P1", v2, "revocation", actor="jdoe", on=date(2025, 4, 15),
                                decided_by="court")  # fmt: skip
    ledger.record_disposition("P1", v3, "convicted", actor="jdoe", on=date(2025, 6, 20))

    enroll(ledger, "P2", date(2025, 2, 1), "probation", "o-1")
    ledger.abscond("P2", actor="jdoe", on=date(2025, 5, 1))
    fled = violation(ledger, "P2", date(2025, 5, 3), absconding=True)
    ledger.respond_to_violation("P2", fled, "revocation", actor="jdoe", on=date(2025, 6, 10),
                                decided_by="court")  # fmt: skip

    enroll(ledger, "P3", date(2025, 2, 15), "probation", "o-2")
    ledger.change_level("P3", actor="jdoe", on=date(2025, 3, 1), level="administrative")
    ledger.start_custody("P3", actor="jdoe", on=date(2025, 6, 25), reason="jail_hold")
    ledger.end_custody("P3", actor="jdoe", on=date(2025, 7, 5))
    ledger.discharge("P3", actor="jdoe", on=date(2025, 7, 31), outcome="successful")
    enroll(ledger, "P3", date(2025, 8, 1), "probation", "o-2")

    enroll(ledger, "P4", date(2025, 3, 1), "community_order", "o-3")
    violation(ledger, "P4", date(2025, 8, 15), new_offence="misdemeanor", basis="conviction")
    ledger.abscond("P4", actor="jdoe", on=date(2025, 9, 1))
    ledger.discharge("P4", actor="jdoe", on=date(2025, 9, 30), outcome="absconded")

    enroll(ledger, "P5", date(2025, 1, 1), "reentry", "o-1")
    violation(ledger, "P5", date(2025, 2, 1), technical=("curfew",))
    violation(ledger, "P5", date(2025, 3, 1), new_offence="felony", basis="conviction")

    enroll(ledger, "P6", date(2025, 3, 1), "parole", "o-1")
    charged = violation(ledger, "P6", date(2025, 3, 15), technical=("curfew",),
                        new_offence="misdemeanor", basis="charge")  # fmt: skip
    ledger.discharge("P6", actor="jdoe", on=date(2025, 4, 30), outcome="transferred")
    ledger.record_disposition("P6", charged, "dismissed", actor="jdoe", on=date(2025, 5, 1))

    enroll(ledger, "P7", date(2025, 10, 2), "parole", "o-4")
    ledger.discharge("P7", actor="jdoe", on=date(2025, 10, 10), outcome="early")
    enroll(ledger, "P7", date(2025, 10, 20), "parole", "o-4")
    return ledger


def rows(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("report", "justice-counts", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["groups"])


def cell(row: dict[str, Any]) -> Cell:
    system = row["system"]
    return row["month"], system, row["metric"].removeprefix(f"{system}_"), row["breakdown"]


def values(found: list[dict[str, Any]]) -> dict[Cell, Any]:
    return {cell(row): row["value"] for row in found}


def tally(*counts: tuple[int | None, str, str, str | None, int]) -> dict[Cell, int]:
    """Counts (month, system, metric type, breakdown, value), each also in SUPERVISION and in
    its metric's aggregate (no breakdown); a daily population's people are also its open
    cases."""
    cells: Counter[Cell] = Counter()
    for month, system, metric, label, value in counts:
        for where in (system, "SUPERVISION"):
            cells[month, where, metric, None] += value
            if label:
                cells[month, where, metric, label] += value
            if metric == POPULATION:
                cells[month, where, PEOPLE, None] += value
    return dict(cells)


PAROLE, PROBATION, OTHER = "PAROLE", "PROBATION", "OTHER_SUPERVISION"
# Every non-zero value of 2025, worked out by hand; every other row is 0.
EXPECTED: dict[Cell, int] = tally(
    # January. Starts: P1 (parole). 31 Jan: P1 active.
    (1, PAROLE, STARTS, None, 1),
    (1, PAROLE, POPULATION, ACTIVE, 1),
    # February. Starts: P2, P3 (probation). P1's curfew breach; its custody sanction is no
    # revocation, and P1 is out again by 28 Feb. P5 (reentry) counts nowhere.
    (2, PROBATION, STARTS, None, 2),
    (2, PAROLE, VIOLATIONS, TECHNICAL, 1),
    (2, PAROLE, POPULATION, ACTIVE, 1),
    (2, PROBATION, POPULATION, ACTIVE, 2),
    # March. Starts: P4 (other), P6 (parole). P6's one incident, a curfew breach and a
    # misdemeanor charge: a new offense. 31 Mar: P1, P6 active (parole); P2 active, P3
    # administrative (probation); P4 active (other).
    (3, PAROLE, STARTS, None, 1),
    (3, OTHER, STARTS, None, 1),
    (3, PAROLE, VIOLATIONS, NEW_OFFENSE, 1),
    (3, PAROLE, POPULATION, ACTIVE, 2),
    (3, PROBATION, POPULATION, ACTIVE, 1),
    (3, PROBATION, POPULATION, ADMINISTRATIVE, 1),
    (3, OTHER, POPULATION, ACTIVE, 1),
    # April. P1's failure to report and felony arrest: 2 incidents. P1's term revoked on the
    # failure to report, attributed to the felony (the most serious in the window): one
    # revocation, for a new offense (the officer's recommendation is none), and P1's
    # unsuccessful discharge. P6's transfer is no discharge. 30 Apr: P6 (its last day),
    # P2, P3 (administrative), P4.
    (4, PAROLE, VIOLATIONS, TECHNICAL, 1),
    (4, PAROLE, VIOLATIONS, NEW_OFFENSE, 1),
    (4, PAROLE, REVOCATIONS, REVOKED_NEW_OFFENSE, 1),
    (4, PAROLE, TERMINATIONS, UNSUCCESSFUL, 1),
    (4, PAROLE, POPULATION, ACTIVE, 1),
    (4, PROBATION, POPULATION, ACTIVE, 1),
    (4, PROBATION, POPULATION, ADMINISTRATIVE, 1),
    (4, OTHER, POPULATION, ACTIVE, 1),
    # May. P2's absconding. 31 May: P2 absconded, P3 administrative, P4 active.
    (5, PROBATION, VIOLATIONS, ABSCONDING, 1),
    (5, PROBATION, POPULATION, ABSCONDED, 1),
    (5, PROBATION, POPULATION, ADMINISTRATIVE, 1),
    (5, OTHER, POPULATION, ACTIVE, 1),
    # June. P2's term revoked for absconding: "for Other Reasons" (neither technical nor a new
    # offense); its unsuccessful discharge. 30 Jun: P3 in a jail hold; P4.
    (6, PROBATION, REVOCATIONS, REVOKED_OTHER, 1),
    (6, PROBATION, TERMINATIONS, UNSUCCESSFUL, 1),
    (6, PROBATION, POPULATION, HOLD, 1),
    (6, OTHER, POPULATION, ACTIVE, 1),
    # July. P3 discharged successful on 31 Jul, its last day: still administrative that day.
    (7, PROBATION, TERMINATIONS, SUCCESSFUL, 1),
    (7, PROBATION, POPULATION, ADMINISTRATIVE, 1),
    (7, OTHER, POPULATION, ACTIVE, 1),
    # August. P3's second term is no new case (on supervision the day before). P4's
    # misdemeanor. 31 Aug: P3 (a new term, no level set: active), P4.
    (8, OTHER, VIOLATIONS, NEW_OFFENSE, 1),
    (8, PROBATION, POPULATION, ACTIVE, 1),
    (8, OTHER, POPULATION, ACTIVE, 1),
    # September. P4's absconded discharge is neutral. 30 Sep: P3; P4 (absconded, its last day).
    (9, OTHER, TERMINATIONS, NEUTRAL, 1),
    (9, PROBATION, POPULATION, ACTIVE, 1),
    (9, OTHER, POPULATION, ABSCONDED, 1),
    # October. P7 started twice: one person, one new case. P7's early discharge. On the last
    # day of October, November and December: P3, P7.
    (10, PAROLE, STARTS, None, 1),
    (10, PAROLE, TERMINATIONS, SUCCESSFUL, 1),
    *[(month, system, POPULATION, ACTIVE, 1) for month in (10, 11, 12)
      for system in (PAROLE, PROBATION)],
    # The year: reconvictions, of people. P1's felony, convicted 20 Jun (parole); P4's
    # misdemeanor, recorded on its conviction 15 Aug (other). P6's charge was dismissed; P5
    # is not supervised.
    (None, PAROLE, RECONVICTIONS, None, 1),
    (None, OTHER, RECONVICTIONS, None, 1),
)  # fmt: skip
# Staff with a caseload on each last day (not a sum: o-1 holds parole and probation).
EXPECTED |= {(month, system, STAFF, None): count for month, by_system in {
    1: {"SUPERVISION": 1, PAROLE: 1},  # o-1
    2: {"SUPERVISION": 2, PAROLE: 1, PROBATION: 2},  # o-1 (P1, P2), o-2 (P3)
    3: {"SUPERVISION": 3, PAROLE: 1, PROBATION: 2, OTHER: 1},  # o-1 (P1, P6, P2), o-2, o-3
    4: {"SUPERVISION": 3, PAROLE: 1, PROBATION: 2, OTHER: 1},  # o-1 (P6, P2), o-2, o-3
    5: {"SUPERVISION": 3, PROBATION: 2, OTHER: 1},  # o-1 (P2), o-2 (P3), o-3 (P4)
    **{month: {"SUPERVISION": 2, PROBATION: 1, OTHER: 1} for month in (6, 7, 8, 9)},  # o-2, o-3
    **{month: {"SUPERVISION": 2, PAROLE: 1, PROBATION: 1} for month in (10, 11, 12)},  # o-4, o-2
}.items() for system, count in by_system.items()}  # fmt: skip


def test_every_row_of_the_year_is_the_hand_count(run: Run, year: Ledger) -> None:
    found = values(rows(run, "--year", "2025"))
    assert {key: value for key, value in found.items() if value} == EXPECTED
    # 12 months x 4 systems x 27 rows (7 metrics and their 20 breakdowns), 4 annual rows
    assert len(found) == 12 * 4 * 27 + 4


def test_a_revoked_term_counts_once_by_its_most_serious_violation(run: Run, year: Ledger) -> None:
    april = values(rows(run, "--year", "2025", "--month", "4"))
    # P1: a recommendation and a decision on V2 (a technical violation), V3 a felony arrest
    # five days before the decision: one revocation, for a new offense.
    assert april[4, "PAROLE", REVOCATIONS, None] == 1
    assert april[4, "PAROLE", REVOCATIONS, REVOKED_NEW_OFFENSE] == 1
    assert april[4, "PAROLE", REVOCATIONS, REVOKED_TECHNICAL] == 0


def test_a_reinstated_term_is_no_revocation_and_no_discharge(run: Run, ledger: Ledger) -> None:
    enroll(ledger, "R1", date(2025, 1, 1), "probation", "o-1")
    breach = violation(ledger, "R1", date(2025, 2, 1), technical=("curfew",))
    decided = ledger.respond_to_violation("R1", breach, "revocation", actor="jdoe",
                                          on=date(2025, 2, 10), decided_by="court")  # fmt: skip
    revoked = values(rows(run, "--year", "2025", "--month", "2"))
    assert revoked[2, "PROBATION", REVOCATIONS, REVOKED_TECHNICAL] == 1
    assert revoked[2, "PROBATION", TERMINATIONS, UNSUCCESSFUL] == 1
    assert revoked[2, "PROBATION", POPULATION, None] == 0  # the term ended on 10 Feb
    ledger.correct("R1", decided.number, actor="jdoe", reason="revocation overturned on appeal")
    reinstated = values(rows(run, "--year", "2025", "--month", "2"))
    assert reinstated[2, "PROBATION", REVOCATIONS, None] == 0
    assert reinstated[2, "PROBATION", TERMINATIONS, None] == 0
    assert reinstated[2, "PROBATION", POPULATION, ACTIVE] == 1


def test_a_new_case_is_told_by_why_its_term_began(run: Run, ledger: Ledger) -> None:
    """A transfer in from another district, after a gap, was counted a new case; a new
    sentence starting the day after the last term ended was not; a reinstated term was."""
    enroll(ledger, "T1", date(2025, 1, 10), "probation", "o-1")
    ledger.discharge("T1", actor="jdoe", on=date(2025, 3, 20), outcome="transferred")
    ledger.enroll("T1", actor="jdoe", start=date(2025, 4, 5), agency="GB", officer="o-9",
                  supervision="probation", start_reason="transfer_in")  # fmt: skip
    enroll(ledger, "S1", date(2025, 1, 10), "parole", "o-1")
    ledger.discharge("S1", actor="jdoe", on=date(2025, 3, 31), outcome="successful")
    ledger.enroll("S1", actor="jdoe", start=date(2025, 4, 1), agency="GA", officer="o-1",
                  supervision="probation", start_reason="new_sentence")  # fmt: skip
    enroll(ledger, "R1", date(2025, 1, 10), "parole", "o-1")
    breach = violation(ledger, "R1", date(2025, 5, 1), technical=("curfew",))
    ledger.respond_to_violation("R1", breach, "revocation", actor="jdoe", on=date(2025, 6, 1),
                                decided_by="parole_board")  # fmt: skip
    ledger.enroll("R1", actor="jdoe", start=date(2025, 6, 5), agency="GA", officer="o-1",
                  supervision="parole", start_reason="reinstated")  # fmt: skip
    found = values(rows(run, "--year", "2025"))
    assert found[1, "SUPERVISION", STARTS, None] == 3  # the three first terms
    assert found[4, "PROBATION", STARTS, None] == 1  # S1's new sentence, not T1's transfer
    assert found[4, "SUPERVISION", STARTS, None] == 1
    assert found[6, "PAROLE", STARTS, None] == 0  # R1 reinstated


def test_a_month_asked_alone_gives_that_months_rows_of_the_year(run: Run, year: Ledger) -> None:
    for hidden in ([], ["--suppress-below", "2"]):
        whole = rows(run, "--year", "2025", *hidden)
        for month in (4, 12):
            assert rows(run, "--year", "2025", "--month", str(month), *hidden) == [
                row for row in whole if row["month"] == month
            ]


def test_keys_labels_and_columns_are_the_frameworks(run: Run, year: Ledger) -> None:
    found = rows(run, "--year", "2025")
    expected = []
    for month in range(1, 13):
        for system in SYSTEMS:
            for metric, (category, labels) in METRIC_TYPES.items():
                expected.append((month, system, f"{system}_{metric}", None, None))
                expected += [(month, system, f"{system}_{metric}", category, label)
                             for label in labels]  # fmt: skip
    expected += [(None, system, f"{system}_RECONVICTIONS", None, None) for system in SYSTEMS]
    assert [
        (r["month"], r["system"], r["metric"], r["breakdown_category"], r["breakdown"])
        for r in found
    ] == expected
    keys = {row["metric"] for row in found}
    assert {"SUPERVISION_SUPERVISION_VIOLATIONS", "PROBATION_SUPERVISION_VIOLATIONS",
            "PAROLE_REVOCATIONS", "OTHER_SUPERVISION_SUPERVISION_TERMINATIONS",
            "SUPERVISION_CASELOADS_STAFF"} <= keys  # fmt: skip
    assert not any(key.startswith(("PRETRIAL", "SUPERVISION_TOTAL_STAFF")) for key in keys)
    csv = run("report", "justice-counts", "--year", "2025", "--format", "csv").stdout
    lines = csv.splitlines()
    assert lines[0] == "year,month,system,metric,breakdown_category,breakdown,value"
    assert "2025,1,PAROLE,PAROLE_SUPERVISION_STARTS,,,1" in lines  # no breakdown: the aggregate
    assert f"2025,4,PAROLE,PAROLE_REVOCATIONS,revocations_type,{REVOKED_NEW_OFFENSE},1" in lines
    assert lines[-3] == "2025,,PAROLE,PAROLE_RECONVICTIONS,,,1"  # annual: no month


def test_the_month_must_be_one_to_twelve(run: Run, year: Ledger) -> None:
    for month in ("0", "13"):
        refused = run("report", "justice-counts", "--year", "2025", "--month", month)
        assert refused.exit_code == 2
        assert "--month" in refused.output and "Traceback" not in refused.output


def oversight(ledger: Ledger) -> Ledger:
    """The users, once everything is recorded (until the first, anyone may record)."""
    ledger.add_user("jdoe", "auditor", None, actor="jdoe")
    ledger.add_user("ov", "oversight", None, actor="jdoe")
    return ledger


def test_oversight_sees_whole_months_only(year: Ledger) -> None:
    reports = oversight(year).reports(actor="ov")  # today is 15 Jan 2026
    whole = reports.justice_counts(2025)
    assert {row["month"] for row in whole.rows} == {*range(1, 13), None}
    assert whole.snapped is not None and whole.snapped.last == date(2025, 12, 31)
    # January 2026 has not ended: no month of 2026 is shown yet, nor its annual rows
    assert reports.justice_counts(2026).rows == reports.justice_counts(2026, 1).rows == []
    # as known at 10 Jul 2025, read as of 1 Jul: January to June
    known = datetime.fromisoformat("2025-07-10T12:00:00+00:00")
    early = reports.justice_counts(2025, known_at=known)
    assert {row["month"] for row in early.rows} == set(range(1, 7))


def test_oversight_cannot_solve_for_a_hidden_revocation_type(ledger: Ledger) -> None:
    """Q1..Q11, parole from 1 Jan 2025; Q1..Q10 a curfew breach on 1 Mar, Q11 absconding on
    2 Mar; the court revokes all eleven on 10 Mar. March: 10 revocations for technical
    violations, 1 for other reasons (hidden), 11 in all; and 11 unsuccessful discharges, the
    same terms: shown, they would give the aggregate away, and 11 - 10 the hidden one."""
    for n in range(1, 12):
        ref = f"Q{n}"
        enroll(ledger, ref, date(2025, 1, 1), "parole", "o-1")
        kind: dict[str, Any] = {"technical": ("curfew",)} if n <= 10 else {"absconding": True}
        found = violation(ledger, ref, date(2025, 3, 1 if n <= 10 else 2), **kind)
        ledger.respond_to_violation(ref, found, "revocation", actor="jdoe",
                                    on=date(2025, 3, 10), decided_by="court")  # fmt: skip
    reports = oversight(ledger).reports(actor="ov")
    march = reports.justice_counts(2025, 3).rows
    shown = {(r["system"], r["metric"].removeprefix(r["system"] + "_"), r["breakdown"]):
             r["value"] for r in march}  # fmt: skip
    for system in ("PAROLE", "SUPERVISION"):
        assert shown[system, REVOCATIONS, REVOKED_TECHNICAL] == 10
        assert shown[system, REVOCATIONS, REVOKED_OTHER] == "withheld"
        assert shown[system, REVOCATIONS, None] == "withheld"  # else 11 - 10 = 1
        assert shown[system, TERMINATIONS, UNSUCCESSFUL] == "withheld"  # else it is the 11
        assert shown[system, TERMINATIONS, None] == "withheld"
    hidden = {key for key, value in shown.items() if isinstance(value, str)}
    assert determined(hidden, relations(shown)) == set()
    exact = values(ledger.reports(actor="jdoe").justice_counts(2025, 3).rows)
    assert exact[3, "PAROLE", REVOCATIONS, REVOKED_OTHER] == 1
    assert exact[3, "PAROLE", TERMINATIONS, UNSUCCESSFUL] == 11


def test_oversight_cannot_take_a_hidden_population_part_from_the_caseload(ledger: Ledger) -> None:
    """P1..P12 on probation from 1 Jan 2025; P1 and P2 held in custody from 20 Mar. On 31 Mar:
    10 active, 2 held (hidden). `report caseload` on the same day counts the 12: were the 10
    shown, 12 - 10 would give the 2 away, so every part of the population that is not zero
    is hidden."""
    for n in range(1, 13):
        enroll(ledger, f"P{n}", date(2025, 1, 1), "probation", "o-1")
    for n in (1, 2):
        ledger.start_custody(f"P{n}", actor="jdoe", on=date(2025, 3, 20), reason="jail_hold")
    reports = oversight(ledger).reports(actor="ov")
    march = {(r["system"], r["metric"].removeprefix(r["system"] + "_"), r["breakdown"]):
             r["value"] for r in reports.justice_counts(2025, 3).rows}  # fmt: skip
    caseload = reports.caseload(date(2025, 3, 31), ("supervision",)).rows
    assert [(row["supervision"], row["active_clients"]) for row in caseload] == [("probation", 12)]
    for label, value in (("People on Active Supervision", "withheld"),
                         ("People on Administrative Supervision", 0),
                         ("People who have Absconded from Supervision", 0),
                         ("People Incarcerated on a Hold or Sanction while on Supervision", "withheld")):  # fmt: skip
        assert march["PROBATION", "POPULATION", label] == value


def test_a_month_not_yet_ended_is_left_out_and_a_year_or_month_to_come_is_refused(
    year: Ledger,
) -> None:
    """A month's population is counted on its last day: a month not yet ended would count a day
    to come, with its terms still open and no event yet (as the oversight role, every role
    sees the months ended by today, and is told so)."""
    reports = year.reports(actor="jdoe")  # today is 15 Jan 2026; not the oversight role
    whole = reports.justice_counts(2025)
    assert {row["month"] for row in whole.rows} == {*range(1, 13), None}
    assert whole.snapped is None
    for month, refused in (
        (None, "--year 2026: no month of it has ended (today is 2026-01-15)"),
        (1, "--year 2026 --month 1: the month has not ended (today is 2026-01-15)"),
    ):
        with pytest.raises(InvalidInput) as error:
            reports.justice_counts(2026, month)
        assert str(error.value) == refused
    year.clock = lambda: date(2025, 7, 10)
    part = reports.justice_counts(2025)
    assert {row["month"] for row in part.rows} == set(range(1, 7))  # no annual rows yet
    assert part.snapped is not None
    assert part.snapped.describe() == "snapped to whole calendar months: 2025-01-01..2025-06-30"
    assert part.rows == [row for row in whole.rows if row["month"] in range(1, 7)]
    # as known at a moment: the months ended by its day (today is 10 Jul 2025 still)
    known = datetime.fromisoformat("2025-05-10T12:00:00+00:00")
    early = reports.justice_counts(2025, known_at=known)
    assert {row["month"] for row in early.rows} == set(range(1, 5))
    with pytest.raises(InvalidInput) as error:
        reports.justice_counts(2025, 6, known_at=known)
    assert str(error.value) == (
        "--year 2025 --month 6: the month has not ended (by 2025-05-10, the last day begun "
        "before --known-at)"
    )
    # a moment given with its offset is said in UTC: 01:00 at +02:00 is 23:00 the day before
    offset = datetime.fromisoformat("2025-05-01T01:00:00+02:00")
    snapped = reports.justice_counts(2025, known_at=offset).snapped
    assert snapped is not None
    assert snapped.describe() == (
        "snapped to whole calendar months: 2025-01-01..2025-04-30, as known at 2025-04-30T23:00:00Z"
    )
    # a moment to come: the limit is today, and it is named
    with pytest.raises(InvalidInput) as error:
        reports.justice_counts(2025, 8, known_at=datetime.fromisoformat("2025-09-01T00:00Z"))
    assert (
        str(error.value) == "--year 2025 --month 8: the month has not ended (today is 2025-07-10)"
    )
