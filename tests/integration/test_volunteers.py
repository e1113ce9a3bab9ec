"""The volunteer register (issue 18): volunteers registered, trained, supervised and leaving,
by their own agency's staff, their personal data under their own key; matches with registered
volunteers checked against the register; suggestions by needs met; the supervision report."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.domain.errors import ClientNotFound, InvalidInput, RuleViolated
from reentry_ledger.domain.volunteer import VolunteerNotFound, volunteer_uuid
from reentry_ledger.projections.runner import ProjectionRunner

START = date(2025, 1, 2)


@pytest.fixture
def staffed(ledger: Ledger) -> Ledger:
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("cw-ga", "caseworker", "GA"), ("cw-gb", "caseworker", "GB"),
                               ("ovs", "oversight", None)):  # fmt: skip
        ledger.add_user(name, role, agency, actor="aud")
    ledger.enroll("GA-1", actor="cw-ga", start=START, agency="GA", officer="o",
                  supervision="parole")  # fmt: skip
    ledger.assess("GA-1", actor="cw-ga", on=date(2025, 1, 5), instrument="ORAS",
                  risk_level="high", needs=("substance_use", "school_work"))  # fmt: skip
    return ledger


def register(ledger: Ledger, name: str, *skills: str, actor: str = "cw-ga", **more: object) -> str:
    return ledger.register_volunteer(
        actor=actor,
        name=name,
        skills=skills,
        on=date(2025, 1, 3),
        **more,  # type: ignore[arg-type]
    )


def events(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_volunteers_get_ids_in_order_and_their_staffs_agency(staffed: Ledger) -> None:
    assert register(staffed, "Vera V", "recovery_support") == "VOL1"
    assert register(staffed, "Bob B", "job_search", actor="cw-gb") == "VOL2"
    assert register(staffed, "Cy C", "tutoring") == "VOL3"
    listed = staffed.list_volunteers(actor="cw-ga")
    assert [(v.volunteer_id, v.agency, v.name) for v in listed] == [
        ("VOL1", "GA", "Vera V"),
        ("VOL3", "GA", "Cy C"),
    ]
    assert [v.volunteer_id for v in staffed.list_volunteers(actor="aud")] == [
        "VOL1",
        "VOL2",
        "VOL3",
    ]


def test_the_volunteers_name_lies_under_its_own_key(staffed: Ledger) -> None:
    register(staffed, "Vera V", "recovery_support", availability="weekday evenings")
    stored = staffed.recorder.select_events(volunteer_uuid("VOL1"))
    state = staffed.mapper.stored_state(stored[0])
    assert state["name"].startswith("pd2:") and state["availability"].startswith("pd2:")
    assert state["skills"] == ["recovery_support"] and state["agency"] == "GA"
    assert staffed.keys.get(str(volunteer_uuid("VOL1"))) is not None
    assert staffed.verify(actor="aud").ok


def test_a_refused_registration_writes_nothing(staffed: Ledger) -> None:
    before = events(staffed)
    with pytest.raises(NotPermitted, match="may register volunteers of agency GA only"):
        register(staffed, "X", "tutoring", agency="GB")
    with pytest.raises(NotPermitted):
        register(staffed, "X", "tutoring", actor="aud", agency="GA")
    with pytest.raises(NotPermitted):
        register(staffed, "X", "tutoring", actor="ovs", agency="GA")
    with pytest.raises(InvalidInput, match="unknown skill 'juggling'"):
        register(staffed, "X", "juggling")
    assert events(staffed) == before


def test_another_agencys_volunteer_is_not_found(staffed: Ledger) -> None:
    register(staffed, "Vera V", "recovery_support")
    before = events(staffed)
    with pytest.raises(VolunteerNotFound, match="no volunteer 'VOL1'"):
        staffed.train_volunteer("VOL1", actor="cw-gb", on=date(2025, 2, 1))
    with pytest.raises(VolunteerNotFound):
        staffed.volunteer_leaves("VOL9", actor="cw-ga")
    assert events(staffed) == before
    assert staffed.list_volunteers(actor="cw-gb") == []


def test_a_group_session_records_every_volunteer_or_none(staffed: Ledger) -> None:
    for name in ("A", "B", "C"):
        register(staffed, name, "tutoring")
    staffed.volunteer_leaves("VOL3", actor="cw-ga", on=date(2025, 1, 20))
    before = events(staffed)
    with pytest.raises(RuleViolated, match="VOL3' left on 2025-01-20"):
        staffed.supervise_volunteers(("VOL1", "VOL2", "VOL3"), actor="cw-ga", kind="group",
                                     on=date(2025, 2, 3))  # fmt: skip
    assert events(staffed) == before
    assert staffed.supervise_volunteers(("VOL1", "VOL2"), actor="sup-ga", kind="group",
                                        on=date(2025, 2, 3), note="boundaries") == 2  # fmt: skip
    assert events(staffed) == before + 2
    with pytest.raises(InvalidInput, match="an individual session is with one volunteer"):
        staffed.supervise_volunteers(("VOL1", "VOL2"), actor="cw-ga", kind="individual")


def test_a_match_names_a_registered_volunteer_of_the_clients_agency(staffed: Ledger) -> None:
    register(staffed, "Vera V", "recovery_support")
    register(staffed, "Bob B", "job_search", actor="cw-gb")
    register(staffed, "Gone G", "tutoring")
    staffed.volunteer_leaves("VOL3", actor="cw-ga", on=date(2025, 1, 20))
    before = events(staffed)
    with pytest.raises(VolunteerNotFound, match="'VOL2' on the register of agency GA"):
        staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 1), volunteer_id="VOL2")
    with pytest.raises(VolunteerNotFound, match="left the register on 2025-01-20"):
        staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 1), volunteer_id="VOL3")
    with pytest.raises(ClientNotFound):
        staffed.match_volunteer("GA-1", actor="cw-gb", on=date(2025, 2, 1), volunteer_id="VOL1")
    assert events(staffed) == before
    staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 1), volunteer_id="VOL1")
    match = staffed.client_state("GA-1", actor="cw-ga").active_match
    assert match is not None and (match.volunteer_id, match.volunteer) == ("VOL1", None)
    [vera, gone] = staffed.list_volunteers(actor="cw-ga", include_left=True)
    assert (vera.open_matches, vera.capacity_left, vera.matched_clients) == (1, 0, ("GA-1",))
    assert gone.left_on == date(2025, 1, 20)
    # the auditor sees the match; a caseworker of the volunteer's agency sees it too
    assert staffed.list_volunteers(actor="aud")[0].matched_clients == ("GA-1",)


def test_a_match_ends_with_the_clients_term_and_frees_the_volunteer(staffed: Ledger) -> None:
    register(staffed, "Vera V", "recovery_support")
    staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 1), volunteer_id="VOL1")
    staffed.discharge("GA-1", actor="cw-ga", on=date(2025, 3, 1), outcome="successful")
    [vera] = staffed.list_volunteers(actor="cw-ga")
    assert (vera.open_matches, vera.capacity_left, vera.matched_clients) == (0, 1, ())


def test_suggestions_rank_by_needs_met_then_capacity_left(staffed: Ledger) -> None:
    register(staffed, "Tutor", "tutoring")  # meets school_work
    register(staffed, "Both", "recovery_support", "job_search")  # both needs
    register(staffed, "Roomy", "bureaucracy", capacity=3)  # school_work, room for three
    register(staffed, "None", "leisure_activities")  # neither
    register(staffed, "Elsewhere", "recovery_support", "job_search", actor="cw-gb")
    found = staffed.suggest_volunteers("GA-1", actor="cw-ga")
    assert [(s.volunteer_id, s.needs_met, s.capacity_left) for s in found] == [
        ("VOL2", ("substance_use", "school_work"), 1),
        ("VOL3", ("school_work",), 3),
        ("VOL1", ("school_work",), 1),
        ("VOL4", (), 1),
    ]
    given = staffed.suggest_volunteers("GA-1", actor="cw-ga", needs=("leisure_recreation",))
    assert given[0].volunteer_id == "VOL4"
    with pytest.raises(ClientNotFound):
        staffed.suggest_volunteers("GA-1", actor="cw-gb")
    with pytest.raises(NotPermitted):
        staffed.suggest_volunteers("GA-1", actor="ovs")


def test_supervision_report_counts_volunteer_months_by_hand(staffed: Ledger) -> None:
    # VOL1 registered 3 Jan: Jan, Feb, Mar active (3 months); VOL2 from 10 Feb: Feb, Mar (2);
    # VOL3 registered 3 Jan and left 15 Feb: Jan, Feb (2). 7 volunteer-months.
    register(staffed, "A", "tutoring")
    staffed.register_volunteer(actor="cw-ga", name="B", skills=("tutoring",),
                               on=date(2025, 2, 10))  # fmt: skip
    register(staffed, "C", "tutoring")
    # Jan: a group session of VOL1 and VOL3 (2 sessions); Feb: VOL1 one to one (1);
    # Mar: a group of VOL1 and VOL2 (2). Supervised months: VOL1 Jan Feb Mar, VOL3 Jan,
    # VOL2 Mar: 5 of 7. Sessions 5 (1 individual, 4 group).
    staffed.supervise_volunteers(("VOL1", "VOL3"), actor="cw-ga", kind="group",
                                 on=date(2025, 1, 20))  # fmt: skip
    staffed.volunteer_leaves("VOL3", actor="cw-ga", on=date(2025, 2, 15))
    staffed.supervise_volunteers(("VOL1",), actor="cw-ga", kind="individual",
                                 on=date(2025, 2, 20))  # fmt: skip
    staffed.supervise_volunteers(("VOL1", "VOL2"), actor="cw-ga", kind="group",
                                 on=date(2025, 3, 20))  # fmt: skip
    table = staffed.reports(actor="cw-ga").volunteer_supervision(
        date(2025, 1, 1), date(2025, 3, 31), ("agency",)
    )
    assert table.rows == [
        {"agency": "GA", "volunteers": 3, "volunteer_months": 7,
         "volunteer_months_supervised": 5, "share_months_supervised": 0.714, "sessions": 5,
         "sessions_individual": 1, "sessions_group": 4,
         "sessions_per_volunteer_month": 0.71},
    ]  # fmt: skip
    before = table.rows
    ProjectionRunner(staffed).rebuild(["volunteers"])
    again = staffed.reports(actor="cw-ga").volunteer_supervision(
        date(2025, 1, 1), date(2025, 3, 31), ("agency",)
    )
    assert again.rows == before
    hidden = staffed.reports(actor="ovs").volunteer_supervision(
        date(2025, 1, 1), date(2025, 3, 31), ("agency",)
    )
    assert hidden.rows[0]["volunteers"] == "withheld" and hidden.rows[0]["sessions"] == "withheld"
    assert hidden.rows[0]["share_months_supervised"] == "withheld"


def test_supervision_report_counts_whole_months_only_so_this_one_waits_for_its_sessions(
    staffed: Ledger,
) -> None:
    # today is 15 Jan 2026 (TODAY): VOL1 registered 3 Jan 2025 and supervised every month of
    # 2025. January 2026 is half over, its session still to come: counted, it made 12 of 13
    # months supervised (0.923) rather than 12 of 12. So is a range cut inside a month (its
    # sessions before --from or after --to were not counted, its volunteer-month was).
    register(staffed, "A", "tutoring")
    for month in range(1, 13):
        staffed.supervise_volunteers(("VOL1",), actor="cw-ga", kind="individual",
                                     on=date(2025, month, 5))  # fmt: skip
    reports = staffed.reports(actor="cw-ga")
    default = reports.volunteer_supervision(None, None)
    assert default.rows[0]["volunteer_months"] == 12
    assert default.rows[0]["share_months_supervised"] == 1.0
    assert default.snapped is not None and default.snapped.describe() == (
        "snapped to whole calendar months: 2025-01-01..2025-12-31"
    )
    # a range from the 10th of March to the 2nd of June: March, April and May, whole
    cut = reports.volunteer_supervision(date(2025, 3, 10), date(2025, 6, 2))
    assert (cut.rows[0]["volunteer_months"], cut.rows[0]["sessions"]) == (3, 3)
    assert cut.rows[0]["share_months_supervised"] == 1.0
    # a range inside this month holds no whole month, and says so
    none = reports.volunteer_supervision(date(2026, 1, 1), None)
    assert none.rows == []
    assert none.snapped is not None and "the range holds none" in none.snapped.describe()


def test_report_volunteers_counts_endings_by_kind_with_term_ends(staffed: Ledger) -> None:
    register(staffed, "Vera V", "recovery_support", capacity=2)
    staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 1), volunteer_id="VOL1")
    staffed.end_volunteer_match("GA-1", actor="cw-ga", on=date(2025, 2, 10), ending="taken_back")
    staffed.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 2, 20), volunteer="Named N")
    staffed.discharge("GA-1", actor="cw-ga", on=date(2025, 3, 1), outcome="successful")
    table = staffed.reports(actor="cw-ga").volunteers(date(2025, 1, 1), date(2025, 12, 31), ())
    [row] = table.rows
    assert (row["matched"], row["ended"], row["active_at_end"]) == (2, 2, 0)
    assert (row["ended_taken_back"], row["ended_term_ended"], row["ended_failed"]) == (1, 1, 0)
    assert row["median_days_matched"] == 9  # 9 days and 9 days


def test_a_register_is_read_only_for_the_readers_own_agency(
    staffed: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the register of another agency was read volunteer by volunteer and then left out: a
    # caseworker of an agency with none waited 3 s at a million events for an empty list
    from reentry_ledger.application import volunteers

    for number in range(3):
        register(staffed, f"G{number}", "tutoring")  # GA's
    register(staffed, "Bob B", "job_search", actor="cw-gb")  # VOL4, GB's
    staffed.add_user("cw-gc", "caseworker", "GC", actor="aud")
    read: list[str] = []
    stored = volunteers.stored_volunteer

    def reading(ledger: Ledger, volunteer_id: str) -> object:
        read.append(volunteer_id)
        return stored(ledger, volunteer_id)

    monkeypatch.setattr(volunteers, "stored_volunteer", reading)
    assert staffed.list_volunteers(actor="cw-gc") == [] and read == []
    assert [v.volunteer_id for v in staffed.list_volunteers(actor="cw-gb")] == ["VOL4"]
    assert read == ["VOL4"]
    assert len(staffed.list_volunteers(actor="aud")) == 4  # every agency's
    assert staffed.list_volunteers(actor="cw-gb", agency="GA") == []  # another's: none seen
