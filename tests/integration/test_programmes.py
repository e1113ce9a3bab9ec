"""Group programmes (issue 18): places, sessions written on the programme and on every client
in one transaction, refusals that write nothing, and `report programmes`, hand-counted, the
same caught up step by step and rebuilt."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.domain.errors import ClientNotFound, InvalidInput, RuleViolated
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.verification import verify
from tests.builders import enroll_parolee, projection_contents

T4C = "Thinking for a Change"
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def events(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def programme_with_three(ledger: Ledger) -> None:
    for ref in ("GA-1", "GA-2", "GA-3"):
        enroll_parolee(ledger, ref)
    ledger.add_programme(T4C, actor="jdoe", service="mental_health", agency="GA", sessions=10,
                         on=date(2025, 2, 1))  # fmt: skip
    ledger.enrol_in_programme(T4C, ["GA-1", "GA-2", "GA-3"], actor="jdoe", on=date(2025, 2, 3))


def types(ledger: Ledger, ref: str) -> list[str]:
    return [entry.type for entry in ledger.timeline(ref, actor="jdoe")]


def test_a_session_is_written_on_every_client_and_counted_on_the_programme(
    ledger: Ledger,
) -> None:
    programme_with_three(ledger)
    held = ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10),
                                           attended=["GA-1", "GA-2"])  # fmt: skip
    assert [r.ref for r in held.missed] == ["GA-3"]  # every other holder of an open place
    assert types(ledger, "GA-1")[-1] == "ProgrammeSessionAttended"
    assert types(ledger, "GA-3")[-1] == "ProgrammeSessionMissed"
    [listed] = ledger.list_programmes(actor="jdoe")
    assert (listed.sessions_held, listed.attended, listed.missed) == (1, 2, 1)
    assert verify(ledger).clients == 3  # the programme is no client


def test_a_client_without_a_place_refuses_the_whole_session(ledger: Ledger) -> None:
    programme_with_three(ledger)
    enroll_parolee(ledger, "GA-9")
    before = events(ledger)
    with pytest.raises(RuleViolated, match="'GA-9' held no place in programme"):
        ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10),
                                        attended=["GA-1", "GA-9"])  # fmt: skip
    assert events(ledger) == before
    assert ledger.list_programmes(actor="jdoe")[0].sessions_held == 0


def test_a_client_given_twice_or_a_session_before_the_programme_is_refused(
    ledger: Ledger,
) -> None:
    programme_with_three(ledger)
    before = events(ledger)
    with pytest.raises(InvalidInput, match="'GA-1' given twice"):
        ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10),
                                        attended=["GA-1"], missed=["GA-1"])  # fmt: skip
    with pytest.raises(RuleViolated, match="no programme named 'Other'"):
        ledger.enrol_in_programme("Other", ["GA-1"], actor="jdoe")
    with pytest.raises(RuleViolated, match="already has a programme"):
        ledger.add_programme(T4C, actor="jdoe", service="education", agency="GA")
    with pytest.raises(InvalidInput, match="--agency"):
        ledger.add_programme("New", actor="jdoe", service="education")
    assert events(ledger) == before


@pytest.fixture
def staffed(ledger: Ledger) -> Ledger:
    for name, role, agency in (("aud", "auditor", None), ("cw-ga", "caseworker", "GA"),
                               ("cw-gb", "caseworker", "GB"), ("ovs", "oversight", None)):  # fmt: skip
        ledger.add_user(name, role, agency, actor="aud")
    ledger.enroll("GA-1", actor="cw-ga", start=date(2025, 1, 10), agency="GA", officer="o",
                  supervision="probation")  # fmt: skip
    ledger.add_programme(T4C, actor="cw-ga", service="mental_health", on=date(2025, 2, 1))
    ledger.enrol_in_programme(T4C, ["GA-1"], actor="cw-ga", on=date(2025, 2, 3))
    return ledger


def test_another_agencys_caseworker_cannot_add_to_enrol_in_or_hold_its_programmes(
    staffed: Ledger,
) -> None:
    with pytest.raises(ClientNotFound):  # the clients named are looked up first
        staffed.record_programme_session(T4C, actor="cw-gb", attended=["GA-1"])
    with pytest.raises(RuleViolated, match="agency GB has no programme"):
        staffed.record_programme_session(T4C, actor="cw-gb")
    staffed.add_programme(T4C, actor="cw-gb", service="mental_health")  # GB's own, alike named
    before = events(staffed)
    with pytest.raises(NotPermitted, match="agency GB only"):
        staffed.add_programme("X", actor="cw-gb", service="education", agency="GA")
    with pytest.raises(ClientNotFound):
        staffed.enrol_in_programme(T4C, ["GA-1"], actor="cw-gb")
    with pytest.raises(ClientNotFound):
        staffed.record_programme_session(T4C, actor="cw-gb", attended=["GA-1"])
    with pytest.raises(ClientNotFound):
        staffed.end_programme_place("GA-1", T4C, actor="cw-gb", outcome="completed")
    for role in ("aud", "ovs"):
        with pytest.raises(NotPermitted):
            staffed.record_programme_session(T4C, actor=role, attended=["GA-1"])
    assert events(staffed) == before
    assert [p.agency for p in staffed.list_programmes(actor="cw-gb")] == ["GB"]
    assert [p.agency for p in staffed.list_programmes(actor="aud")] == ["GA", "GB"]
    with pytest.raises(NotPermitted):
        staffed.list_programmes(actor="ovs")


def hand_counted_history(ledger: Ledger, runner: ProjectionRunner) -> None:
    """T4C: GA-1..3 from 3 Feb; sessions 10 Feb (GA-1, GA-2 came), 17 Feb (GA-1 came), GA-3
    dropped out 20 Feb, 3 Mar (GA-1, GA-2 came); GA-1 completed 1 Apr; GA-2's term ended
    1 May with its place open. Work: GA-4 from 1 Mar, one session 5 Mar, its attendance
    retracted."""
    programme_with_three(ledger)
    enroll_parolee(ledger, "GA-4")
    ledger.add_programme("Work", actor="jdoe", service="employment", agency="GA",
                         on=date(2025, 2, 1))  # fmt: skip
    session = ledger.record_programme_session
    session(T4C, actor="jdoe", on=date(2025, 2, 10), attended=["GA-1", "GA-2"])
    runner.catch_up()  # part of it caught up before the rest is recorded
    session(T4C, actor="jdoe", on=date(2025, 2, 17), attended=["GA-1"])
    ledger.end_programme_place("GA-3", T4C, actor="jdoe", on=date(2025, 2, 20),
                               outcome="dropped_out")  # fmt: skip
    session(T4C, actor="jdoe", on=date(2025, 3, 3), attended=["GA-1", "GA-2"])
    ledger.end_programme_place("GA-1", T4C, actor="jdoe", on=date(2025, 4, 1),
                               outcome="completed")  # fmt: skip
    ledger.discharge("GA-2", actor="jdoe", on=date(2025, 5, 1), outcome="successful")
    ledger.enrol_in_programme("Work", ["GA-4"], actor="jdoe", on=date(2025, 3, 1))
    [attended] = session("Work", actor="jdoe", on=date(2025, 3, 5), attended=["GA-4"]).attended
    runner.catch_up()
    ledger.correct("GA-4", attended.number, actor="jdoe", reason="was not there")


def rows(ledger: Ledger, first: date, last: date, **options: Any) -> dict[str, dict[str, Any]]:
    table = ledger.reports(actor="jdoe").programmes(first, last, **options)
    return {row["programme"]: row for row in table.rows}


def test_report_programmes_counts_places_attendance_and_completion_by_hand(
    ledger: Ledger,
) -> None:
    runner = ProjectionRunner(ledger, workers=0)
    hand_counted_history(ledger, runner)
    counted = rows(ledger, *YEAR)
    assert counted[T4C] == {
        "agency": "GA", "programme": T4C, "service": "mental_health", "enrolled": 3,
        "sessions_held": 3, "attended": 5, "missed": 3, "attendance_rate": 0.625,
        "completed": 1, "dropped_out": 1, "removed": 0, "ended_with_term": 1,
        "completion_rate": 0.5,
    }  # fmt: skip
    work = counted["Work"]  # its one attendance retracted; the session was held all the same
    assert (work["enrolled"], work["sessions_held"], work["attended"]) == (1, 1, 0)
    assert work["attendance_rate"] is None and work["completion_rate"] is None
    february = rows(ledger, date(2025, 2, 15), date(2025, 2, 28))[T4C]
    assert (february["enrolled"], february["sessions_held"], february["attended"],
            february["missed"], february["dropped_out"]) == (0, 1, 1, 2, 1)  # fmt: skip
    assert february["attendance_rate"] == 0.3333 and february["completion_rate"] == 0.0
    before = projection_contents(ledger)
    runner.rebuild(["programmes"])
    assert projection_contents(ledger) == before
    assert rows(ledger, *YEAR) == counted


def test_report_programmes_hides_small_counts_and_the_rates_they_make(ledger: Ledger) -> None:
    hand_counted_history(ledger, ProjectionRunner(ledger, workers=0))
    shown = rows(ledger, *YEAR, suppress_below=3)[T4C]
    assert (shown["enrolled"], shown["attended"], shown["missed"]) == (3, 5, 3)
    assert shown["attendance_rate"] == 0.625
    assert shown["completed"] == shown["completion_rate"] == "withheld"


def test_a_ledger_with_programmes_exports_and_imports_whole(ledger: Ledger, tmp_path: Any) -> None:
    programme_with_three(ledger)
    ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10), attended=["GA-1"])
    lines = list(ledger.export_lines(actor="jdoe"))
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: date(2026, 1, 15))
    try:
        copy.import_jsonl(iter(lines), "export.jsonl", actor="jdoe")
        assert copy.list_programmes(actor="jdoe") == ledger.list_programmes(actor="jdoe")
        checked = verify(copy)
        assert checked.ok and checked.clients == 3
    finally:
        copy.close()


def test_a_late_session_counts_the_places_held_on_its_date_and_no_one_is_counted_twice(
    ledger: Ledger,
) -> None:
    programme_with_three(ledger)
    ledger.end_programme_place("GA-1", T4C, actor="jdoe", on=date(2025, 3, 1), outcome="completed")
    ledger.seal("GA-3", actor="jdoe", ground="court_order", reference="CO-1")
    held = ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10),
                                           attended=["GA-2"])  # fmt: skip
    # GA-1's place, since ended, was held that day; GA-3 is sealed: nothing more on it
    assert [r.ref for r in held.missed] == ["GA-1"]
    assert types(ledger, "GA-1")[-1] == "ProgrammeSessionMissed"
    before = events(ledger)
    with pytest.raises(
        RuleViolated, match=r"'GA-2'.s session .* on 2025-02-10 is already recorded"
    ):
        ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 2, 10),
                                        attended=["GA-2"])  # fmt: skip
    with pytest.raises(RuleViolated, match=r"held no place .* on 2025-03-03 \(its place ran"):
        ledger.record_programme_session(T4C, actor="jdoe", on=date(2025, 3, 3),
                                        attended=["GA-1"])  # fmt: skip
    assert events(ledger) == before
