"""Every text and date that reaches storage is checked once, in the event models: names refuse
control characters, blanks and padding; free text keeps line breaks and tabs but nothing else
of the kind; dates stay within the ledger's window. What is already stored stays readable."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.domain.client import coded
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import ContactLogged, Enrolled
from reentry_ledger.domain.integrity import stored_state
from reentry_ledger.domain.recording import validated
from reentry_ledger.domain.references import client_id
from reentry_ledger.persistence import event_from_state
from tests.builders import START, new_client, stamp

ID = client_id("GA-1")


def enrolment(**changes: object) -> Enrolled:
    fields: dict[str, object] = {
        "originator_id": ID,
        "originator_version": 1,
        "originator_topic": "reentry_ledger.domain.client:Client",
        "timestamp": "2025-01-10T09:00:00+00:00",
        "occurred_on": START,
        "recorded_by": "jdoe",
        "client_ref": "GA-1",
        "agency": "GA",
        "officer": "o-17",
        "supervision": coded("parole"),
        **changes,
    }
    result: Enrolled = validated(lambda: Enrolled(**fields))
    return result


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "officer",
            "o\x00-17",
            "officer: contains the control character U+0000 (NUL) at character 2",
        ),
        (
            "agency",
            "GA\x1b[31m",
            "agency: contains the control character U+001B (ESCAPE) at character 3",
        ),
        ("agency", "G\nA", "agency: contains the control character U+000A (LINE FEED)"),
        ("recorded_by", "jdoe\x85", "recorded_by: contains the control character U+0085"),
        ("officer", " o-17", "officer: ' o-17' has space at its start or end"),
        ("agency", "GA\t", "agency: contains the control character U+0009 (TAB)"),
        ("officer", "   ", "officer: is blank"),
        ("supervision", coded("parole", "PA\x00R"), "supervision.raw_text: contains the control"),
        ("details", {"cell": "a\x00b"}, "details.cell: contains the control character U+0000"),
        ("occurred_on", date(1899, 12, 31), "occurred_on: 1899-12-31 is outside the dates"),
        ("expected_end", date(2200, 1, 1), "expected_end: 2200-01-01 is outside the dates"),
    ],
)
def test_a_bad_name_or_date_on_an_event_is_refused_naming_the_field(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        enrolment(**{field: value})
    assert message in str(refused.value)
    assert refused.value.field == field


def test_free_text_keeps_line_breaks_and_tabs_but_refuses_other_controls() -> None:
    client = new_client()
    client.log_contact(stamp(date(2025, 2, 1)), kind=coded("casework"), note="line 1\r\n\tline 2")
    with pytest.raises(InvalidInput, match=r"note: contains the control character U\+001B"):
        client.log_contact(stamp(date(2025, 2, 2)), kind=coded("casework"), note="\x1b[2J")
    with pytest.raises(InvalidInput, match="note: contains the control character U\\+0000"):
        client.log_contact(stamp(date(2025, 2, 2)), kind=coded("casework"), note="a\x00")


def test_an_event_already_stored_is_read_back_whatever_it_holds() -> None:
    state = stored_state(enrolment())
    state["officer"] = " o\x00-17"
    state["occurred_on"] = "0001-01-01"
    event = event_from_state(Enrolled, dict(state), ID, 1, stored=True)
    assert event.officer == " o\x00-17"
    with pytest.raises(InvalidInput, match=r"outside the dates .*; officer: contains"):
        event_from_state(Enrolled, dict(state), ID, 1)


def test_a_contact_logged_with_a_nul_in_its_group_session_is_refused() -> None:
    client = new_client()
    with pytest.raises(InvalidInput, match="group_session: contains the control character"):
        client.log_contact(stamp(date(2025, 2, 1)), kind=coded("group"), group_session="g\x001")
    assert not [e for e in client.collect_events() if isinstance(e, ContactLogged)]
