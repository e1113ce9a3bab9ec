"""The violation report's definitions of version 2 (which version 3 keeps), each counted by hand
on a small ledger: days at risk (custody, absconding), the level and officer in force on a day,
first and later terms, age bands, who the client is after a seal, rates per year at risk, and
--known-at. Version 3's revocations and new offences: test_report_revocations.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.events import CustodyStarted
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.kept import KEPT_VERSION
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY, enroll_parolee

KEPT = ("clients", "person_days", "days_at_risk", "technical_violations")


def groups(ledger: Ledger, *by: str, **asked: Any) -> list[dict[str, Any]]:
    """The report's groups, with only their dimensions and KEPT counts."""
    known_at = asked.pop("known_at", None)
    request = ReportRequest(today=TODAY, by=by, **asked)
    found = Reports(ledger, "jdoe").violations(request, known_at)["groups"]
    dimensions = request.dimensions
    return [{k: g[k] for k in (*dimensions, *KEPT)} for g in found]


def enroll_born(ledger: Ledger, ref: str, birth_year: int) -> None:
    """A parolee of GA's officer o-17 from START, born in `birth_year`."""
    ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer="o-17",
                  supervision="parole", birth_year=birth_year)  # fmt: skip


def test_days_in_custody_or_absconded_are_supervised_but_not_at_risk(ledger: Ledger) -> None:
    enroll_parolee(ledger)  # 2025-01-10: Jan 10..Dec 31 is 356 days
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 3, 1), reason="sanction")
    ledger.end_custody("GA-1", actor="jdoe", on=date(2025, 3, 11))  # Mar 1..10: 10 days
    ledger.abscond("GA-1", actor="jdoe", on=date(2025, 5, 1))
    ledger.record_return("GA-1", actor="jdoe", on=date(2025, 5, 4))  # May 1..3: 3 days
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 6, 1), reason="jail_hold")
    ledger.end_custody("GA-1", actor="jdoe", on=date(2025, 6, 1))  # the same day: no day
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 3, 5), technical=("curfew",))

    whole = groups(ledger, last=date(2025, 12, 31))
    assert whole == [
        {"clients": 1, "person_days": 356, "days_at_risk": 343, "technical_violations": 1}
    ]
    monthly = groups(ledger, period="month", last=date(2025, 6, 30))
    assert [(g["period"], g["person_days"], g["days_at_risk"]) for g in monthly] == [
        ("2025-01", 22, 22),
        ("2025-02", 28, 28),
        ("2025-03", 31, 21),
        ("2025-04", 30, 30),
        ("2025-05", 31, 28),
        ("2025-06", 30, 30),
    ]
    # a violation in custody still counts, in the group of its date
    assert monthly[2]["technical_violations"] == 1


def test_a_period_still_open_when_the_term_ends_is_closed_by_it(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 11, 19), technical=("curfew",))
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 11, 20), reason="jail_hold")
    ledger.respond_to_violation(
        "GA-1", "V1", "revocation", actor="jdoe", on=date(2025, 11, 30), decided_by="court"
    )  # the court's revocation decision ends the term
    # Jan 10..Nov 30 supervised: 22+28+31+30+31+30+31+31+30+31+30 = 325 days; in custody from
    # Nov 20 through the last supervised day, Nov 30 (nothing changed it before): 11 days.
    # Nothing is counted after the revocation, in custody or not.
    assert groups(ledger, last=date(2025, 12, 31)) == [
        {"clients": 1, "person_days": 325, "days_at_risk": 314, "technical_violations": 1}
    ]


def test_the_level_is_the_one_in_force_on_each_day(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.change_level("GA-1", actor="jdoe", on=date(2025, 2, 1), level="high")
    ledger.change_level("GA-1", actor="jdoe", on=date(2025, 4, 1), level="low")
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 1, 31), technical=("curfew",))
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 2, 1), technical=("curfew",))
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 4, 1), technical=("curfew",))

    assert groups(ledger, "level", last=date(2025, 4, 30)) == [
        # Jan 10..31, none set yet
        {"level": "unset", "clients": 1, "person_days": 22, "days_at_risk": 22,
         "technical_violations": 1},
        # Feb 1..Mar 31
        {"level": "high", "clients": 1, "person_days": 59, "days_at_risk": 59,
         "technical_violations": 1},
        # Apr 1..30
        {"level": "low", "clients": 1, "person_days": 30, "days_at_risk": 30,
         "technical_violations": 1},
    ]  # fmt: skip


def test_the_officer_and_agency_follow_reassignments_from_their_date(ledger: Ledger) -> None:
    enroll_parolee(ledger)  # GA, o-17
    ledger.reassign("GA-1", actor="jdoe", on=date(2025, 3, 1), officer="o-9")
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 2, 28), technical=("curfew",))
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 3, 1), technical=("curfew",))
    ledger.reassign("GA-1", actor="jdoe", on=date(2025, 4, 1), officer="o-3", agency="GB")

    assert groups(ledger, "agency", "officer", last=date(2025, 4, 30)) == [
        # Jan 10..Feb 28
        {"agency": "GA", "officer": "o-17", "clients": 1, "person_days": 50,
         "days_at_risk": 50, "technical_violations": 1},
        # Mar 1..31
        {"agency": "GA", "officer": "o-9", "clients": 1, "person_days": 31,
         "days_at_risk": 31, "technical_violations": 1},
        # Apr 1..30
        {"agency": "GB", "officer": "o-3", "clients": 1, "person_days": 30,
         "days_at_risk": 30, "technical_violations": 0},
    ]  # fmt: skip


def test_a_later_term_after_a_discharge_and_the_gap_between_is_not_supervised(
    ledger: Ledger,
) -> None:
    enroll_parolee(ledger)
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 2, 20), reason="sanction")
    ledger.change_level("GA-1", actor="jdoe", on=date(2025, 2, 20), level="maximum")
    ledger.discharge("GA-1", actor="jdoe", on=date(2025, 2, 28), outcome="successful")
    ledger.enroll(
        "GA-1",
        actor="jdoe",
        start=date(2025, 4, 1),
        agency="GA",
        officer="o-2",
        supervision="probation",
    )
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 4, 2), technical=("curfew",))

    by_term = groups(ledger, "term", "supervision", "officer", "level", last=date(2025, 4, 30))
    assert by_term == [
        # term 1: Jan 10..Feb 19 at no level (41 days), Feb 20..28 maximum, in custody (9)
        {"supervision": "parole", "officer": "o-17", "term": "first", "level": "unset",
         "clients": 1, "person_days": 41, "days_at_risk": 41, "technical_violations": 0},
        {"supervision": "parole", "officer": "o-17", "term": "first", "level": "maximum",
         "clients": 1, "person_days": 9, "days_at_risk": 0, "technical_violations": 0},
        # term 2: Apr 1..30, its own officer and type; neither the level nor the custody of
        # term 1 runs on into it
        {"supervision": "probation", "officer": "o-2", "term": "later", "level": "unset",
         "clients": 1, "person_days": 30, "days_at_risk": 30, "technical_violations": 1},
    ]  # fmt: skip
    monthly = groups(ledger, "term", period="month", last=date(2025, 4, 30))
    assert [(g["term"], g["period"], g["person_days"]) for g in monthly] == [
        ("first", "2025-01", 22),
        ("first", "2025-02", 28),
        ("later", "2025-04", 30),  # nobody in March: the gap between the terms
    ]
    # one person, counted once in the whole range
    assert groups(ledger, last=date(2025, 4, 30))[0]["clients"] == 1


def test_the_age_band_is_from_the_birth_year_at_each_terms_start(ledger: Ledger) -> None:
    enroll_born(ledger, "GA-1", 2001)  # 24 in 2025
    ledger.discharge("GA-1", actor="jdoe", on=date(2025, 12, 31), outcome="successful")
    ledger.enroll(
        "GA-1",
        actor="jdoe",
        start=date(2026, 1, 5),
        agency="GA",
        officer="o-17",
        supervision="parole",
    )  # 25 in 2026 fmt: skip
    ledger.enroll(
        "GA-2",
        actor="jdoe",
        start=START,
        agency="GA",
        officer="o-17",
        supervision="parole",
        age_band="45_54",
    )  # only the band is known fmt: skip
    ledger.discharge("GA-2", actor="jdoe", on=START, outcome="successful")

    assert [(g["age_band"], g["person_days"]) for g in groups(ledger, "age_band")] == [
        ("under_25", 356),  # 2025-01-10..12-31
        ("25_34", 11),  # 2026-01-05..01-15 (today)
        ("45_54", 1),
    ]


def test_who_the_client_is_reads_unknown_after_a_seal_caught_up_or_rebuilt(
    ledger: Ledger,
) -> None:
    for ref, race, ethnicity, sex in (("GA-1", "black", "hispanic", "female"),
                                      ("GA-2", "white", "not_hispanic", "male")):  # fmt: skip
        ledger.enroll(
            ref, actor="jdoe", start=START, agency="GA", officer="o-17", supervision="parole",
            race=race, ethnicity=ethnicity, sex=sex, birth_year=1980,
        )  # fmt: skip
    last = date(2025, 1, 19)  # 10 days each
    seen = [(g["race"], g["ethnicity"], g["sex"], g["age_band"], g["person_days"])
            for g in groups(ledger, "sex", "race", "ethnicity", "age_band", last=last)]  # fmt: skip
    assert seen == [
        ("black", "hispanic", "female", "45_54", 10),
        ("white", "not_hispanic", "male", "45_54", 10),
    ]
    ledger.seal("GA-1", actor="jdoe", reason="court order 12")
    expected = [
        ("unknown", "unknown", "unknown", "unknown", 10),  # counted still, as no one
        ("white", "not_hispanic", "male", "45_54", 10),
    ]

    def after_seal() -> list[tuple[Any, ...]]:
        found = groups(ledger, "race", "ethnicity", "sex", "age_band", last=last)
        found.sort(key=lambda g: g["race"] != "unknown")
        return [(g["race"], g["ethnicity"], g["sex"], g["age_band"], g["person_days"])
                for g in found]  # fmt: skip

    assert after_seal() == expected  # caught up
    ProjectionRunner(ledger).rebuild()
    assert after_seal() == expected  # rebuilt


def test_a_seal_leaves_no_age_band_in_the_segments_kept_for_reports(ledger: Ledger) -> None:
    # An operator reading the database after a seal and the catch-up that scrubs who the
    # client was (no report run since) finds the client's age band, a personal code, nowhere
    # in the segments kept ahead for reports: a report looks the band up as it reads them
    enroll_born(ledger, "GA-1", 1980)  # 45_54 in 2025
    enroll_born(ledger, "GA-2", 1990)  # 35_44
    last = date(2025, 1, 19)
    bands = [(g["age_band"], g["clients"]) for g in groups(ledger, "age_band", last=last)]
    assert bands == [("35_44", 1), ("45_54", 1)]  # the segments are cut and kept

    ledger.seal("GA-1", actor="jdoe", reason="court order 12")
    ProjectionRunner(ledger).catch_up()
    kept = ProjectionStore(ledger).rows(
        "SELECT * FROM {report_kept_segments}", tables=["report_kept_segments"]
    )
    assert len(kept) == 2  # a segment for each client, as the report last cut them
    assert not [row for row in kept if "45_54" in map(str, row)]

    bands = [(g["age_band"], g["clients"]) for g in groups(ledger, "age_band", last=last)]
    assert bands == [("35_44", 1), ("unknown", 1)]  # counted still, as no one


def test_the_segments_an_earlier_version_kept_with_age_bands_are_dropped_at_catch_up(
    ledger: Ledger,
) -> None:
    # a ledger whose reports kept segments in the first definition (`report_segments`, age
    # bands in it): the next catch-up drops that table, report or not (a seal before it must
    # leave no band behind); the next report keeps its own and counts as before
    enroll_born(ledger, "GA-1", 1980)
    last = date(2025, 1, 19)
    before = groups(ledger, "age_band", last=last)
    store = ProjectionStore(ledger)
    tables = ["report_segments", "report_segments_state", "report_kept_segments"]
    with store.transaction() as cursor:
        for statement in (
            "CREATE TABLE {report_segments} (client_id TEXT NOT NULL, term INTEGER NOT NULL, "
            "supervision TEXT, age_band TEXT, agency TEXT, officer TEXT, level TEXT, risk TEXT, "
            "at_risk INTEGER NOT NULL, seg_start BIGINT NOT NULL, seg_end BIGINT NOT NULL)",
            "INSERT INTO {report_segments} VALUES ('x', 1, 'parole', '45_54', 'GA', 'o-17', "
            "'unset', 'unassessed', 1, 0, 1)",
            "UPDATE {report_segments_state} SET versions = '1' || SUBSTR(versions, 2)",
        ):
            cursor.execute(store.sql(statement, tables))

    ProjectionRunner(ledger).catch_up()
    with pytest.raises(Exception, match="report_segments"):  # no such table
        store.rows("SELECT * FROM {report_segments}", tables=tables)
    assert groups(ledger, "age_band", last=last) == before
    kept = store.rows("SELECT * FROM {report_kept_segments}", tables=tables)
    assert len(kept) == 1 and not [row for row in kept if "45_54" in map(str, row)]
    (state,) = store.rows("SELECT versions FROM {report_segments_state}", tables=tables)
    assert str(state[0]).startswith(f"{KEPT_VERSION};")


def test_rates_per_person_year_are_per_year_at_risk(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 3, 1), reason="sanction")
    ledger.end_custody("GA-1", actor="jdoe", on=date(2025, 3, 11))
    for day in (5, 6):
        ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 4, day), technical=("curfew",))
    request = ReportRequest(today=TODAY, last=date(2025, 12, 31))
    (group,) = Reports(ledger, "jdoe").violations(request)["groups"]
    assert (group["person_days"], group["days_at_risk"]) == (356, 346)
    # 100 x 2 / (346 / 365.25) = 211.1272, not 100 x 2 / (356 / 365.25) = 205.1966
    assert group["technical_per_100_person_years"] == 211.1272


def test_known_at_before_the_custody_ended_was_recorded_counts_it_as_still_open(
    ledger: Ledger,
) -> None:
    enroll_parolee(ledger)
    ledger.start_custody("GA-1", actor="jdoe", on=date(2025, 3, 1), reason="sanction")
    ledger.end_custody("GA-1", actor="jdoe", on=date(2025, 3, 11))
    (started,) = (e for e in ledger.get_client("GA-1").history if isinstance(e, CustodyStarted))
    last = date(2025, 3, 31)  # Jan 10..Mar 31: 81 days
    then = groups(ledger, last=last, known_at=started.timestamp)
    assert (then[0]["person_days"], then[0]["days_at_risk"]) == (81, 50)  # in custody from Mar 1
    now = groups(ledger, last=last)
    assert (now[0]["person_days"], now[0]["days_at_risk"]) == (81, 71)  # Mar 1..10 only
